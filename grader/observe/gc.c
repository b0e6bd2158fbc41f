/*
 * kind_gc.c - the cyclic garbage collector around a student's call: the
 * objects gc.collect() finds after the grader made cycles (their number
 * is known), gc.garbage, and gc's state (enabled, thresholds, debug flags,
 * callbacks) as the call left it.
 *
 * The observer reads gc through C (PyGC_*) and through gc's functions and
 * lists captured in the zygote (fixtures.h), so rebinding gc.collect or
 * gc.callbacks changes nothing it reads.  It restores the state it found
 * before the call, whatever the student did, so later checks in the same
 * process start from the same collector.
 */
#include "observe/observe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "py/fixtures.h"
#include "base/util.h"
#include "base/value.h"

#define GC_MAX_CYCLES 200



struct gc_state {
	int enabled;
	PyObject *threshold; /* new: a tuple */
	PyObject *debug;     /* new: an int */
	PyObject *callbacks; /* new: a copy of the list's items */
	PyObject *garbage;   /* new: a copy of gc.garbage's items */
};

static void gc_state_release(struct gc_state *s)
{
	Py_CLEAR(s->threshold);
	Py_CLEAR(s->debug);
	Py_CLEAR(s->callbacks);
	Py_CLEAR(s->garbage);
}

static int gc_state_read(struct gc_state *s)
{
	memset(s, 0, sizeof(*s));
	s->enabled = PyGC_IsEnabled();
	s->threshold = PyObject_CallNoArgs(fixtures_gc("get_threshold"));
	s->debug = PyObject_CallNoArgs(fixtures_gc("get_debug"));
	s->callbacks = PySequence_List(fixtures_gc("callbacks"));
	s->garbage = PySequence_List(fixtures_gc("garbage"));
	if (!s->threshold || !s->debug || !s->callbacks || !s->garbage) {
		PyErr_Clear();
		gc_state_release(s);
		return -1;
	}
	return 0;
}

/* Puts gc back as 's' found it: the captured lists are the ones the
 * collector really uses, whatever gc.callbacks is bound to now. */
static void gc_state_restore(const struct gc_state *s)
{
	PyObject *r = PyObject_Call(fixtures_gc("set_threshold"), s->threshold, NULL); /* new */
	Py_XDECREF(r);
	r = PyObject_CallOneArg(fixtures_gc("set_debug"), s->debug); /* new */
	Py_XDECREF(r);
	PyList_SetSlice(fixtures_gc("callbacks"), 0, PY_SSIZE_T_MAX, s->callbacks);
	PyList_SetSlice(fixtures_gc("garbage"), 0, PY_SSIZE_T_MAX, s->garbage);
	if (s->enabled)
		PyGC_Enable();
	else
		PyGC_Disable();
	PyErr_Clear();
}

static bool same_items(PyObject *a, PyObject *b)
{
	if (PyList_GET_SIZE(a) != PyList_GET_SIZE(b))
		return false;
	for (Py_ssize_t i = 0; i < PyList_GET_SIZE(a); i++)
		if (PyList_GET_ITEM(a, i) != PyList_GET_ITEM(b, i))
			return false;
	return true;
}

static json_t *state_json(const struct gc_state *s, const struct gc_state *before)
{
	json_t *th = json_array();
	for (Py_ssize_t i = 0; i < PyTuple_Size(s->threshold); i++)
		json_array_append_new(th, json_integer(PyLong_AsLongLong(PyTuple_GET_ITEM(s->threshold, i))));
	PyErr_Clear();
	json_t *j = json_pack("{s:b, s:o, s:I, s:I, s:I}", "enabled", s->enabled, "threshold", th, "debug",
			      (json_int_t)PyLong_AsLongLong(s->debug), "callbacks",
			      (json_int_t)PyList_GET_SIZE(s->callbacks), "garbage", (json_int_t)PyList_GET_SIZE(s->garbage));
	if (before)
		json_object_set_new(j, "callbacks_same", json_boolean(same_items(s->callbacks, before->callbacks)));
	PyErr_Clear();
	return j;
}

/* n unreachable two-list cycles: 2n objects only the collector can free. */
static int make_cycles(long n)
{
	for (long i = 0; i < n; i++) {
		PyObject *a = PyList_New(0), *b = PyList_New(0); /* new */
		int rc = a && b && PyList_Append(a, b) == 0 && PyList_Append(b, a) == 0 ? 0 : -1;
		Py_XDECREF(a);
		Py_XDECREF(b);
		if (rc < 0) {
			PyErr_Clear();
			return -1;
		}
	}
	return 0;
}

static void observe_gc(PyObject *module, const json_t *spec, json_t *obs)
{
	PyObject *args = NULL, *kwargs = NULL, *result = NULL;
	struct gc_state before, after;
	bool have_after = false;
	PyObject *func = observe_function(module, json_string_value(json_object_get(spec, "function")), obs);
	if (!func)
		return;
	if (gc_state_read(&before) < 0) {
		observe_harness_error(obs, "cannot read gc's state");
		return;
	}
	if (observe_build_args(spec, obs, &args, &kwargs) < 0)
		goto done;
	long cycles = (long)json_number_value(json_object_get(spec, "cycles"));
	/* A clean slate: earlier garbage must not count, and the young
	 * generation's allocation count starts from zero, so no automatic
	 * collection takes the grader's cycles before the student's call. */
	PyGC_Collect();
	if (make_cycles(cycles) < 0) {
		observe_harness_error(obs, "cannot build the cycles");
		goto done;
	}
	json_object_set_new(obs, "built", json_integer((json_int_t)(2 * cycles)));
	json_object_set_new(obs, "before", state_json(&before, NULL));
	result = PyObject_Call(func, args, kwargs); /* new */
	if (!result)
		observe_exception(obs, "exception");
	else
		observe_value(obs, "returns", result);
	if (gc_state_read(&after) == 0) {
		have_after = true;
		json_object_set_new(obs, "after", state_json(&after, &before));
	}
	/* The grader's own count, with the collector as it was before the
	 * call (no student callbacks or debug flags). */
	gc_state_restore(&before);
	Py_CLEAR(result);
	json_object_set_new(obs, "collected_after", json_integer((json_int_t)PyGC_Collect()));
	gc_state_restore(&before);
done:
	if (have_after)
		gc_state_release(&after);
	gc_state_release(&before);
	Py_XDECREF(result);
	Py_XDECREF(args);
	Py_XDECREF(kwargs);
}

const struct observer observer_gc = {
	.observe = observe_gc,
};
