#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pyhost.h"
#include "pyvalue.h"
#include "proto.h"
#include "util.h"

/* The state of one check child.  Static: there is exactly one per process. */
static struct {
	const struct compiled_module *modules;
	size_t n_modules;
	const struct harness_io *io;
	json_t *observation;   /* what we send back */
	char err[256];
} H;

static PyObject *find_compiled(const char *name, const struct compiled_module **out)
{
	for (size_t i = 0; i < H.n_modules; i++) {
		if (!strcmp(H.modules[i].name, name)) {
			*out = &H.modules[i];
			return H.modules[i].code;
		}
	}
	*out = NULL;
	return NULL;
}

/* Imports the student's module; records the outcome under "import".
 * Returns a new reference to the module, or NULL. */
static PyObject *import_student(const char *name)
{
	const struct compiled_module *cm = NULL;
	PyObject *code = find_compiled(name, &cm);
	json_t *imp = json_pack("{s:s}", "module", name);
	json_object_set_new(H.observation, "import", imp);
	if (!cm) {
		json_object_set_new(imp, "ok", json_false());
		json_object_set_new(imp, "missing", json_true());
		return NULL;
	}
	if (!code) {
		json_object_set_new(imp, "ok", json_false());
		json_object_set_new(imp, "exception", json_incref(cm->error));
		return NULL;
	}
	/* Already imported (by another student module)? */
	PyObject *modules = PyImport_GetModuleDict(); /* borrowed */
	PyObject *mod = PyDict_GetItemString(modules, name); /* borrowed */
	if (mod && PyModule_Check(mod)) {
		json_object_set_new(imp, "ok", json_true());
		return Py_NewRef(mod);
	}
	struct py_exception exc;
	double t0 = now_seconds();
	mod = pyhost_exec_module(name, code, cm->file, &exc); /* new */
	json_object_set_new(imp, "seconds", json_real(now_seconds() - t0));
	if (!mod) {
		json_object_set_new(imp, "ok", json_false());
		json_object_set_new(imp, "exception", py_exception_to_json(&exc));
		return NULL;
	}
	json_object_set_new(imp, "ok", json_true());
	return mod;
}

/* Looks up "module.name" among the module's globals without running
 * student code (no __getattr__).  Returns a borrowed reference or NULL. */
static PyObject *lookup_function(PyObject *module, const char *qualified, json_t *obs)
{
	const char *dot = strrchr(qualified, '.');
	const char *attr = dot ? dot + 1 : qualified;
	PyObject *dict = PyModule_GetDict(module); /* borrowed */
	PyObject *func = PyDict_GetItemString(dict, attr); /* borrowed */
	if (!func) {
		PyErr_Clear();
		json_object_set_new(obs, "missing", json_string(attr));
		return NULL;
	}
	if (!PyCallable_Check(func)) {
		char tn[128];
		pyvalue_type_name(func, tn, sizeof(tn));
		json_object_set_new(obs, "not_callable", json_string(tn));
		return NULL;
	}
	return func;
}

static PyObject *make_new(const json_t *spec, void *payload, char *err, size_t errlen)
{
	(void)payload;
	const char *type = json_is_string(spec) ? json_string_value(spec)
		: json_string_value(json_object_get(spec, "type"));
	json_int_t size = json_integer_value(json_object_get(spec, "size"));
	const json_t *items = json_object_get(spec, "items");
	if (!type)
		type = "object";
	if (items) {
		PyObject *seq = pyvalue_decode(items, make_new, NULL, err, errlen); /* new */
		if (!seq)
			return NULL;
		PyObject *o = NULL;
		if (!strcmp(type, "list"))
			o = PySequence_List(seq);
		else if (!strcmp(type, "set"))
			o = PySet_New(seq);
		else if (!strcmp(type, "dict") && PyDict_CheckExact(seq))
			o = PyDict_Copy(seq);
		Py_DECREF(seq);
		if (!o) {
			PyErr_Clear();
			snprintf(err, errlen, "cannot build a %s from the given items", type);
		}
		return o;
	}
	if (!strcmp(type, "object"))
		return PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type);
	if (!strcmp(type, "instance"))
		return PyObject_CallNoArgs(pyhost_fixture_class());
	if (!strcmp(type, "bytearray")) {
		PyObject *b = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)size);
		if (b)
			memset(PyByteArray_AS_STRING(b), 0, (size_t)size);
		return b;
	}
	if (!strcmp(type, "list") || !strcmp(type, "set") || !strcmp(type, "dict")) {
		PyObject *o = !strcmp(type, "list") ? PyList_New(0) : !strcmp(type, "set") ? PySet_New(NULL) : PyDict_New();
		for (json_int_t i = 0; o && i < size; i++) {
			PyObject *n = PyLong_FromLongLong((long long)i); /* new */
			int rc = !n ? -1 : PyList_Check(o) ? PyList_Append(o, n)
				: PySet_Check(o) ? PySet_Add(o, n) : PyDict_SetItem(o, n, n);
			Py_XDECREF(n);
			if (rc < 0)
				Py_CLEAR(o);
		}
		return o;
	}
	snprintf(err, errlen, "cannot build a new '%s'", type);
	return NULL;
}

static void record_exception(json_t *obs, const char *key)
{
	struct py_exception exc;
	pyhost_take_exception(&exc);
	json_object_set_new(obs, key, py_exception_to_json(&exc));
}

/* Records what student code returned: its type name, and its encoding
 * under 'key' (or why it cannot be encoded). */
static void record_value(json_t *obs, const char *key, PyObject *value)
{
	json_t *enc = NULL;
	char tn[128];
	pyvalue_type_name(value, tn, sizeof(tn));
	json_object_set_new(obs, "type", json_string(tn));
	if (pyvalue_encode(value, &enc, H.err, sizeof(H.err)) < 0)
		json_object_set_new(obs, "unencodable", json_string(H.err));
	else
		json_object_set_new(obs, key, enc);
}

/* ---- kinds ---------------------------------------------------------------- */

static void observe_call(PyObject *module, const json_t *spec, json_t *obs)
{
	PyObject *args = NULL, *kwargs = NULL, *result = NULL;
	PyObject *func = lookup_function(module, json_string_value(json_object_get(spec, "function")), obs);
	if (!func)
		return;
	json_t *jargs = json_object_get(spec, "args");
	json_t *jkw = json_object_get(spec, "kwargs");
	PyObject *list = jargs ? pyvalue_decode(jargs, make_new, NULL, H.err, sizeof(H.err)) : PyList_New(0);
	if (!list)
		goto harness_error;
	args = PyList_AsTuple(list); /* new */
	Py_DECREF(list);
	if (jkw) {
		kwargs = PyDict_New();
		const char *key;
		json_t *val;
		json_object_foreach(jkw, key, val) {
			PyObject *v = pyvalue_decode(val, make_new, NULL, H.err, sizeof(H.err)); /* new */
			if (!v || PyDict_SetItemString(kwargs, key, v) < 0) {
				Py_XDECREF(v);
				goto harness_error;
			}
			Py_DECREF(v);
		}
	}
	double t0 = now_seconds();
	result = PyObject_Call(func, args, kwargs); /* new */
	json_object_set_new(obs, "seconds", json_real(now_seconds() - t0));
	if (!result) {
		record_exception(obs, "exception");
		goto done;
	}
	record_value(obs, "returns", result);
	goto done;
harness_error:
	PyErr_Clear();
	json_object_set_new(obs, "harness_error", json_string(H.err[0] ? H.err : "cannot build the arguments"));
done:
	Py_XDECREF(result);
	Py_XDECREF(args);
	Py_XDECREF(kwargs);
}

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

/* An object is immortal (3.12+) when its count is pinned near 2^32: such
 * counts never move, so they say nothing about the student's answer. */
static bool looks_immortal(PyObject *obj)
{
	return Py_REFCNT(obj) > ((Py_ssize_t)1 << 28);
}

static void observe_refcount(PyObject *module, const json_t *spec, json_t *obs)
{
	PyObject *func = lookup_function(module, json_string_value(json_object_get(spec, "function")), obs);
	if (!func)
		return;
	const char *how = json_string_value(json_object_get(spec, "hold"));
	json_t *extra = json_object_get(spec, "extra_refs");
	json_t *cases = json_array();
	json_object_set_new(obs, "cases", cases);
	json_object_set_new(obs, "offset", json_integer(pyhost.refcount_call_offset));
	size_t n = extra ? json_array_size(extra) : 1;
	for (size_t i = 0; i < n; i++) {
		long k = extra ? (long)json_integer_value(json_array_get(extra, i)) : 0;
		json_t *c = json_pack("{s:i}", "extra", (json_int_t)k);
		json_array_append_new(cases, c);
		H.err[0] = '\0';
		PyObject *obj = pyvalue_decode(json_object_get(spec, "object"), make_new, NULL, H.err, sizeof(H.err)); /* new */
		if (!obj) {
			PyErr_Clear();
			json_object_set_new(c, "harness_error", json_string(H.err[0] ? H.err : "cannot build the object"));
			continue;
		}
		if (looks_immortal(obj)) {
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
		Py_ssize_t before = Py_REFCNT(obj);
		PyObject *answer = PyObject_CallOneArg(func, obj); /* new */
		Py_ssize_t after = Py_REFCNT(obj);
		json_object_set_new(c, "before", json_integer((json_int_t)before));
		json_object_set_new(c, "truth", json_integer((json_int_t)before + pyhost.refcount_call_offset));
		json_object_set_new(c, "after", json_integer((json_int_t)(after - (answer == obj))));
		if (!answer) {
			record_exception(c, "exception");
		} else {
			record_value(c, "answer", answer);
		}
		Py_XDECREF(answer);
		Py_DECREF(holder);
		Py_DECREF(obj);
	}
}

/* ---- the frame ------------------------------------------------------------ */

_Noreturn static void finish(int code)
{
	pyhost_flush_stdio();
	char *text = json_dumps(H.observation, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (text) {
		size_t len = strlen(text);
		size_t total = 2 * HARNESS_NONCE_LEN + 4 + len;
		unsigned char *frame = xmalloc(total);
		memcpy(frame, H.io->nonce, HARNESS_NONCE_LEN);
		frame[HARNESS_NONCE_LEN + 0] = (unsigned char)(len >> 24);
		frame[HARNESS_NONCE_LEN + 1] = (unsigned char)(len >> 16);
		frame[HARNESS_NONCE_LEN + 2] = (unsigned char)(len >> 8);
		frame[HARNESS_NONCE_LEN + 3] = (unsigned char)len;
		memcpy(frame + HARNESS_NONCE_LEN + 4, text, len);
		memcpy(frame + HARNESS_NONCE_LEN + 4 + len, H.io->nonce, HARNESS_NONCE_LEN);
		write_all(H.io->result_fd, frame, total);
	}
	/* _exit: no atexit handlers, no __del__ at shutdown, no flushing of
	 * streams the student may have replaced. */
	_exit(code);
}

static const char *module_of(const json_t *spec, char *out, size_t outlen)
{
	const char *m = json_string_value(json_object_get(spec, "module"));
	const char *f = json_string_value(json_object_get(spec, "function"));
	if (m)
		snprintf(out, outlen, "%s", m);
	else if (f)
		snprintf(out, outlen, "%.*s", (int)(strrchr(f, '.') ? strrchr(f, '.') - f : 0), f);
	else
		out[0] = '\0';
	return out;
}

_Noreturn void harness_run(const char *request, size_t len, const struct compiled_module *modules,
			   size_t n_modules, const struct harness_io *io)
{
	H.modules = modules;
	H.n_modules = n_modules;
	H.io = io;
	H.observation = json_object();

	json_t *req = json_loadb(request, len, 0, NULL);
	const char *kind = json_string_value(json_object_get(req, "kind"));
	const json_t *spec = json_object_get(req, "spec");
	if (!req || !kind || !spec) {
		json_object_set_new(H.observation, "harness_error", json_string("malformed check request"));
		finish(0);
	}
	if (pyhost_setup_stdio() < 0) {
		json_object_set_new(H.observation, "harness_error", json_string("cannot set up sys.stdout"));
		finish(0);
	}
	/* Student files import each other from the submission directory. */
	PyObject *path = PySys_GetObject("path"); /* borrowed */
	PyObject *dir = PyUnicode_FromString(io->submission_dir); /* new */
	if (path && dir && PyList_Check(path))
		PyList_Append(path, dir);
	Py_XDECREF(dir);
	PyErr_Clear();

	char modname[128];
	module_of(spec, modname, sizeof(modname));
	PyObject *module = import_student(modname); /* new */
	pyhost_flush_stdio();
	/* Output from here on belongs to the call, not to the import. */
	dup2(io->stdout_call_fd, 1);
	if (!module)
		finish(0);

	/* "import" needs nothing beyond the import itself. */
	if (strcmp(kind, "import")) {
		json_t *obs = json_object();
		json_object_set_new(H.observation, kind, obs);
		if (!strcmp(kind, "call"))
			observe_call(module, spec, obs);
		else if (!strcmp(kind, "refcount"))
			observe_refcount(module, spec, obs);
		else
			json_object_set_new(obs, "harness_error", json_string("unknown check kind"));
	}
	Py_DECREF(module);
	PyErr_Clear();
	finish(0);
}
