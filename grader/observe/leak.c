/*
 * kind_leak.c - leak hunting in the style of CPython's `regrtest -R`
 * (Lib/test/libregrtest/refleak.py): W warm-up calls, R measured runs, a
 * collection after each, and the deltas between consecutive readings of
 * the live blocks and bytes the allocator hook tracks and of the reference
 * counts of the call's arguments and result.  Something leaks when every
 * measured delta is >= 1 (refleak.py's check_rc_deltas, which it applies
 * to memory blocks too): a cost paid only by the first calls (a cache
 * filled once) is not a leak.
 *
 * Readings go to a C array on the stack: between the first and the last
 * reading the harness itself allocates nothing through Python (only the
 * student's calls and the collections run); the JSON is built afterwards.
 */
#include "observe/observe.h"

#include <stdlib.h>
#include <string.h>

#include "measure/allochook.h"
#include "base/buf.h"
#include "measure/measure.h"
#include "base/util.h"

#define LEAK_MAX_CALLS 16   /* warm-up calls, and measured runs, each at most */
#define LEAK_MAX_ARGS 8     /* positional arguments whose counts are followed */



struct reading {
	size_t blocks, bytes;             /* live blocks and bytes the hook tracks */
	Py_ssize_t args[LEAK_MAX_ARGS];   /* Py_REFCNT of each argument */
	Py_ssize_t result;                /* Py_REFCNT of the result, less the grader's own references */
	bool same_result;                 /* the result is the previous call's result object */
	bool removed;                     /* the hook had been removed (and was reinstalled) */
};

/* Collects garbage and reads the hook and the arguments' counts. */
static void take_reading(struct reading *rd, PyObject *args, Py_ssize_t nargs)
{
	struct allochook_stats st;
	PyGC_Collect();
	rd->removed = measure_hook_removed();
	allochook_read(&st);
	rd->blocks = st.live_blocks;
	rd->bytes = st.live_bytes;
	for (Py_ssize_t j = 0; j < nargs; j++)
		rd->args[j] = Py_REFCNT(PyTuple_GET_ITEM(args, j));
}

/* Results whose counts everybody moves (None, booleans; immortal objects
 * on 3.12+ never move): their deltas say nothing about this function. */
static bool shared_result(PyObject *r)
{
	return r == Py_None || r == Py_True || r == Py_False || measure_immortal(r);
}

static json_t *deltas_json(const struct reading *rd, int from, int to, size_t field)
{
	json_t *a = json_array();
	for (int i = from; i < to; i++) {
		long long now, before;
		if (field == 0) {
			now = (long long)rd[i].blocks, before = (long long)rd[i - 1].blocks;
		} else if (field == 1) {
			now = (long long)rd[i].bytes, before = (long long)rd[i - 1].bytes;
		} else if (field == 2) {
			now = rd[i].result, before = rd[i - 1].result;
		} else {
			now = rd[i].args[field - 3], before = rd[i - 1].args[field - 3];
		}
		json_array_append_new(a, json_integer((json_int_t)(now - before)));
	}
	return a;
}

static void observe_leak(PyObject *module, const json_t *spec, json_t *obs)
{
	PyObject *args = NULL, *kwargs = NULL, *prev = NULL;
	struct measure_state ms;
	struct reading rd[2 * LEAK_MAX_CALLS + 1];   /* [0]: before the first call; [i]: after call i */
	const json_t *jw = json_object_get(spec, "warmup"), *jr = json_object_get(spec, "runs");
	int warmup = jw ? (int)json_number_value(jw) : 3, runs = jr ? (int)json_number_value(jr) : 3;

	PyObject *func = observe_function(module, json_string_value(json_object_get(spec, "function")), obs);
	if (!func)
		return;
	if (observe_build_args(spec, obs, &args, &kwargs) < 0)
		return;
	if (warmup < 1 || warmup > LEAK_MAX_CALLS)
		warmup = 3;
	if (runs < 1 || runs > LEAK_MAX_CALLS)
		runs = 3;
	Py_ssize_t nargs = PyTuple_GET_SIZE(args);
	if (nargs > LEAK_MAX_ARGS)
		nargs = LEAK_MAX_ARGS;

	measure_begin(&ms);
	if (allochook_install() < 0) {
		observe_harness_error(obs, "the allocator hook could not be installed");
		goto restore;
	}
	memset(rd, 0, sizeof(rd));
	take_reading(&rd[0], args, nargs);
	for (int calls = 1; calls <= warmup + runs; calls++) {
		PyObject *r = PyObject_Call(func, args, kwargs); /* new */
		if (!r) {
			observe_exception(obs, "exception");
			json_object_set_new(obs, "exception_call", json_integer(calls));
			goto restore;
		}
		/* The previous result is held until this one is read, so that an
		 * object returned again is recognized (its address was not reused)
		 * and every reading holds exactly one result. */
		rd[calls].same_result = r == prev;
		rd[calls].result = Py_REFCNT(r) - (r == prev);
		Py_XSETREF(prev, r);
		take_reading(&rd[calls], args, nargs);
	}
	allochook_uninstall();

	/* The measured deltas: readings warmup+1 .. warmup+runs against the
	 * reading before each. */
	int from = warmup + 1, to = warmup + runs + 1;
	bool removed = false, same = !shared_result(prev);
	for (Py_ssize_t j = 0; j < nargs; j++)
		same = same && prev != PyTuple_GET_ITEM(args, j);   /* an argument returned: followed as one */
	Py_CLEAR(prev);
	for (int i = from; i < to; i++) {
		removed = removed || rd[i].removed;
		same = same && rd[i].same_result;
	}
	json_object_set_new(obs, "warmup", json_integer(warmup));
	json_object_set_new(obs, "blocks", deltas_json(rd, from, to, 0));
	json_object_set_new(obs, "bytes", deltas_json(rd, from, to, 1));
	json_t *jargs = json_array();
	for (Py_ssize_t j = 0; j < nargs; j++) {
		PyObject *a = PyTuple_GET_ITEM(args, j); /* borrowed */
		json_array_append_new(jargs, measure_immortal(a) ? json_null() : deltas_json(rd, from, to, 3 + (size_t)j));
	}
	json_object_set_new(obs, "args", jargs);
	if (same)
		json_object_set_new(obs, "result", deltas_json(rd, from, to, 2));
	if (removed)
		json_object_set_new(obs, "hook_removed", json_true());
restore:
	Py_XDECREF(prev);
	measure_end(&ms);
	Py_XDECREF(args);
	Py_XDECREF(kwargs);
}

const struct observer observer_leak = {
	.observe = observe_leak,
};
