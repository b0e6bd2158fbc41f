/*
 * kind_bytecode.c - facts about a function's bytecode, and a student's
 * opcode summary against the grader's own count of the same function.
 *
 * Both are computed in C from co_code (bytecode.h), over the function's
 * code object and every code object nested in its co_consts, with the
 * opcode tables captured before any student code ran: patching dis, a
 * dis.py in the submission or specialization cannot change them.
 *
 * Facts mode (opcodes, no_opcodes, globals, no_globals, consts): the child
 * reports everything it found; the controller compares with the rubric.
 * Summary mode (summarize): the child warms the function up, counts its
 * instructions itself, then calls the student's summary function on it.
 */
#include "base/wire.h"
#include "kinds/kind.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"
#include "base/value.h"
#include "kinds/verdict_kit.h"

/* Opcode families: a rubric naming the family matches any member, so a
 * fact stays true across versions that renamed, split or fused the
 * instruction.  An exact name always matches itself only.  One opname may
 * belong to two families (STORE_FAST_LOAD_FAST both stores and loads). */
static const struct {
	const char *opname;
	const char *family;
} opcode_families[] = {
	{ "LOAD_FAST_CHECK", "LOAD_FAST" },                    /* 3.12+: may be unbound */
	{ "LOAD_FAST_AND_CLEAR", "LOAD_FAST" },                /* 3.12+: inlined comprehensions */
	{ "LOAD_FAST_LOAD_FAST", "LOAD_FAST" },                /* 3.13+ superinstruction */
	{ "LOAD_FAST_BORROW", "LOAD_FAST" },                   /* 3.14+ */
	{ "LOAD_FAST_BORROW_LOAD_FAST_BORROW", "LOAD_FAST" },  /* 3.14+ */
	{ "STORE_FAST_LOAD_FAST", "LOAD_FAST" },               /* 3.13+ */
	{ "STORE_FAST_LOAD_FAST", "STORE_FAST" },
	{ "STORE_FAST_STORE_FAST", "STORE_FAST" },             /* 3.13+ */
	{ "LOAD_METHOD", "LOAD_ATTR" },                        /* 3.11; a LOAD_ATTR flag since 3.12 */
	{ "RETURN_CONST", "RETURN_VALUE" },                    /* 3.12, 3.13 */
	{ "LOAD_SMALL_INT", "LOAD_CONST" },                    /* 3.14+ */
	{ "CALL_KW", "CALL" },                                 /* 3.13+ */
	{ "CALL_FUNCTION_EX", "CALL" },
	{ "JUMP_BACKWARD_NO_INTERRUPT", "JUMP_BACKWARD" },
	{ "POP_JUMP_FORWARD_IF_FALSE", "POP_JUMP_IF_FALSE" },  /* 3.11 jumps had directions */
	{ "POP_JUMP_BACKWARD_IF_FALSE", "POP_JUMP_IF_FALSE" },
	{ "POP_JUMP_FORWARD_IF_TRUE", "POP_JUMP_IF_TRUE" },
	{ "POP_JUMP_BACKWARD_IF_TRUE", "POP_JUMP_IF_TRUE" },
	{ "POP_JUMP_FORWARD_IF_NONE", "POP_JUMP_IF_NONE" },
	{ "POP_JUMP_BACKWARD_IF_NONE", "POP_JUMP_IF_NONE" },
	{ "POP_JUMP_FORWARD_IF_NOT_NONE", "POP_JUMP_IF_NOT_NONE" },
	{ "POP_JUMP_BACKWARD_IF_NOT_NONE", "POP_JUMP_IF_NOT_NONE" },
};

static bool in_family(const char *opname, const char *wanted)
{
	if (!strcmp(opname, wanted))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(opcode_families); i++)
		if (!strcmp(opcode_families[i].opname, opname) && !strcmp(opcode_families[i].family, wanted))
			return true;
	return false;
}

/* "a, b, c" from a JSON array of strings, at most 'max' of them. */
static char *join_names(const json_t *names, size_t max)
{
	struct buf b;
	buf_init(&b, 4096);
	size_t i;
	json_t *n;
	json_array_foreach(names, i, n) {
		if (i == max) {
			buf_printf(&b, ", ...");
			break;
		}
		buf_printf(&b, "%s%s", i ? ", " : "", json_is_string(n) ? json_string_value(n) : "?");
	}
	char *text = buf_detach(&b, NULL);
	return text ? text : xstrdup("");
}

static json_int_t family_count(const json_t *opcodes, const char *wanted)
{
	json_int_t total = 0;
	const char *name;
	json_t *n;
	json_object_foreach((json_t *)opcodes, name, n)
		if (in_family(name, wanted))
			total += json_integer_value(n);
	return total;
}

static bool has_string(const json_t *list, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return true;
	return false;
}

static bool has_value(const json_t *list, const json_t *want)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
		if (value_equal(v, want))
			return true;
	return false;
}

static void decide_facts(const struct check *c, const json_t *k, struct check_result *out)
{
	const char *fn = verdict_function_name(c);
	const json_t *opcodes = json_object_get(k, "opcodes");
	const json_t *globals = json_object_get(k, "globals");
	char *where = join_names(json_object_get(k, "codes"), 6);
	char *first = NULL;
	size_t facts = 0, held = 0, i;
	json_t *w;
	json_array_foreach(json_object_get(c->expect, "opcodes"), i, w) {
		facts++;
		if (family_count(opcodes, json_string_value(w)) > 0)
			held++;
		else if (!first)
			first = xasprintf("%s's bytecode has no %s (looked in %s)", fn, json_string_value(w), where);
	}
	json_array_foreach(json_object_get(c->expect, "no_opcodes"), i, w) {
		json_int_t n = family_count(opcodes, json_string_value(w));
		facts++;
		if (n == 0)
			held++;
		else if (!first)
			first = xasprintf("%s's bytecode contains %s (%d time%s)", fn, json_string_value(w), (int)n,
					  n == 1 ? "" : "s");
	}
	json_array_foreach(json_object_get(c->expect, "globals"), i, w) {
		facts++;
		if (has_string(globals, json_string_value(w)))
			held++;
		else if (!first)
			first = xasprintf("%s never loads the global '%s' (LOAD_GLOBAL)", fn, json_string_value(w));
	}
	json_array_foreach(json_object_get(c->expect, "no_globals"), i, w) {
		facts++;
		if (!has_string(globals, json_string_value(w)))
			held++;
		else if (!first)
			first = xasprintf("%s loads the global '%s'", fn, json_string_value(w));
	}
	json_array_foreach(json_object_get(c->expect, "consts"), i, w) {
		facts++;
		if (has_value(json_object_get(k, "consts"), w)) {
			held++;
		} else if (!first) {
			char *r = value_repr(w, 60);
			first = xasprintf("%s has no constant %s in its co_consts (not folded?)", fn, r);
			free(r);
		}
	}
	if (held == facts) {
		verdict_set(out, STATUS_PASS, "%s's bytecode has what was asked (%s)", fn, where);
	} else {
		verdict_set(out, STATUS_FAIL, "%s", first);
		if (c->partial && facts)
			out->score = out->max_score * (double)held / (double)facts;
		verdict_choose_feedback(out, verdict_feedback_text(c, "fail"));
	}
	free(first);
	free(where);
}

/* The student's {"$dict": [[k, v]...]} as {"k": v}, or NULL when a key is
 * not a str or a value not an int. */
static json_t *answer_counts(const json_t *returns)
{
	const json_t *pairs = json_object_get(returns, "$dict");
	if (!json_is_array(pairs))
		return NULL;
	json_t *out = json_object();
	size_t i;
	json_t *p;
	json_array_foreach(pairs, i, p) {
		const json_t *key = json_array_get(p, 0), *val = json_array_get(p, 1);
		if (!json_is_string(key) || !json_is_integer(val)) {
			json_decref(out);
			return NULL;
		}
		json_object_set(out, json_string_value(key), (json_t *)val);
	}
	return out;
}

/* The counts of the code objects up to 'depth'; *names gets the
 * qualified names of those deeper (new array). */
static json_t *counts_to_depth(const json_t *codes, json_int_t depth, json_t **names)
{
	json_t *total = json_object();
	*names = json_array();
	size_t i;
	json_t *code;
	json_array_foreach(codes, i, code) {
		if (json_integer_value(json_object_get(code, "depth")) > depth) {
			json_array_append(*names, json_object_get(code, "name"));
			continue;
		}
		const char *name;
		json_t *n;
		json_object_foreach(json_object_get(code, "counts"), name, n) {
			json_t *t = json_object_get(total, name);
			json_object_set_new(total, name, json_integer((t ? json_integer_value(t) : 0) + json_integer_value(n)));
		}
	}
	return total;
}

/* The first difference between two count objects, as text. */
static char *first_difference(const json_t *got, const json_t *want)
{
	const char *name;
	json_t *n;
	json_object_foreach((json_t *)want, name, n) {
		json_t *g = json_object_get(got, name);
		if (!g)
			return xasprintf("%s is missing (expected %d)", name, (int)json_integer_value(n));
		if (json_integer_value(g) != json_integer_value(n))
			return xasprintf("%s is %d, expected %d", name, (int)json_integer_value(g), (int)json_integer_value(n));
	}
	json_object_foreach((json_t *)got, name, n)
		if (!json_object_get(want, name))
			return xasprintf("%s should not be there (counted %d)", name, (int)json_integer_value(n));
	return xstrdup("?");
}

static void decide_summary(const struct check *c, const json_t *k, struct check_result *out)
{
	const char *fn = verdict_function_name(c);
	const char *which = json_string_value(json_object_get(c->spec, "summarize"));
	const char *dot = strrchr(which, '.');
	char *call = xasprintf("%s(%s)", fn, dot ? dot + 1 : which);
	const json_t *exc = json_object_get(k, "exception");
	const json_t *returns = json_object_get(k, "returns");
	const json_t *want = json_object_get(k, "expected");
	const char *python = str_or(json_string_value(json_object_get(k, "python")), "this Python");
	json_t *got = returns ? answer_counts(returns) : NULL;
	const char *fb = "fail";
	if (json_object_get(k, "not_python")) {
		verdict_set(out, STATUS_FAIL, "'%s' is a %s, not a Python function", dot ? dot + 1 : which,
			    json_string_value(json_object_get(k, "not_python")));
	} else if (exc) {
		char *during = xasprintf("calling %s", call);
		verdict_exception(c, exc, during, out);
		if (out->status == STATUS_ERROR)
			out->status = STATUS_FAIL;
		fb = "error";
		free(during);
	} else if (!returns || strcmp(value_type_name(returns), "dict")) {
		verdict_set(out, STATUS_FAIL, "%s returned a %s, not a dict", call,
			    str_or(json_string_value(json_object_get(k, "type")), "?"));
		fb = "wrong_type";
	} else if (!got) {
		verdict_set(out, STATUS_FAIL, "%s returned a dict whose keys are not all str or values not all int", call);
		fb = "wrong_type";
	} else if (json_equal(got, (json_t *)want)) {
		const char *sub = json_string_value(json_object_get(k, "dict_subclass"));
		char *as = sub ? xasprintf(" (a %s: a dict subclass is a dict)", sub) : xstrdup("");
		verdict_set(out, STATUS_PASS, "%s matches the grader's count over %zu code object%s%s", call,
			    json_array_size(json_object_get(k, "codes")),
			    json_array_size(json_object_get(k, "codes")) == 1 ? "" : "s", as);
		free(as);
	} else if (json_array_size(json_object_get(k, "specialized_keys"))) {
		char *names = join_names(json_object_get(k, "specialized_keys"), 4);
		verdict_set(out, STATUS_FAIL, "%s counted specialized (adaptive) names: %s", call, names);
		free(names);
		fb = "adaptive";
	} else if (json_object_get(got, "CACHE") && !json_object_get(want, "CACHE")) {
		verdict_set(out, STATUS_FAIL, "%s counted %d CACHE entries, which dis.get_instructions skips", call,
			    (int)json_integer_value(json_object_get(got, "CACHE")));
		fb = "caches";
	} else if (json_array_size(json_object_get(k, "unknown_keys"))) {
		char *names = join_names(json_object_get(k, "unknown_keys"), 4);
		verdict_set(out, STATUS_FAIL, "%s reported names that are not opcodes of Python %s: %s", call, python, names);
		free(names);
		fb = "renamed";
	} else {
		char *diff = first_difference(got, want);
		verdict_set(out, STATUS_FAIL, "%s differs from the grader's count: %s", call, diff);
		free(diff);
		/* Stopped early in the tree of code objects? */
		for (json_int_t depth = 0; depth < 2; depth++) {
			json_t *missed = NULL;
			json_t *partial = counts_to_depth(json_object_get(k, "codes"), depth, &missed);
			if (json_array_size(missed) && json_equal(partial, got)) {
				char *names = join_names(missed, 4);
				verdict_set(out, STATUS_FAIL, "%s missed the nested code object%s %s on %s", call,
					    json_array_size(missed) == 1 ? "" : "s", names, python);
				free(names);
				fb = "not_recursive";
				depth = 2;
			}
			json_decref(partial);
			json_decref(missed);
		}
	}
	if (out->status != STATUS_PASS) {
		const char *text = verdict_feedback_text(c, fb);
		verdict_choose_feedback(out, text ? text : verdict_feedback_text(c, "fail"));
	}
	json_decref(got);
	free(call);
}

static void decide_bytecode(const struct check *c, const json_t *result, const json_t *k, struct check_result *out)
{
	(void)result;
	if (!verdict_function_found(c, k, out))
		return;
	const char *herr = wire_harness_error(k);
	if (herr)
		verdict_set(out, STATUS_ERROR, "grader error: %s", herr);
	else if (json_object_get(c->spec, "summarize"))
		decide_summary(c, k, out);
	else if (json_object_get(k, "not_python"))
		verdict_set(out, STATUS_FAIL, "'%s' is a %s, not a Python function", verdict_function_name(c),
			    json_string_value(json_object_get(k, "not_python")));
	else
		decide_facts(c, k, out);
}

static const char *validate_bytecode(const json_t *spec, const json_t *expect)
{
	static const char *const facts[] = { "opcodes", "no_opcodes", "globals", "no_globals", "consts" };
	size_t n_facts = 0;
	for (size_t i = 0; i < ARRAY_SIZE(facts); i++)
		n_facts += json_object_get(expect, facts[i]) != NULL;
	const char *which = json_string_value(json_object_get(spec, "summarize"));
	if (!which) {
		if (!n_facts)
			return "a bytecode check needs 'summarize' or a fact: 'opcodes', 'no_opcodes', 'globals', 'no_globals', 'consts'";
		if (json_object_get(spec, "source") || json_object_get(spec, "warmup") || json_object_get(spec, "args") ||
		    json_object_get(spec, "kwargs"))
			return "'source', 'warmup', 'args' and 'kwargs' go with 'summarize'";
		return NULL;
	}
	if (n_facts)
		return "a bytecode check takes 'summarize' or facts, not both";
	const char *fn = json_string_value(json_object_get(spec, "function"));
	const char *dot = strrchr(which, '.');
	if (json_object_get(spec, "source"))
		return dot ? "with 'source', 'summarize' names a function defined there, without a module" : NULL;
	if (!dot || !strrchr(fn, '.') || dot - which != strrchr(fn, '.') - fn || strncmp(which, fn, (size_t)(dot - which)))
		return "without 'source', 'summarize' names a function of the same module as 'function'";
	return NULL;
}

static const struct key_schema bytecode_keys[] = {
	{ "function", KEY_FUNCTION, TO_SPEC, true, NULL },
	{ "nested", KEY_BOOL, TO_SPEC, false, NULL },
	{ "opcodes", KEY_STRING_LIST, TO_EXPECT, false, NULL },
	{ "no_opcodes", KEY_STRING_LIST, TO_EXPECT, false, NULL },
	{ "globals", KEY_STRING_LIST, TO_EXPECT, false, NULL },
	{ "no_globals", KEY_STRING_LIST, TO_EXPECT, false, NULL },
	{ "consts", KEY_VALUE_LIST, TO_EXPECT, false, NULL },
	{ "summarize", KEY_STRING, TO_SPEC, false, NULL },
	{ "source", KEY_STRING, TO_SPEC, false, NULL },
	{ "args", KEY_VALUE_LIST, TO_SPEC, false, NULL },
	{ "kwargs", KEY_VALUE_MAP, TO_SPEC, false, NULL },
	{ "warmup", KEY_NUMBER, TO_SPEC, false, NULL },
	KIND_KEYS_END,
};

/* Facts are read from the code object: nothing is called.  A summary
 * calls 'function' on the function it summarizes, which it warms up first:
 * the student's own one, without 'source'. */
static bool bytecode_calls(const json_t *spec, const char *callable)
{
	const char *which = json_string_value(json_object_get(spec, "summarize"));
	const char *fn = json_string_value(json_object_get(spec, "function"));
	if (!which || !callable)
		return false;
	return (fn && !strcmp(fn, callable)) || (!json_object_get(spec, "source") && !strcmp(which, callable));
}

const struct kind_def kind_bytecode = {
	.name = "bytecode", .keys = bytecode_keys, .validate = validate_bytecode,
	.decide = decide_bytecode, .calls = bytecode_calls,
};
