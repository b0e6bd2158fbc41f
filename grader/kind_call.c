/*
 * kind_call.c - call a student function with arguments the grader builds
 * and compare what it returns (or raises) and prints.
 */
#include "kinds.h"

#include <stdlib.h>
#include <string.h>

#include "observe.h"
#include "pyhost.h"
#include "util.h"
#include "value.h"
#include "verdict_kit.h"

/* ---- child ---- */

static void observe_call(PyObject *module, const json_t *spec, json_t *obs)
{
	PyObject *args = NULL, *kwargs = NULL, *result = NULL;
	PyObject *func = observe_function(module, json_string_value(json_object_get(spec, "function")), obs);
	if (!func)
		return;
	if (observe_build_args(spec, obs, &args, &kwargs) < 0)
		return;
	double t0 = now_seconds();
	result = PyObject_Call(func, args, kwargs); /* new */
	json_object_set_new(obs, "seconds", json_real(now_seconds() - t0));
	if (!result) {
		observe_exception(obs, "exception");
		goto done;
	}
	observe_value(obs, "returns", result);
done:
	Py_XDECREF(result);
	Py_XDECREF(args);
	Py_XDECREF(kwargs);
}

/* ---- controller ---- */

static void decide_call(const struct check *c, const json_t *result, const json_t *k, struct check_result *out)
{
	if (!verdict_function_found(c, k, out))
		return;
	char *args = verdict_args_text(c);
	char *call = xasprintf("%s(%s)", verdict_function_name(c), args);
	free(args);
	const json_t *exc = json_object_get(k, "exception");
	const char *raises = json_string_value(json_object_get(c->expect, "raises"));
	const json_t *returns = json_object_get(k, "returns");
	const char *herr = json_string_value(json_object_get(k, "harness_error"));
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
			verdict_set(out, STATUS_FAIL, "%s returned %s, a %s, not a %s", call, got, got_type, want_type);
			verdict_choose_feedback(out, str_or(verdict_feedback_text(c, "wrong_type"), verdict_feedback_text(c, "fail")));
		} else if (want && !(tol > 0 ? value_close(want, returns, tol, 0) : value_equal(want, returns))) {
			char *exp = value_repr(want, 120);
			const char *exp_type = value_type_name(want);
			if (strcmp(exp_type, got_type)) {
				verdict_set(out, STATUS_FAIL, "%s returned %s (a %s), expected %s (a %s)", call, got,
					    got_type, exp, exp_type);
				verdict_choose_feedback(out, str_or(verdict_feedback_text(c, "wrong_type"), verdict_feedback_text(c, "fail")));
			} else {
				verdict_set(out, STATUS_FAIL, "%s returned %s, expected %s", call, got, exp);
			}
			free(exp);
		} else {
			verdict_set(out, STATUS_PASS, "%s returned %s", call, got);
		}
		free(got);
	}
	free(call);
	verdict_output(c, result, "stdout_call", "the call", out);
}

static const char *validate_call(const json_t *spec, const json_t *expect)
{
	(void)spec;
	if (json_object_get(expect, "returns") && json_object_get(expect, "raises"))
		return "a call check takes 'returns' or 'raises', not both";
	return NULL;
}

static const struct key_schema call_keys[] = {
	{ "function", KEY_FUNCTION, TO_SPEC, true, NULL },
	{ "args", KEY_VALUE_LIST, TO_SPEC, false, NULL },
	{ "kwargs", KEY_VALUE_MAP, TO_SPEC, false, NULL },
	{ "returns", KEY_VALUE, TO_EXPECT, false, NULL },
	{ "returns_type", KEY_STRING, TO_EXPECT, false, NULL },
	{ "raises", KEY_STRING, TO_EXPECT, false, NULL },
	{ "tolerance", KEY_NUMBER, TO_EXPECT, false, NULL },
	{ "stdout", KEY_OUTPUT, TO_EXPECT, false, NULL },
	{ NULL, 0, 0, 0, NULL },
};

const struct kind_def kind_call = {
	.name = "call", .keys = call_keys, .validate = validate_call, .observe = observe_call,
	.decide = decide_call,
};
