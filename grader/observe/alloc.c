/*
 * kind_alloc.c - what one call of a student function allocates, measured
 * by the allocator hook (allochook.h) after warm-up calls, against budgets:
 * at most N allocations, B bytes kept (net), B bytes at the peak, per call
 * or per item of an argument.
 *
 * The measured calls run with automatic garbage collection off (garbage
 * collected first), so a collection triggered elsewhere never lands in
 * the window; the result is held while the counters are read, as a caller
 * holds it.  When student code removes the hook during a call
 * (tracemalloc.start() before it, stop() inside the call), the run is
 * measured again with the hook reinstalled; if it is removed again, the
 * check fails saying so.
 */
#include "observe/observe.h"

#include <stdlib.h>
#include <string.h>

#include "measure/allochook.h"
#include "measure/measure.h"
#include "base/util.h"

#define ALLOC_MAX_RUNS 16
#define ALLOC_RETRIES 2      /* measurements of a run whose hook was removed */



/* The number of items of a grader-built argument, or -1 when it is not a
 * builtin container (len() of anything else could run student code). */
static Py_ssize_t items_of(PyObject *arg)
{
	if (PyList_CheckExact(arg) || PyTuple_CheckExact(arg) || PyDict_CheckExact(arg) || PyAnySet_CheckExact(arg) ||
	    PyUnicode_CheckExact(arg) || PyBytes_CheckExact(arg) || PyByteArray_CheckExact(arg) ||
	    PyRange_Check(arg)) {
		Py_ssize_t n = PyObject_Length(arg);
		if (n < 0)
			PyErr_Clear();
		return n;
	}
	return -1;
}

static long spec_long(const json_t *spec, const char *key, long dflt)
{
	const json_t *v = json_object_get(spec, key);
	return v ? (long)json_number_value(v) : dflt;
}

/* With per_item_of, the number of items of that argument goes in obs
 * ("items"), so that the verdict can speak per item.  Returns 0, or -1
 * after recording a harness error. */
static int note_items(const json_t *spec, PyObject *args, json_t *obs)
{
	const json_t *per = json_object_get(spec, "per_item_of");
	if (!per)
		return 0;
	Py_ssize_t idx = (Py_ssize_t)json_number_value(per);
	Py_ssize_t n = idx < PyTuple_GET_SIZE(args) ? items_of(PyTuple_GET_ITEM(args, idx)) : -1;
	if (n <= 0) {
		observe_harness_error(obs, "'per_item_of' names an argument that is not a non-empty list, tuple, "
					   "dict, set, str, bytes or bytearray");
		return -1;
	}
	json_object_set_new(obs, "items", json_integer((json_int_t)n));
	return 0;
}

/* Runs counted for a check: how many were read, and how often the
 * student's code removed the hook in between. */
struct alloc_runs {
	struct allochook_stats st[ALLOC_MAX_RUNS];
	int done, removed;
	bool removed_for_good;
};

/* The measured calls: the hook counts each one; a run during which the
 * hook was removed is not counted and is tried again, up to
 * ALLOC_RETRIES times.  Returns 0, or -1 after recording the student's
 * exception (the hook is still installed then: measure_end() removes it). */
static int measured_runs(PyObject *func, PyObject *args, PyObject *kwargs, long runs, struct alloc_runs *ar, json_t *obs)
{
	/* Nothing between the readings allocates through Python but the
	 * student's call: the counters go to a C array, JSON comes after. */
	for (int tries = 0; ar->done < runs;) {
		allochook_reset();
		PyObject *r = PyObject_Call(func, args, kwargs); /* new: held while reading */
		allochook_read(&ar->st[ar->done]);
		bool gone = measure_hook_removed();
		if (!r) {
			observe_exception(obs, "exception");
			return -1;
		}
		Py_DECREF(r);
		if (gone) {
			ar->removed++;
			if (++tries > ALLOC_RETRIES) {
				ar->removed_for_good = true;
				break;
			}
			continue;
		}
		ar->done++;
	}
	allochook_uninstall();
	return 0;
}

static void record_runs(const struct alloc_runs *ar, long warmup, json_t *obs)
{
	json_t *jruns = json_array();
	for (int i = 0; i < ar->done; i++)
		json_array_append_new(jruns, json_pack("{s:I, s:I, s:I, s:b}", "allocations",
						       (json_int_t)ar->st[i].allocations, "net",
						       (json_int_t)ar->st[i].net_bytes, "peak",
						       (json_int_t)ar->st[i].peak_bytes, "overflow", ar->st[i].overflow));
	json_object_set_new(obs, "runs", jruns);
	json_object_set_new(obs, "warmup", json_integer(warmup));
	if (ar->removed)
		json_object_set_new(obs, "hook_removed", json_integer(ar->removed));
	if (ar->removed_for_good)
		json_object_set_new(obs, "hook_lost", json_true());
}

static void observe_alloc(PyObject *module, const json_t *spec, json_t *obs)
{
	PyObject *args = NULL, *kwargs = NULL;
	struct measure_state ms;
	struct alloc_runs ar = { .done = 0 };
	long warmup = spec_long(spec, "warmup", 2), runs = spec_long(spec, "runs", 3);

	PyObject *func = observe_function(module, json_string_value(json_object_get(spec, "function")), obs);
	if (!func)
		return;
	if (observe_build_args(spec, obs, &args, &kwargs) < 0)
		return;
	if (runs > ALLOC_MAX_RUNS)
		runs = ALLOC_MAX_RUNS;
	if (note_items(spec, args, obs) < 0)
		goto cleanup;

	measure_begin(&ms);
	for (long i = 0; i < warmup; i++) {
		PyObject *r = PyObject_Call(func, args, kwargs); /* new */
		if (!r) {
			observe_exception(obs, "exception");
			goto restore;
		}
		Py_DECREF(r);
	}
	PyGC_Collect();
	if (allochook_install() < 0) {
		observe_harness_error(obs, "the allocator hook could not be installed");
		goto restore;
	}
	if (measured_runs(func, args, kwargs, runs, &ar, obs) == 0)
		record_runs(&ar, warmup, obs);
restore:
	measure_end(&ms);
cleanup:
	Py_XDECREF(args);
	Py_XDECREF(kwargs);
}

const struct observer observer_alloc = {
	.observe = observe_alloc,
};
