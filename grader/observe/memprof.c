/*
 * kind_memprof.c - grading a tracemalloc profiling decorator (the memprof
 * exercise): the grader sets up the caller's situation, calls the
 * student's decorated version of a workload with known memory behaviour,
 * and compares the student's last_profile with its own measurement of the
 * same workload, taken in C by the allocator hook (allochook.h).
 *
 * The grader's measurement and every look at tracemalloc's state go
 * through C or through the _tracemalloc functions captured in the zygote
 * (memfix.h), never through what student code can rebind.
 */
#include "base/phase.h"
#include "observe/observe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "measure/allochook.h"
#include "py/memfix.h"
#include "py/pyvalue.h"
#include "base/util.h"

#define SPIKE_FACTOR 8       /* the caller's peak before the call, in workload sizes */
#define RECURSE_DEPTH 3
/* The tracing caller's many small traced objects (besides its big block):
 * enough that snapshots taken inside the measured window show, few enough
 * that student code filtering snapshots in Python stays fast. */
#define CALLER_SMALL_OBJECTS 300



/* A fresh copy of a workload function, so that whatever the student's
 * decorator does to the function object stays with this check.  New. */
static PyObject *fresh_workload(const char *name)
{
	PyObject *f = memfix_get(name); /* borrowed */
	if (!f || !PyFunction_Check(f))
		return NULL;
	PyObject *copy = PyFunction_New(PyFunction_GET_CODE(f), PyFunction_GET_GLOBALS(f)); /* new */
	PyObject *kwdefaults = PyFunction_GET_KW_DEFAULTS(f); /* borrowed */
	if (copy && kwdefaults && PyFunction_SetKwDefaults(copy, kwdefaults) < 0)
		Py_CLEAR(copy);
	return copy;
}

/* The arguments of a workload call: fn's own 'self' for recurse, the inner
 * function for nested ones.  New references in *args (*kwargs may stay NULL). */
static int workload_args(const char *wl, long long size, PyObject *inner, PyObject *exc, PyObject *tag,
			 PyObject **args, PyObject **kwargs)
{
	*kwargs = NULL;
	if (!strcmp(wl, "keep")) {
		*args = Py_BuildValue("(L)", size);
		*kwargs = Py_BuildValue("{s:O}", "tag", tag);
	} else if (!strcmp(wl, "churn")) {
		*args = Py_BuildValue("(L)", size);
	} else if (!strcmp(wl, "noop")) {
		*args = PyTuple_New(0);
	} else if (!strcmp(wl, "fail")) {
		*args = PyTuple_Pack(1, exc);
	} else if (!strcmp(wl, "recurse")) {
		*args = Py_BuildValue("(OiL)", inner, RECURSE_DEPTH, size);
	} else {
		*args = Py_BuildValue("(OL)", inner, size);
	}
	return *args && (strcmp(wl, "keep") || *kwargs) ? 0 : -1;
}

/* The grader's own measurement: fn(*args) after two warm-up calls and a
 * collection, under the hook.  Returns 0, or -1 (hook unavailable). */
static int measure(PyObject *fn, PyObject *args, PyObject *kwargs, struct allochook_stats *st)
{
	for (int i = 0; i < 2; i++) {
		PyObject *r = PyObject_Call(fn, args, kwargs); /* new */
		if (!r)
			PyErr_Clear();
		Py_XDECREF(r);
	}
	PyGC_Collect();
	if (allochook_install() < 0)
		return -1;
	PyObject *r = PyObject_Call(fn, args, kwargs); /* new: held while reading, as the caller holds it */
	allochook_read(st);
	bool intact = allochook_intact();
	allochook_uninstall();
	if (!r)
		PyErr_Clear();
	Py_XDECREF(r);
	return intact && !st->overflow ? 0 : -1;
}

/* Records a number from last_profile: its value and its type's name. */
static void record_number(json_t *obs, const char *key, PyObject *v)
{
	char tkey[32], tn[64];
	snprintf(tkey, sizeof(tkey), "%s_type", key);
	if (!v) {
		json_object_set_new(obs, tkey, json_string("missing"));
		return;
	}
	pyvalue_type_name(v, tn, sizeof(tn));
	json_object_set_new(obs, tkey, json_string(tn));
	if (PyLong_CheckExact(v)) {
		long long n = PyLong_AsLongLong(v);
		if (n == -1 && PyErr_Occurred())
			PyErr_Clear();
		else
			json_object_set_new(obs, key, json_integer((json_int_t)n));
	} else if (PyFloat_CheckExact(v)) {
		json_object_set_new(obs, key, json_real(PyFloat_AS_DOUBLE(v)));
	}
}

/* What the "top" report looks like: length, well-formedness, order, and
 * its first entry. */
static void record_top(json_t *p, PyObject *top)
{
	json_t *t = json_object();
	json_object_set_new(p, "top", t);
	if (!PyList_Check(top)) {
		char tn[64];
		pyvalue_type_name(top, tn, sizeof(tn));
		json_object_set_new(t, "type", json_string(tn));
		return;
	}
	Py_ssize_t n = PyList_GET_SIZE(top);
	bool valid = true, sorted = true, own = false;
	long long prev = -1;
	json_object_set_new(t, "len", json_integer(n));
	/* Where the workload's kept block comes from, for the controller. */
	json_object_set_new(t, "keep_site", json_sprintf("grade_workloads.py:%d", memfix_keep_line()));
	for (Py_ssize_t i = 0; i < n; i++) {
		PyObject *e = PyList_GET_ITEM(top, i); /* borrowed */
		PyObject *where = NULL, *size = NULL;  /* borrowed */
		if ((PyTuple_Check(e) || PyList_Check(e)) && PySequence_Fast_GET_SIZE(e) == 2) {
			where = PySequence_Fast_GET_ITEM(e, 0);
			size = PySequence_Fast_GET_ITEM(e, 1);
		}
		if (!where || !size || !PyUnicode_Check(where) || !PyLong_CheckExact(size)) {
			valid = false;
			break;
		}
		const char *w = PyUnicode_AsUTF8(where);
		long long s = PyLong_AsLongLong(size);
		if (!w) {
			PyErr_Clear();
			valid = false;
			break;
		}
		if (strstr(w, "tracemalloc.py"))
			own = true;
		long long mag = llabs(s);
		if (prev >= 0 && mag > prev)
			sorted = false;
		prev = mag;
		if (i == 0) {
			json_object_set_new(t, "first", json_string(w));
			json_object_set_new(t, "first_size", json_integer((json_int_t)s));
		}
	}
	PyErr_Clear();
	json_object_set_new(t, "valid", json_boolean(valid));
	json_object_set_new(t, "sorted", json_boolean(sorted));
	json_object_set_new(t, "tracemalloc_frames", json_boolean(own));
}

/* last_profile of a decorated callable, under obs[key]. */
static void record_profile(json_t *obs, const char *key, PyObject *dec)
{
	json_t *p = json_object();
	json_object_set_new(obs, key, p);
	PyObject *lp = PyObject_GetAttrString(dec, "last_profile"); /* new */
	if (!lp) {
		PyErr_Clear();
		json_object_set_new(p, "type", json_string("missing"));
		return;
	}
	char tn[64];
	pyvalue_type_name(lp, tn, sizeof(tn));
	json_object_set_new(p, "type", json_string(tn));
	if (PyDict_Check(lp)) {
		record_number(p, "peak", PyDict_GetItemString(lp, "peak"));
		record_number(p, "net", PyDict_GetItemString(lp, "net"));
		PyObject *top = PyDict_GetItemString(lp, "top"); /* borrowed */
		if (top)
			record_top(p, top);
	}
	PyErr_Clear();
	Py_DECREF(lp);
}

/* __name__, __doc__ and __wrapped__ of the decorated callable against fn's. */
static void record_metadata(json_t *obs, PyObject *dec, PyObject *fn)
{
	const char *attrs[] = { "__name__", "__doc__" };
	for (size_t i = 0; i < 2; i++) {
		PyObject *mine = PyObject_GetAttrString(fn, attrs[i]);   /* new */
		PyObject *theirs = PyObject_GetAttrString(dec, attrs[i]); /* new */
		bool same = mine && theirs && PyUnicode_CheckExact(theirs) && PyUnicode_Compare(mine, theirs) == 0;
		char key[32];
		snprintf(key, sizeof(key), "%s_ok", attrs[i]);
		json_object_set_new(obs, key, json_boolean(same));
		if (!same && theirs && PyUnicode_CheckExact(theirs)) {
			snprintf(key, sizeof(key), "%s_got", attrs[i]);
			const char *s = PyUnicode_AsUTF8(theirs);
			json_object_set_new(obs, key, json_string(s ? s : "?"));
		}
		PyErr_Clear();
		Py_XDECREF(mine);
		Py_XDECREF(theirs);
	}
	PyObject *w = PyObject_GetAttrString(dec, "__wrapped__"); /* new */
	json_object_set_new(obs, "__wrapped___ok", json_boolean(w == fn));
	PyErr_Clear();
	Py_XDECREF(w);
}

/* Applies the student's decorator (bare, or decorator(top=N)) to fn.
 * New reference, or NULL after recording the exception. */
static PyObject *decorate(PyObject *decorator, PyObject *fn, const json_t *top, json_t *obs)
{
	PyObject *dec = NULL, *factory = NULL, *noargs = NULL, *kw = NULL;
	if (top) {
		noargs = PyTuple_New(0); /* new */
		kw = Py_BuildValue("{s:i}", "top", (int)json_number_value(top)); /* new */
		factory = noargs && kw ? PyObject_Call(decorator, noargs, kw) : NULL; /* new */
		dec = factory ? PyObject_CallOneArg(factory, fn) : NULL; /* new */
	} else {
		dec = PyObject_CallOneArg(decorator, fn); /* new */
	}
	if (!dec)
		observe_exception(obs, "decorate_exception");
	Py_XDECREF(noargs);
	Py_XDECREF(kw);
	Py_XDECREF(factory);
	return dec;
}

/* One memprof check: what the spec asks for and the objects it makes; all
 * new references, released by memprof_release(). */
struct memprof_run {
	const char *wl;             /* the workload's name */
	bool caller_tracing, nested, recursive;
	long long size, data_bytes;
	bool tracing_at_start, started_tracing;
	PyObject *fn, *inner_fn, *dec, *inner_dec, *exc, *tag;
	PyObject *args, *kwargs, *result, *data, *sample;
	PyObject *bare_inner, *bare_args, *bare_kwargs;
};

static void memprof_read_spec(struct memprof_run *m, const json_t *spec)
{
	m->wl = str_or(json_string_value(json_object_get(spec, "workload")), "keep");
	m->caller_tracing = !strcmp(str_or(json_string_value(json_object_get(spec, "caller")), "idle"), "tracing");
	json_t *jsize = json_object_get(spec, "size");
	m->size = jsize ? (long long)json_integer_value(jsize) : 1000000;
	json_t *jdata = json_object_get(spec, "caller_data");
	m->data_bytes = jdata ? (long long)json_integer_value(jdata) : 4 << 20;
	m->nested = !strncmp(m->wl, "nested", 6);
	m->recursive = !strcmp(m->wl, "recurse");
	m->tracing_at_start = memfix_tracing();
}

static const char *inner_name(const struct memprof_run *m)
{
	return m->recursive ? "recurse" : "churn";
}

/* Fresh copies of the workload and its inner function, the exception and
 * the tag it is given.  Returns 0, or -1 after recording why. */
static int memprof_prepare(struct memprof_run *m, json_t *obs)
{
	m->fn = fresh_workload(m->wl);                 /* new */
	m->exc = PyObject_CallFunction(PyExc_ValueError, "s", "raised by the workload"); /* new */
	m->tag = PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type); /* new */
	m->bare_inner = m->nested || m->recursive ? fresh_workload(inner_name(m)) : NULL; /* new */
	if (!m->fn || !m->exc || !m->tag || ((m->nested || m->recursive) && !m->bare_inner)) {
		PyErr_Clear();
		observe_harness_error(obs, "cannot prepare the workload");
		return -1;
	}
	if (!m->caller_tracing && m->tracing_at_start) {
		observe_harness_error(obs, "tracemalloc was already tracing before the check");
		return -1;
	}
	/* A tracing caller that finds tracing on (an earlier check's student
	 * code left it so) can still play its part. */
	return 0;
}

/* 1. The grader's measurement of the bare workload (the inner function
 * bare too), before any tracing of ours. */
static int memprof_truth(struct memprof_run *m, json_t *obs)
{
	struct allochook_stats truth, inner_truth;
	if (workload_args(m->wl, m->size, m->bare_inner, m->exc, m->tag, &m->bare_args, &m->bare_kwargs) < 0 ||
	    measure(m->fn, m->bare_args, m->bare_kwargs, &truth) < 0) {
		PyErr_Clear();
		observe_harness_error(obs, "the allocator hook could not measure the workload");
		return -1;
	}
	json_object_set_new(obs, "truth_peak", json_integer((json_int_t)truth.peak_bytes));
	json_object_set_new(obs, "truth_net", json_integer((json_int_t)truth.net_bytes));
	if (!m->nested)
		return 0;
	Py_CLEAR(m->bare_args);
	Py_CLEAR(m->bare_kwargs);
	m->bare_args = Py_BuildValue("(L)", m->size); /* new */
	if (!m->bare_args || measure(m->bare_inner, m->bare_args, NULL, &inner_truth) < 0) {
		PyErr_Clear();
		observe_harness_error(obs, "the allocator hook could not measure the inner workload");
		return -1;
	}
	json_object_set_new(obs, "inner_truth_peak", json_integer((json_int_t)inner_truth.peak_bytes));
	json_object_set_new(obs, "inner_truth_net", json_integer((json_int_t)inner_truth.net_bytes));
	return 0;
}

/* 2. The student's decorated versions (decoration is not measured) and the
 * arguments of the call. */
static int memprof_decorate(struct memprof_run *m, PyObject *decorator, const json_t *spec, json_t *obs)
{
	const json_t *top = json_object_get(spec, "top");
	if (!(m->dec = decorate(decorator, m->fn, top, obs))) /* new */
		return -1;
	if (m->recursive) {
		m->inner_dec = Py_NewRef(m->dec);   /* recurse calls itself through the decorated callable */
	} else if (m->nested) {
		m->inner_fn = fresh_workload(inner_name(m)); /* new */
		m->inner_dec = m->inner_fn ? decorate(decorator, m->inner_fn, top, obs) : NULL; /* new */
		if (!m->inner_dec)
			return -1;
	}
	if (workload_args(m->wl, m->size, m->inner_dec, m->exc, m->tag, &m->args, &m->kwargs) < 0) {
		PyErr_Clear();
		observe_harness_error(obs, "cannot build the workload's arguments");
		return -1;
	}
	return 0;
}

/* 3. The caller's situation: tracing, with its own data and a high peak of
 * its own (or not tracing at all: nothing to do). */
static int memprof_caller(struct memprof_run *m, json_t *obs)
{
	if (!m->caller_tracing)
		return 0;
	if (!m->tracing_at_start) {
		PyObject *r = memfix_tm("start"); /* new */
		m->started_tracing = r != NULL;
		Py_XDECREF(r);
	}
	PyObject *mk = memfix_get("caller_data"); /* borrowed */
	m->data = mk ? PyObject_CallFunction(mk, "Li", m->data_bytes, CALLER_SMALL_OBJECTS) : NULL; /* new */
	PyObject *spike = memfix_get("spike"); /* borrowed */
	PyObject *r = spike ? PyObject_CallFunction(spike, "L", SPIKE_FACTOR * m->size) : NULL; /* new */
	Py_XDECREF(r);
	if (!m->data || !r || !memfix_tracing()) {
		PyErr_Clear();
		observe_harness_error(obs, "cannot set up the tracing caller");
		return -1;
	}
	m->sample = Py_NewRef(PyList_GET_ITEM(m->data, 0)); /* new */
	long long cur, peak;
	memfix_traced(&cur, &peak);
	json_object_set_new(obs, "caller_level", json_integer((json_int_t)cur));
	json_object_set_new(obs, "caller_peak", json_integer((json_int_t)peak));
	return 0;
}

/* The call raised: the workload's own exception passed through unchanged,
 * or something else (recorded).  Takes the fetched exception. */
static void memprof_raised(struct memprof_run *m, PyObject *et, PyObject *ev, PyObject *etb, json_t *obs)
{
	bool same = ev == m->exc;
	json_object_set_new(obs, "raised_same", json_boolean(same));
	if (same) {
		Py_XDECREF(et);
		Py_XDECREF(ev);
		Py_XDECREF(etb);
	} else {
		PyErr_Restore(et, ev, etb);
		observe_exception(obs, "exception");
	}
}

/* The call returned: is it what the workload returns, and what the
 * decorator recorded. */
static void memprof_returned(struct memprof_run *m, json_t *obs)
{
	char tn[64];
	pyvalue_type_name(m->result, tn, sizeof(tn));
	json_object_set_new(obs, "returned_type", json_string(tn));
	PyObject *last = memfix_get("_last"); /* borrowed */
	PyObject *kept = last && PyList_Check(last) ? PyList_GET_ITEM(last, 0) : NULL; /* borrowed */
	bool keep = !strcmp(m->wl, "keep"), same;
	if (keep)
		same = m->result == kept;
	else if (m->nested)
		same = PyLong_CheckExact(m->result) && PyLong_AsLongLong(m->result) == m->size / 4;
	else if (m->recursive)
		same = PyLong_CheckExact(m->result) && PyLong_AsLongLong(m->result) == RECURSE_DEPTH;
	else
		same = m->result == Py_None;
	PyErr_Clear();
	json_object_set_new(obs, "same_object", json_boolean(same));
	json_object_set_new(obs, "pair_result", json_boolean(PyTuple_Check(m->result) && PyTuple_GET_SIZE(m->result) == 2 &&
							       PyTuple_GET_ITEM(m->result, 0) == kept && kept));
	if (keep)
		json_object_set_new(obs, "kwargs_passed",
				    json_boolean(last && PyList_Check(last) && PyList_GET_ITEM(last, 1) == m->tag));
	record_profile(obs, "profile", m->dec);
	if (m->nested)
		record_profile(obs, "inner_profile", m->inner_dec);
}

/* 4. The call, and what it left behind. */
static void memprof_call(struct memprof_run *m, json_t *obs)
{
	/* A hang in there is the decorator's, whichever of its parts it is. */
	phase_enter(PHASE_WRAPPER, NULL);
	m->result = PyObject_Call(m->dec, m->args, m->kwargs); /* new */
	phase_enter(PHASE_CALL, NULL);
	/* Taken before anything else runs: calls need no exception pending. */
	PyObject *et = NULL, *ev = NULL, *etb = NULL; /* new, from PyErr_Fetch */
	if (!m->result) {
		PyErr_Fetch(&et, &ev, &etb);
		PyErr_NormalizeException(&et, &ev, &etb);
	}
	json_object_set_new(obs, "tracing_after", json_boolean(memfix_tracing()));
	if (m->caller_tracing) {
		PyObject *get_tb = memfix_get("tm__get_object_traceback"); /* borrowed */
		PyObject *tb = PyObject_CallOneArg(get_tb, m->sample); /* new */
		json_object_set_new(obs, "traces_kept", json_boolean(tb && tb != Py_None));
		Py_XDECREF(tb);
	}
	if (m->result)
		memprof_returned(m, obs);
	else
		memprof_raised(m, et, ev, etb, obs);
	record_metadata(obs, m->dec, m->fn);
}

/* Releases everything, empties the workloads' record and leaves
 * tracemalloc as the check found it. */
static void memprof_release(struct memprof_run *m)
{
	PyObject **objs[] = { &m->result, &m->args, &m->kwargs, &m->bare_args, &m->bare_kwargs, &m->dec, &m->inner_dec,
			      &m->inner_fn, &m->bare_inner, &m->fn, &m->exc, &m->tag, &m->sample, &m->data };
	for (size_t i = 0; i < ARRAY_SIZE(objs); i++)
		Py_CLEAR(*objs[i]);
	PyObject *last = memfix_get("_last"); /* borrowed */
	for (Py_ssize_t i = 0; last && PyList_Check(last) && i < PyList_GET_SIZE(last); i++)
		PyList_SetItem(last, i, Py_NewRef(Py_None));
	bool now = memfix_tracing();
	if (now != m->tracing_at_start || m->started_tracing) {
		PyObject *r = memfix_tm(m->tracing_at_start ? "start" : "stop"); /* new */
		Py_XDECREF(r);
	}
	PyErr_Clear();
}

static void observe_memprof(PyObject *module, const json_t *spec, json_t *obs)
{
	struct memprof_run m = { 0 };
	memprof_read_spec(&m, spec);
	PyObject *decorator = observe_function(module, json_string_value(json_object_get(spec, "function")), obs);
	if (!decorator)
		return;
	if (memprof_prepare(&m, obs) == 0 && memprof_truth(&m, obs) == 0 && memprof_decorate(&m, decorator, spec, obs) == 0 &&
	    memprof_caller(&m, obs) == 0)
		memprof_call(&m, obs);
	memprof_release(&m);
}

const struct observer observer_memprof = {
	.observe = observe_memprof,
};
