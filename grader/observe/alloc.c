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

static void observe_alloc(PyObject *module, const json_t *spec, json_t *obs)
{
	PyObject *args = NULL, *kwargs = NULL;
	struct measure_state ms;
	struct allochook_stats st[ALLOC_MAX_RUNS];
	long warmup = spec_long(spec, "warmup", 2), runs = spec_long(spec, "runs", 3);
	int done_runs = 0, removed = 0;
	bool removed_for_good = false;

	PyObject *func = observe_function(module, json_string_value(json_object_get(spec, "function")), obs);
	if (!func)
		return;
	if (observe_build_args(spec, obs, &args, &kwargs) < 0)
		return;
	if (runs > ALLOC_MAX_RUNS)
		runs = ALLOC_MAX_RUNS;
	const json_t *per = json_object_get(spec, "per_item_of");
	if (per) {
		Py_ssize_t idx = (Py_ssize_t)json_number_value(per);
		Py_ssize_t n = idx < PyTuple_GET_SIZE(args) ? items_of(PyTuple_GET_ITEM(args, idx)) : -1;
		if (n <= 0) {
			observe_harness_error(obs, "'per_item_of' names an argument that is not a non-empty list, tuple, "
						   "dict, set, str, bytes or bytearray");
			goto cleanup;
		}
		json_object_set_new(obs, "items", json_integer((json_int_t)n));
	}

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
	/* Nothing between the readings allocates through Python but the
	 * student's call: the counters go to a C array, JSON comes after. */
	for (int tries = 0; done_runs < runs;) {
		allochook_reset();
		PyObject *r = PyObject_Call(func, args, kwargs); /* new: held while reading */
		allochook_read(&st[done_runs]);
		bool gone = measure_hook_removed();
		if (!r) {
			observe_exception(obs, "exception");
			goto restore;   /* measure_end() uninstalls the hook */
		}
		Py_DECREF(r);
		if (gone) {
			removed++;
			if (++tries > ALLOC_RETRIES) {
				removed_for_good = true;
				break;
			}
			continue;
		}
		done_runs++;
	}
	allochook_uninstall();

	json_t *jruns = json_array();
	for (int i = 0; i < done_runs; i++)
		json_array_append_new(jruns, json_pack("{s:I, s:I, s:I, s:b}", "allocations", (json_int_t)st[i].allocations,
						       "net", (json_int_t)st[i].net_bytes, "peak",
						       (json_int_t)st[i].peak_bytes, "overflow", st[i].overflow));
	json_object_set_new(obs, "runs", jruns);
	json_object_set_new(obs, "warmup", json_integer(warmup));
	if (removed)
		json_object_set_new(obs, "hook_removed", json_integer(removed));
	if (removed_for_good)
		json_object_set_new(obs, "hook_lost", json_true());
restore:
	measure_end(&ms);
cleanup:
	Py_XDECREF(args);
	Py_XDECREF(kwargs);
}

const struct observer observer_alloc = {
	.observe = observe_alloc,
};
