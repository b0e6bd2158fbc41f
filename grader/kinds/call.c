/*
 * kind_call.c - call a student function with arguments the grader builds
 * and compare what it returns (or raises) and prints: exact values with
 * strict types, identity (an argument or a grader fixture returned as is),
 * predicates on a returned dict, attributes of a returned object, and
 * answers against the grader's own computation on the very same input
 * ('truth', computed in the child, compared in the controller).
 */
#include "base/wire.h"
#include "kinds/kind.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/value.h"
#include "kinds/verdict_kit.h"

/* The value under string key 'key' of an encoded dict, or NULL. */
static const json_t *dict_get(const json_t *dict, const char *key)
{
	size_t i;
	const json_t *pair;
	json_array_foreach(json_object_get(dict, "$dict"), i, pair) {
		const json_t *k = json_array_get(pair, 0);
		if (json_is_string(k) && !strcmp(json_string_value(k), key))
			return json_array_get(pair, 1);
	}
	return NULL;
}

static bool is_number(const json_t *v)
{
	return json_is_integer(v) || json_is_real(v);
}

/* NULL when the encoded value 'v' satisfies the predicate
 * {keys, exact_keys, types, ranges}; else what is wrong (caller frees). */
static char *dict_problem(const json_t *pred, const json_t *v)
{
	if (!json_object_get(v, "$dict") || json_object_size(v) != 1)
		return xasprintf("is a %s, not a dict", value_type_name(v));
	size_t i;
	const json_t *k;
	json_array_foreach(json_object_get(pred, "keys"), i, k)
		if (!dict_get(v, json_string_value(k)))
			return xasprintf("has no key '%s'", json_string_value(k));
	if (json_is_true(json_object_get(pred, "exact_keys"))) {
		const json_t *pair;
		json_array_foreach(json_object_get(v, "$dict"), i, pair) {
			const json_t *key = json_array_get(pair, 0);
			bool listed = false;
			size_t j;
			json_array_foreach(json_object_get(pred, "keys"), j, k)
				listed = listed || value_equal(key, k);
			if (!listed) {
				char *r = value_repr(key, 40);
				char *msg = xasprintf("has an unexpected key %s", r);
				free(r);
				return msg;
			}
		}
	}
	const char *name;
	const json_t *want;
	json_object_foreach((json_t *)json_object_get(pred, "types"), name, want) {
		const json_t *got = dict_get(v, name);
		if (got && strcmp(value_type_name(got), json_string_value(want)))
			return xasprintf("has '%s' of type %s, not %s", name, value_type_name(got), json_string_value(want));
	}
	json_object_foreach((json_t *)json_object_get(pred, "ranges"), name, want) {
		const json_t *got = dict_get(v, name);
		if (!got)
			continue;
		const json_t *lo = json_array_get(want, 0), *hi = json_array_get(want, 1);
		if (!is_number(got) || json_is_true(got) || json_is_false(got))
			return xasprintf("has '%s' that is not a number", name);
		double x = json_number_value(got);
		if ((is_number(lo) && x < json_number_value(lo)) || (is_number(hi) && x > json_number_value(hi))) {
			char *r = value_repr(got, 40);
			char *msg = is_number(lo) && is_number(hi)
				? xasprintf("has '%s' = %s, outside [%g, %g]", name, r, json_number_value(lo), json_number_value(hi))
				: is_number(lo) ? xasprintf("has '%s' = %s, below %g", name, r, json_number_value(lo))
				: xasprintf("has '%s' = %s, above %g", name, r, json_number_value(hi));
			free(r);
			return msg;
		}
	}
	return NULL;
}

/* The returned object's attributes against 'attributes' (values, or
 * !fixture for identity) and 'attributes_dict' (dict predicates).  False
 * with the verdict set when one is wrong. */
static bool attributes_ok(const struct check *c, const json_t *k, const char *call, struct check_result *out)
{
	const json_t *attrs = json_object_get(k, "attributes");
	const char *keys[] = { "attributes", "attributes_dict" };
	for (size_t n = 0; n < 2; n++) {
		const char *name;
		const json_t *want;
		json_object_foreach((json_t *)json_object_get(c->expect, keys[n]), name, want) {
			const json_t *a = json_object_get(attrs, name);
			const json_t *got = json_object_get(a, "value");
			char *problem = NULL;
			if (json_is_true(json_object_get(a, "missing"))) {
				problem = xstrdup("does not exist");
			} else if (json_object_get(a, "exception")) {
				char *what = verdict_describe_exception(json_object_get(a, "exception"));
				problem = xasprintf("raised %s when read", what);
				free(what);
			} else if (!got) {
				problem = xasprintf("is a %s the grader cannot compare",
						    str_or(json_string_value(json_object_get(a, "type")), "?"));
			} else if (n == 1) {
				problem = dict_problem(want, got);
			} else if (!value_equal(want, got)) {
				char *g = value_repr(got, 60), *w = value_repr(want, 60);
				problem = json_object_get(want, "$fixture")
					? xasprintf("is %s, not the very object %s", g, w)
					: xasprintf("is %s, expected %s", g, w);
				free(g);
				free(w);
			}
			if (problem) {
				verdict_set(out, STATUS_FAIL, "the result of %s: its attribute '%s' %s", call, name, problem);
				free(problem);
				return false;
			}
		}
	}
	return true;
}

/* A returned value that passed 'returns'/'returns_type': the other
 * predicates, in the order a student would fix them. */
static void decide_predicates(const struct check *c, const json_t *k, const json_t *returns, const char *call,
			      struct check_result *out)
{
	const json_t *truth = json_object_get(k, "truth");
	if (json_object_get(c->spec, "truth")) {
		char *got = value_repr(returns, 60);
		if (json_is_true(json_object_get(k, "truth_changed"))) {
			verdict_set(out, STATUS_FAIL, "%s changed the object it was given", call);
		} else if (!json_is_integer(returns)) {
			verdict_set(out, STATUS_FAIL, "%s returned %s, a %s, not an int", call, got, value_type_name(returns));
			verdict_choose_feedback(out, str_or(verdict_feedback_text(c, "wrong_type"), verdict_feedback_text(c, "fail")));
		} else if (!json_equal((json_t *)returns, (json_t *)truth)) {
			json_int_t a = json_integer_value(returns), t = json_integer_value(truth);
			verdict_set(out, STATUS_FAIL, "%s returned %s; the grader's walk gives %lld (off by %+lld)", call, got,
				    (long long)t, (long long)(a - t));
		}
		free(got);
		if (out->status != STATUS_PASS)
			return;
	}
	const json_t *want_arg = json_object_get(c->expect, "returns_arg");
	if (want_arg) {
		json_int_t want = (json_int_t)json_number_value(want_arg);
		const json_t *got = json_object_get(k, "returned_arg");
		if (!got || json_integer_value(got) != want) {
			verdict_set(out, STATUS_FAIL, "%s did not return its argument %d itself (the very same object)%s", call,
				    (int)want, got ? "" : ": it returned a different object");
			return;
		}
	}
	const json_t *pred = json_object_get(c->expect, "returns_dict");
	if (pred) {
		char *problem = dict_problem(pred, returns);
		if (problem) {
			char *got = value_repr(returns, 80);
			verdict_set(out, STATUS_FAIL, "%s returned %s, which %s", call, got, problem);
			free(got);
			free(problem);
			return;
		}
	}
	attributes_ok(c, k, call, out);
}

static void decide_call(const struct check *c, const json_t *result, const json_t *k, struct check_result *out)
{
	if (!verdict_function_found(c, k, out))
		return;
	char *call = verdict_call_text(c);
	const json_t *exc = json_object_get(k, "exception");
	const char *raises = json_string_value(json_object_get(c->expect, "raises"));
	const json_t *returns = json_object_get(k, "returns");
	const char *herr = wire_harness_error(k);
	if (herr) {
		verdict_set(out, STATUS_ERROR, "grader error: %s", herr);
	} else if (exc) {
		const char *type = str_or(json_string_value(json_object_get(exc, "type")), "");
		if (raises && !strcmp(type, raises)) {
			verdict_set(out, STATUS_PASS, "%s raised %s as expected", call, raises);
		} else {
			char *during = xasprintf("calling %s", call);
			verdict_exception(c, exc, during, out);
			if (out->status == STATUS_ERROR)
				out->status = STATUS_FAIL;
			/* The rubric's "fail" text is about wrong answers, not crashes. */
			verdict_choose_feedback(out, verdict_feedback_text(c, "error"));
			free(during);
		}
	} else if (raises) {
		char *got = returns ? value_repr(returns, 80) : xstrdup("a value");
		verdict_set(out, STATUS_FAIL, "%s returned %s instead of raising %s", call, got, raises);
		free(got);
	} else if (!returns) {
		verdict_set(out, STATUS_FAIL, "%s returned a value the grader cannot compare: %s", call,
			    str_or(json_string_value(json_object_get(k, "unencodable")), "?"));
	} else {
		const json_t *want = json_object_get(c->expect, "returns");
		const char *want_type = json_string_value(json_object_get(c->expect, "returns_type"));
		const char *got_type = value_type_name(returns);
		double tol = json_number_value(json_object_get(c->expect, "tolerance"));
		char *got = value_repr(returns, 120);
		if (want_type && strcmp(want_type, got_type)) {
			verdict_set(out, STATUS_FAIL, "%s returned %s, a %s, not %s %s", call, got, got_type,
				    want_type[0] && strchr("aeiou", want_type[0]) ? "an" : "a", want_type);
			verdict_choose_feedback(out, str_or(verdict_feedback_text(c, "wrong_type"), verdict_feedback_text(c, "fail")));
		} else if (want && !(tol > 0 ? value_close(want, returns, tol, 0) : value_equal(want, returns))) {
			char *exp = value_repr(want, 120);
			const char *exp_type = value_type_name(want);
			if (json_object_get(want, "$fixture")) {
				verdict_set(out, STATUS_FAIL, "%s returned %s, not the very object %s", call, got, exp);
			} else if (strcmp(exp_type, got_type)) {
				verdict_set(out, STATUS_FAIL, "%s returned %s (a %s), expected %s (a %s)", call, got,
					    got_type, exp, exp_type);
				verdict_choose_feedback(out, str_or(verdict_feedback_text(c, "wrong_type"), verdict_feedback_text(c, "fail")));
			} else {
				verdict_set(out, STATUS_FAIL, "%s returned %s, expected %s", call, got, exp);
			}
			free(exp);
		} else {
			verdict_set(out, STATUS_PASS, "%s returned %s", call, got);
			decide_predicates(c, k, returns, call, out);
		}
		free(got);
	}
	free(call);
	verdict_output(c, result, "stdout_call", "the call", out);
	verdict_output_key(c, result, "stderr", "stderr", "the check (on stderr)", out);
}

/* A dict predicate: {keys: [...], exact_keys: bool, types: {k: name},
 * ranges: {k: [low or null, high or null]}}. */
static const char *validate_dict_predicate(const json_t *p)
{
	static const char *const known[] = { "keys", "exact_keys", "types", "ranges", NULL };
	const char *key;
	const json_t *v;
	if (!json_is_object(p))
		return "a dict predicate is a mapping with keys, exact_keys, types, ranges";
	json_object_foreach((json_t *)p, key, v) {
		bool ok = false;
		for (size_t i = 0; known[i]; i++)
			ok = ok || !strcmp(known[i], key);
		if (!ok)
			return "a dict predicate takes only keys, exact_keys, types and ranges";
	}
	size_t i;
	const json_t *item;
	json_array_foreach(json_object_get(p, "keys"), i, item)
		if (!json_is_string(item))
			return "'keys' of a dict predicate must be a list of strings";
	if ((v = json_object_get(p, "keys")) && !json_is_array(v))
		return "'keys' of a dict predicate must be a list of strings";
	if ((v = json_object_get(p, "exact_keys")) && !json_is_boolean(v))
		return "'exact_keys' must be true or false";
	json_object_foreach((json_t *)json_object_get(p, "types"), key, v)
		if (!json_is_string(v))
			return "'types' maps keys to type names such as int";
	json_object_foreach((json_t *)json_object_get(p, "ranges"), key, v)
		if (!json_is_array(v) || json_array_size(v) != 2 ||
		    !(json_is_null(json_array_get(v, 0)) || is_number(json_array_get(v, 0))) ||
		    !(json_is_null(json_array_get(v, 1)) || is_number(json_array_get(v, 1))))
			return "'ranges' maps keys to [low, high] (numbers, or null for no bound)";
	return NULL;
}

static const char *validate_call(const json_t *spec, const json_t *expect)
{
	if (json_object_get(expect, "returns") && json_object_get(expect, "raises"))
		return "a call check takes 'returns' or 'raises', not both";
	if (json_object_get(spec, "truth") && json_object_get(expect, "returns"))
		return "a call check takes 'returns' or 'truth', not both";
	const json_t *arg = json_object_get(expect, "returns_arg");
	if (arg) {
		double d = json_number_value(arg);
		if (d < 0 || floor(d) != d || d >= (double)json_array_size(json_object_get(spec, "args")))
			return "'returns_arg' must be the index of one of 'args' (0 for the first)";
	}
	const char *problem = NULL;
	if (json_object_get(expect, "returns_dict"))
		problem = validate_dict_predicate(json_object_get(expect, "returns_dict"));
	const json_t *ad = json_object_get(expect, "attributes_dict");
	if (ad && !json_is_object(ad))
		return "'attributes_dict' maps attribute names to dict predicates";
	const char *name;
	const json_t *p;
	json_object_foreach((json_t *)ad, name, p)
		if (!problem)
			problem = validate_dict_predicate(p);
	return problem;
}

static const struct key_schema call_keys[] = {
	KIND_CALL_KEYS,
	{ "returns", KEY_VALUE, TO_EXPECT, false, NULL },
	{ "returns_type", KEY_STRING, TO_EXPECT, false, NULL },
	{ "raises", KEY_STRING, TO_EXPECT, false, NULL },
	{ "tolerance", KEY_NUMBER, TO_EXPECT, false, NULL },
	{ "returns_arg", KEY_NUMBER, TO_EXPECT, false, NULL },
	{ "returns_dict", KEY_ANY, TO_EXPECT, false, NULL },
	{ "attributes", KEY_VALUE_MAP, TO_NAMES, false, NULL },
	{ "attributes_dict", KEY_ANY, TO_NAMES, false, NULL },
	{ "truth", KEY_STRING, TO_SPEC, false, "deepsize" },
	KIND_STDOUT_KEY,
	{ "stderr", KEY_OUTPUT, TO_EXPECT, false, NULL },
	KIND_KEYS_END,
};

KIND_DEF(call, validate_call);
