/*
 * kind_refcount.c - the student's reference count against Py_REFCNT read
 * in C, with 0..k extra references held by the grader.
 */
#include "kinds.h"

#include <stdlib.h>
#include <string.h>

#include "allochook.h"
#include "measure.h"
#include "observe.h"
#include "pyhost.h"
#include "util.h"
#include "value.h"
#include "verdict_kit.h"

/* ---- child ---- */

/* Holds k extra references to obj the way the rubric asks.  Returns a new
 * reference to the holder (or None for k == 0). */
static PyObject *hold_refs(PyObject *obj, long k, const char *how)
{
	if (k == 0)
		Py_RETURN_NONE;
	if (!strcmp(how, "attribute")) {
		PyObject *holders = PyList_New(0); /* new */
		for (long i = 0; holders && i < k; i++) {
			PyObject *inst = PyObject_CallNoArgs(pyhost_fixture_class()); /* new */
			if (!inst || PyObject_SetAttrString(inst, "held", obj) < 0 || PyList_Append(holders, inst) < 0)
				Py_CLEAR(holders);
			Py_XDECREF(inst);
		}
		return holders;
	}
	if (!strcmp(how, "dict")) {
		PyObject *d = PyDict_New(); /* new */
		for (long i = 0; d && i < k; i++) {
			PyObject *key = PyLong_FromLong(i); /* new */
			if (!key || PyDict_SetItem(d, key, obj) < 0)
				Py_CLEAR(d);
			Py_XDECREF(key);
		}
		return d;
	}
	PyObject *list = PyList_New(k); /* new */
	for (long i = 0; list && i < k; i++)
		PyList_SET_ITEM(list, i, Py_NewRef(obj));
	return list;
}

static void observe_refcount(PyObject *module, const json_t *spec, json_t *obs)
{
	PyObject *func = observe_function(module, json_string_value(json_object_get(spec, "function")), obs);
	if (!func)
		return;
	const char *how = json_string_value(json_object_get(spec, "hold"));
	json_t *extra = json_object_get(spec, "extra_refs");
	json_t *cases = json_array();
	json_object_set_new(obs, "cases", cases);
	json_object_set_new(obs, "offset", json_integer(pyhost.refcount_call_offset));
	bool balance = !strcmp(str_or(json_string_value(json_object_get(spec, "compare")), ""), "balance");
	size_t n = extra ? json_array_size(extra) : 1;
	for (size_t i = 0; i < n; i++) {
		long k = extra ? (long)json_integer_value(json_array_get(extra, i)) : 0;
		json_t *c = json_pack("{s:i}", "extra", (json_int_t)k);
		json_array_append_new(cases, c);
		char err[256];
		PyObject *obj = observe_build(json_object_get(spec, "object"), err, sizeof(err)); /* new */
		if (!obj) {
			observe_harness_error(c, err);
			continue;
		}
		if (measure_immortal(obj)) {
			json_object_set_new(c, "harness_error", json_string("the case object is immortal"));
			Py_DECREF(obj);
			continue;
		}
		PyObject *holder = hold_refs(obj, k, how ? how : "list"); /* new */
		if (!holder) {
			PyErr_Clear();
			json_object_set_new(c, "harness_error", json_string("cannot hold the extra references"));
			Py_DECREF(obj);
			continue;
		}
		/* Ground truth: what the reference implementation sees, which is the
		 * count before the call plus the call path's offset (calibrated at
		 * start-up with the very same PyObject_CallOneArg). */
		Py_ssize_t before = Py_REFCNT(obj), func_before = Py_REFCNT(func);
		/* The allocator hook only tells, for the balance, whether the result
		 * is a fresh object (allocated during the call); it changes no count. */
		bool hooked = balance && allochook_install() == 0;
		PyObject *answer = PyObject_CallOneArg(func, obj); /* new */
		Py_ssize_t after = Py_REFCNT(obj), func_after = Py_REFCNT(func);
		bool fresh = hooked && answer && answer != obj && allochook_holds(answer);
		if (hooked)
			allochook_uninstall();
		json_object_set_new(c, "before", json_integer((json_int_t)before));
		json_object_set_new(c, "truth", json_integer((json_int_t)before + pyhost.refcount_call_offset));
		json_object_set_new(c, "after", json_integer((json_int_t)(after - (answer == obj))));
		json_object_set_new(c, "callable_delta", json_integer((json_int_t)(func_after - func_before)));
		if (fresh)   /* the grader's reference is the only one it should have */
			json_object_set_new(c, "fresh_result_refs", json_integer((json_int_t)Py_REFCNT(answer)));
		if (!answer) {
			observe_exception(c, "exception");
		} else {
			observe_value(c, "answer", answer);
		}
		Py_XDECREF(answer);
		Py_DECREF(holder);
		Py_DECREF(obj);
	}
}

/* ---- controller ---- */

static const char *holder_text(const struct check *c)
{
	const char *how = json_string_value(json_object_get(c->spec, "hold"));
	return !how || !strcmp(how, "list") ? "in a list" : !strcmp(how, "dict") ? "in a dict" : "in attributes";
}

/* compare: balance.  What the call left changed in the counts of its
 * argument, the callable and a fresh result, or NULL when nothing. */
static char *balance_problem(const struct check *c, const json_t *cs, const char *obj)
{
	const char *fn = verdict_function_name(c);
	json_int_t before = json_integer_value(json_object_get(cs, "before"));
	json_int_t moved = json_integer_value(json_object_get(cs, "after")) - before;
	json_int_t callable = json_integer_value(json_object_get(cs, "callable_delta"));
	const json_t *fresh = json_object_get(cs, "fresh_result_refs");
	if (moved > 0)
		return xasprintf("%s keeps %s to its argument: after %s(%s) its count is %d, it was %d",
				 fn, moved == 1 ? "a reference" : "references", fn, obj, (int)(before + moved), (int)before);
	if (moved < 0)
		return xasprintf("%s steals %s to its argument: after %s(%s) its count is %d, it was %d",
				 fn, moved == -1 ? "a reference" : "references", fn, obj, (int)(before + moved), (int)before);
	if (callable > 0)
		return xasprintf("%s keeps %d more reference%s to itself after %s(%s)", fn, (int)callable,
				 callable == 1 ? "" : "s", fn, obj);
	if (fresh && json_integer_value(fresh) > 1)
		return xasprintf("%s keeps a reference to its result: the fresh object %s(%s) returned is referenced %d "
				 "times, only the caller's reference should remain", fn, fn, obj, (int)json_integer_value(fresh));
	return NULL;
}

static void decide_refcount(const struct check *c, const json_t *result, const json_t *k, struct check_result *out)
{
	(void)result;
	if (!verdict_function_found(c, k, out))
		return;
	const json_t *cases = json_object_get(k, "cases");
	const char *compare = str_or(json_string_value(json_object_get(c->spec, "compare")), "exact");
	bool delta = !strcmp(compare, "delta"), balance = !strcmp(compare, "balance");
	size_t n = json_array_size(cases), passed = 0;
	char *first_problem = NULL;
	long common_diff = 0;
	bool same_diff = true, wrong_type = false;
	enum check_status worst = STATUS_FAIL;
	json_int_t base_answer = 0, base_extra = 0;
	char *obj = value_repr(json_object_get(c->spec, "object"), 60);

	for (size_t i = 0; i < n; i++) {
		const json_t *cs = json_array_get(cases, i);
		json_int_t extra = json_integer_value(json_object_get(cs, "extra"));
		char *problem = NULL;
		const json_t *exc = json_object_get(cs, "exception");
		const json_t *ans = json_object_get(cs, "answer");
		const char *herr = json_string_value(json_object_get(cs, "harness_error"));
		if (herr) {
			problem = xasprintf("grader error: %s", herr);
			worst = STATUS_ERROR;
		} else if (exc) {
			char *what = verdict_describe_exception(exc);
			problem = xasprintf("%s(%s) raised %s", verdict_function_name(c), obj, what);
			free(what);
			if (json_is_true(json_object_get(exc, "memory_error")))
				worst = STATUS_MEMORY;
		} else if (balance) {
			problem = balance_problem(c, cs, obj);
			if (!problem)
				passed++;
		} else if (!ans || !json_is_integer(ans)) {
			char *got = ans ? value_repr(ans, 60) : xstrdup("?");
			problem = xasprintf("%s(%s) returned %s, a %s, not an int", verdict_function_name(c), obj, got,
					    ans ? value_type_name(ans) : str_or(json_string_value(json_object_get(cs, "type")), "?"));
			free(got);
			wrong_type = true;
		} else {
			json_int_t a = json_integer_value(ans);
			json_int_t truth = json_integer_value(json_object_get(cs, "truth"));
			bool ok;
			long diff;
			if (delta) {
				if (i == 0) {
					base_answer = a;
					base_extra = extra;
				}
				diff = (long)((a - base_answer) - (extra - base_extra));
				ok = diff == 0;
			} else {
				diff = (long)(a - truth);
				ok = diff == 0;
			}
			if (ok) {
				passed++;
			} else {
				if (delta)
					problem = xasprintf("with %d extra references %s, %s(%s) grew by %d instead of %d",
							    (int)extra, holder_text(c), verdict_function_name(c), obj,
							    (int)(a - base_answer), (int)(extra - base_extra));
				else
					problem = xasprintf("with %d extra reference%s %s, %s(%s) returned %d; the true count is %d (off by %+ld)",
							    (int)extra, extra == 1 ? "" : "s", holder_text(c), verdict_function_name(c), obj,
							    (int)a, (int)truth, diff);
				if (common_diff == 0)
					common_diff = diff;
				else if (common_diff != diff)
					same_diff = false;
			}
		}
		if (problem && !first_problem)
			first_problem = problem;
		else
			free(problem);
	}
	if (n && passed == n) {
		if (balance)
			verdict_set(out, STATUS_PASS, "%s(%s) leaves the counts of its argument, itself and its result as they "
				    "were in all %zu case%s", verdict_function_name(c), obj, n, n == 1 ? "" : "s");
		else
			verdict_set(out, STATUS_PASS, "%s(%s) is right in all %zu case%s", verdict_function_name(c), obj, n,
				    n == 1 ? "" : "s");
	} else {
		verdict_set(out, worst, "%s", first_problem ? first_problem : "no cases ran");
		if (c->partial && n && worst == STATUS_FAIL)
			out->score = out->max_score * (double)passed / (double)n;
		const char *text = NULL;
		if (wrong_type)
			text = verdict_feedback_text(c, "wrong_type");
		if (!text && same_diff && common_diff) {
			char key[32];
			snprintf(key, sizeof(key), "%+ld", common_diff);
			text = json_string_value(json_object_get(json_object_get(c->feedback, "off_by"), key));
		}
		verdict_choose_feedback(out, text ? text : verdict_feedback_text(c, "fail"));
	}
	free(first_problem);
	free(obj);
}

static const struct key_schema refcount_keys[] = {
	{ "function", KEY_FUNCTION, TO_SPEC, true, NULL },
	{ "object", KEY_VALUE, TO_SPEC, true, NULL },
	{ "extra_refs", KEY_INT_LIST, TO_SPEC, false, NULL },
	{ "hold", KEY_STRING, TO_SPEC, false, "list|attribute|dict" },
	/* In the spec: the child installs the allocator hook only for a balance. */
	{ "compare", KEY_STRING, TO_SPEC, false, "exact|delta|balance" },
	{ NULL, 0, 0, 0, NULL },
};

const struct kind_def kind_refcount = {
	.name = "refcount", .keys = refcount_keys, .validate = NULL, .observe = observe_refcount,
	.decide = decide_refcount,
};
