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
#include "kinds.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "bytecode.h"
#include "observe.h"
#include "pyhost.h"
#include "pyvalue.h"
#include "util.h"
#include "value.h"
#include "verdict_kit.h"

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

/* ---- child ---- */

struct facts {
	json_t *opcodes;   /* {"OPNAME": count} over every visited code object */
	json_t *globals;   /* {"name": true} loaded with LOAD_GLOBAL */
	json_t *consts;    /* [encoded constant, ...] */
	json_t *codes;     /* ["squares_comp", "squares_comp.<locals>.<listcomp>"] */
	bool nested;
	int load_global;
};

static int fact_insn(PyCodeObject *code, const struct bytecode_insn *insn, void *payload)
{
	struct facts *f = payload;
	json_t *n = json_object_get(f->opcodes, insn->opname);
	json_object_set_new(f->opcodes, insn->opname, json_integer(n ? json_integer_value(n) + 1 : 1));
	/* 3.11+: LOAD_GLOBAL's low bit says "push NULL too"; the name is arg >> 1. */
	PyObject *names = code->co_names; /* borrowed */
	if (insn->op == f->load_global && PyTuple_Check(names) && (insn->arg >> 1) < PyTuple_GET_SIZE(names)) {
		const char *s = PyUnicode_AsUTF8(PyTuple_GET_ITEM(names, insn->arg >> 1));
		if (s)
			json_object_set_new(f->globals, s, json_true());
		PyErr_Clear();
	}
	return 0;
}

static int fact_code(PyCodeObject *code, int depth, void *payload)
{
	struct facts *f = payload;
	if (depth > 0 && !f->nested)
		return 0;
	const char *qn = PyUnicode_AsUTF8(code->co_qualname);
	json_array_append_new(f->codes, json_string(qn ? qn : "?"));
	PyErr_Clear();
	for (Py_ssize_t i = 0; PyTuple_Check(code->co_consts) && i < PyTuple_GET_SIZE(code->co_consts); i++) {
		PyObject *c = PyTuple_GET_ITEM(code->co_consts, i); /* borrowed */
		json_t *enc = NULL;
		char err[64];
		if (!PyCode_Check(c) && json_array_size(f->consts) < 1000 && pyvalue_encode(c, &enc, err, sizeof(err)) == 0)
			json_array_append_new(f->consts, enc);
	}
	return bytecode_walk(code, fact_insn, f) < 0 ? -1 : 0;
}

static void observe_facts(PyObject *func, const json_t *spec, json_t *obs)
{
	const json_t *nested = json_object_get(spec, "nested");
	struct facts f = { json_object(), json_object(), json_array(), json_array(), !json_is_false(nested),
			   bytecode_opcode("LOAD_GLOBAL") };
	/* The code that runs: PyFunction_GET_CODE, not a '__code__' lookup. */
	PyObject *code = Py_NewRef(PyFunction_GET_CODE(func)); /* new */
	if (bytecode_each_code((PyCodeObject *)code, fact_code, &f) < 0)
		observe_harness_error(obs, "cannot read the function's bytecode");
	json_t *globals = json_array();
	const char *name;
	json_t *v;
	json_object_foreach(f.globals, name, v)
		json_array_append_new(globals, json_string(name));
	json_object_set_new(obs, "opcodes", f.opcodes);
	json_object_set_new(obs, "globals", globals);
	json_object_set_new(obs, "consts", f.consts);
	json_object_set_new(obs, "codes", f.codes);
	json_decref(f.globals);
	Py_DECREF(code);
}

struct summary {
	json_t *total;   /* {"OPNAME": count} */
	json_t *codes;   /* [{"name": qualname, "depth": d, "counts": {...}}] */
};

static int summary_code(PyCodeObject *code, int depth, void *payload)
{
	struct summary *s = payload;
	json_t *counts = bytecode_counts(code);
	if (!counts)
		return -1;
	const char *qn = PyUnicode_AsUTF8(code->co_qualname);
	PyErr_Clear();
	json_array_append_new(s->codes, json_pack("{s:s, s:i, s:O}", "name", qn ? qn : "?", "depth", depth, "counts", counts));
	const char *name;
	json_t *n;
	json_object_foreach(counts, name, n) {
		json_t *t = json_object_get(s->total, name);
		json_object_set_new(s->total, name, json_integer((t ? json_integer_value(t) : 0) + json_integer_value(n)));
	}
	json_decref(counts);
	return 0;
}

/* Defines the grader's own input functions from the rubric's 'source', in
 * a fresh namespace.  Returns a new reference to the namespace, or NULL
 * with obs["harness_error"] set. */
static PyObject *define_inputs(const char *source, json_t *obs)
{
	json_t *error = NULL;
	PyObject *code = pyhost_compile(source, strlen(source), "<grader>", &error); /* new */
	PyObject *ns = NULL, *r = NULL;
	if (!code) {
		char *text = xasprintf("the rubric's source does not compile: %s",
				       str_or(json_string_value(json_object_get(error, "message")), "?"));
		observe_harness_error(obs, text);
		free(text);
		json_decref(error);
		return NULL;
	}
	ns = PyDict_New(); /* new */
	if (ns && PyDict_SetItemString(ns, "__builtins__", PyEval_GetBuiltins()) == 0 &&
	    PyDict_SetItemString(ns, "__name__", PyUnicode_FromString("grader_inputs")) == 0)
		r = PyEval_EvalCode(code, ns, ns); /* new */
	if (!r) {
		PyErr_Clear();
		Py_CLEAR(ns);
		observe_harness_error(obs, "the rubric's source raised while defining its functions");
	}
	Py_XDECREF(r);
	Py_DECREF(code);
	return ns;
}

/* Names in the student's answer that are not generic instruction names
 * here: specialized ones (adaptive=True) and unknown ones (renamed).
 * Only an exact dict with exact str keys is looked into. */
static void classify_keys(PyObject *answer, json_t *obs)
{
	if (!PyDict_CheckExact(answer))
		return;
	json_t *spec = json_array(), *unknown = json_array();
	PyObject *key, *val;
	Py_ssize_t pos = 0;
	while (PyDict_Next(answer, &pos, &key, &val)) {
		const char *s = PyUnicode_CheckExact(key) ? PyUnicode_AsUTF8(key) : NULL;
		if (!s) {
			PyErr_Clear();
			continue;
		}
		if (bytecode_is_specialized_name(s))
			json_array_append_new(spec, json_string(s));
		else if (!bytecode_is_generic_name(s) && json_array_size(unknown) < 20)
			json_array_append_new(unknown, json_string(s));
	}
	json_object_set_new(obs, "specialized_keys", spec);
	json_object_set_new(obs, "unknown_keys", unknown);
}

static void observe_summary(PyObject *module, PyObject *func, const json_t *spec, json_t *obs)
{
	PyObject *ns = NULL, *target = NULL, *code = NULL, *args = NULL, *kwargs = NULL, *answer = NULL;
	PyObject *held = NULL; /* new: the target, kept alive while student code runs */
	struct summary s = { json_object(), json_array() };
	const char *source = json_string_value(json_object_get(spec, "source"));
	const char *which = json_string_value(json_object_get(spec, "summarize"));
	if (source) {
		if (!(ns = define_inputs(source, obs)))
			goto done;
		target = PyDict_GetItemString(ns, which); /* borrowed */
		if (!target) {
			observe_harness_error(obs, "the rubric's source defines no such function");
			goto done;
		}
	} else {
		json_t *tobs = json_object();
		target = observe_function(module, which, tobs); /* borrowed */
		json_object_update(obs, tobs);
		json_decref(tobs);
		if (!target)
			goto done;
	}
	if (!PyFunction_Check(target)) {
		char tn[128];
		pyvalue_type_name(target, tn, sizeof(tn));
		json_object_set_new(obs, "not_python", json_string(tn));
		goto done;
	}
	held = Py_NewRef(target);
	/* Warm up: enough calls for the adaptive interpreter to specialize. */
	long warmup = (long)json_number_value(json_object_get(spec, "warmup"));
	if (warmup > 0 && observe_build_args(spec, obs, &args, &kwargs) < 0)
		goto done;
	for (long i = 0; i < warmup; i++) {
		PyObject *r = PyObject_Call(target, args, kwargs); /* new */
		if (!r) {
			observe_exception(obs, "warmup_exception");
			json_object_set_new(obs, "warmup_calls", json_integer(i));
			break;
		}
		Py_DECREF(r);
	}
	/* The truth, from the code object as it is now, before the student's
	 * function could do anything to it. */
	code = Py_NewRef(PyFunction_GET_CODE(target)); /* new */
	if (bytecode_each_code((PyCodeObject *)code, summary_code, &s) < 0) {
		observe_harness_error(obs, "cannot read the function's bytecode");
		goto done;
	}
	json_object_set(obs, "expected", s.total);
	json_object_set(obs, "codes", s.codes);
	answer = PyObject_CallOneArg(func, target); /* new */
	if (!answer) {
		observe_exception(obs, "exception");
		goto done;
	}
	observe_value(obs, "returns", answer);
	classify_keys(answer, obs);
done:
	json_object_set_new(obs, "python", json_sprintf("%d.%d", pyhost.major, pyhost.minor));
	json_decref(s.total);
	json_decref(s.codes);
	Py_XDECREF(answer);
	Py_XDECREF(code);
	Py_XDECREF(args);
	Py_XDECREF(kwargs);
	Py_XDECREF(held);
	Py_XDECREF(ns);
}

static void observe_bytecode(PyObject *module, const json_t *spec, json_t *obs)
{
	PyObject *func = observe_function(module, json_string_value(json_object_get(spec, "function")), obs);
	if (!func)
		return;
	if (json_object_get(spec, "summarize")) {
		observe_summary(module, func, spec, obs);
		return;
	}
	if (!PyFunction_Check(func)) {
		char tn[128];
		pyvalue_type_name(func, tn, sizeof(tn));
		json_object_set_new(obs, "not_python", json_string(tn));
		return;
	}
	observe_facts(func, spec, obs);
}

/* ---- controller ---- */

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
		verdict_set(out, STATUS_PASS, "%s matches the grader's count over %zu code object%s", call,
			    json_array_size(json_object_get(k, "codes")),
			    json_array_size(json_object_get(k, "codes")) == 1 ? "" : "s");
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
	const char *herr = json_string_value(json_object_get(k, "harness_error"));
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
	{ NULL, 0, 0, 0, NULL },
};

const struct kind_def kind_bytecode = {
	.name = "bytecode", .keys = bytecode_keys, .validate = validate_bytecode, .observe = observe_bytecode,
	.decide = decide_bytecode,
};
