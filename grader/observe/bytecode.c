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
#include "observe/observe.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/phase.h"
#include "measure/bytecode.h"
#include "py/pyhost.h"
#include "py/pyvalue.h"
#include "base/util.h"
#include "base/value.h"




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

/* A plain dict holding what the dict (or dict subclass) 'd' holds, read
 * with PyDict_Next.  Returns a new reference, or NULL (no exception set). */
static PyObject *plain_dict_copy(PyObject *d)
{
	PyObject *copy = PyDict_New(); /* new */
	PyObject *key, *val;
	Py_ssize_t pos = 0;
	while (copy && PyDict_Next(d, &pos, &key, &val))
		if (PyDict_SetItem(copy, key, val) < 0)
			Py_CLEAR(copy);
	if (!copy)
		PyErr_Clear();
	return copy;
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
	/* The warm-up calls the target: when it is the student's, a hang is
	 * that function's, not opcode_summary's. */
	if (!source)
		phase_enter(PHASE_CALL, which);
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
	phase_enter(PHASE_CALL, json_string_value(json_object_get(spec, "function")));
	answer = PyObject_CallOneArg(func, target); /* new */
	if (!answer) {
		observe_exception(obs, "exception");
		goto done;
	}
	/* A dict subclass (a Counter) is a dict: its contents are what is
	 * graded, read from the dict's own storage so that no overridden
	 * method of the student's class runs here. */
	if (PyDict_Check(answer) && !PyDict_CheckExact(answer)) {
		PyObject *plain = plain_dict_copy(answer); /* new */
		char tn[128];
		pyvalue_type_name(answer, tn, sizeof(tn));
		json_object_set_new(obs, "dict_subclass", json_string(tn));
		Py_SETREF(answer, plain);
		if (!answer) {
			observe_harness_error(obs, "cannot copy the returned dict");
			goto done;
		}
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

const struct observer observer_bytecode = {
	.observe = observe_bytecode,
};
