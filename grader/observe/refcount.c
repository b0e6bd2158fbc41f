/*
 * kind_refcount.c - the student's reference count against Py_REFCNT read
 * in C, with 0..k extra references held by the grader.
 */
#include "observe/observe.h"
#include "py/fixtures.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "measure/allochook.h"
#include "measure/measure.h"
#include "py/pyhost.h"
#include "py/pyvalue.h"
#include "base/util.h"
#include "base/value.h"



/* Holds k extra references to obj the way the rubric asks.  Returns a new
 * reference to the holder (or None for k == 0). */
static PyObject *hold_refs(PyObject *obj, long k, const char *how)
{
	if (k == 0)
		Py_RETURN_NONE;
	if (!strcmp(how, "attribute")) {
		PyObject *holders = PyList_New(0); /* new */
		for (long i = 0; holders && i < k; i++) {
			PyObject *inst = PyObject_CallNoArgs(fixtures_object_class()); /* new */
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

/* The answer.  The count is graded apart from its type (the check
 * returns-int is about the type): an int subclass is read from its own
 * storage (no overridden method runs), and a float holding a whole number
 * is that number; "answer_type" records what it was. */
static void observe_count(json_t *c, PyObject *answer)
{
	bool whole_float = PyFloat_CheckExact(answer) && isfinite(PyFloat_AS_DOUBLE(answer)) &&
			   PyFloat_AS_DOUBLE(answer) == floor(PyFloat_AS_DOUBLE(answer)) &&
			   fabs(PyFloat_AS_DOUBLE(answer)) < 9e15;
	if ((!PyLong_Check(answer) || PyLong_CheckExact(answer)) && !whole_float) {
		observe_value(c, "answer", answer);
		return;
	}
	long long n = whole_float ? (long long)PyFloat_AS_DOUBLE(answer) : PyLong_AsLongLong(answer);
	if (n == -1 && PyErr_Occurred()) {
		PyErr_Clear();
		observe_value(c, "answer", answer);
		return;
	}
	char tn[128];
	pyvalue_type_name(answer, tn, sizeof(tn));
	json_object_set_new(c, "answer", json_integer((json_int_t)n));
	json_object_set_new(c, "answer_type", json_string(tn));
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
			observe_harness_error(c, "the case object is immortal");
			Py_DECREF(obj);
			continue;
		}
		PyObject *holder = hold_refs(obj, k, how ? how : "list"); /* new */
		if (!holder) {
			PyErr_Clear();
			observe_harness_error(c, "cannot hold the extra references");
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
			observe_count(c, answer);
		}
		Py_XDECREF(answer);
		Py_DECREF(holder);
		Py_DECREF(obj);
	}
}

const struct observer observer_refcount = {
	.observe = observe_refcount,
};
