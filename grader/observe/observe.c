#include "observe/observe.h"
#include "base/wire.h"

#include <stdio.h>
#include <string.h>

#include "py/fixtures.h"
#include "py/pyhost.h"
#include "py/pyvalue.h"

PyObject *observe_function(PyObject *module, const char *qualified, json_t *obs)
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
	/* Where the function is defined, for the reports that point at a
	 * line: read from the code object, no student code runs. */
	if (PyFunction_Check(func)) {
		PyCodeObject *code = (PyCodeObject *)PyFunction_GET_CODE(func); /* borrowed */
		const char *file = PyUnicode_Check(code->co_filename) ? PyUnicode_AsUTF8(code->co_filename) : NULL;
		if (file)
			json_object_set_new(obs, "def", json_pack("{s:s, s:i}", "file", file, "line", code->co_firstlineno));
		PyErr_Clear();
	}
	return func;
}

/* A grader fixture ({"$fixture": name}: the very object) or a fresh case
 * object from a builder ({"$build": name}). */
static PyObject *make_fixture(const char *tag, const json_t *spec, char *err, size_t errlen)
{
	const char *name = json_string_value(spec);
	PyObject *o = NULL; /* new */
	if (!strcmp(tag, "$fixture")) {
		o = name ? Py_XNewRef(fixtures_get(name)) : NULL;
		if (!o)
			snprintf(err, errlen, "no grader fixture '%s'", name ? name : "?");
		return o;
	}
	o = name ? fixtures_build(name) : NULL;
	if (!o) {
		PyErr_Clear();
		snprintf(err, errlen, "grader builder '%s' failed", name ? name : "?");
	}
	return o;
}

/* pyvalue_decode's constructor for {"$new": ...}: objects the grader
 * makes fresh for each case, so their reference counts are known. */
static PyObject *make_new(const char *tag, const json_t *spec, void *payload, char *err, size_t errlen)
{
	(void)payload;
	if (strcmp(tag, "$new"))
		return make_fixture(tag, spec, err, errlen);
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
		PyObject *o = NULL; /* new */
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
		return PyObject_CallNoArgs(fixtures_object_class());
	if (!strcmp(type, "bytearray")) {
		PyObject *b = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)size); /* new */
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

PyObject *observe_build(const json_t *spec, char *err, size_t errlen)
{
	err[0] = '\0';
	PyObject *o = pyvalue_decode(spec, make_new, NULL, err, errlen); /* new */
	if (!o) {
		PyErr_Clear();
		if (!err[0])
			snprintf(err, errlen, "cannot build the value");
	}
	return o;
}

int observe_build_args(const json_t *spec, json_t *obs, PyObject **args, PyObject **kwargs)
{
	char err[256] = "";
	PyObject *list = NULL;
	*args = NULL;
	*kwargs = NULL;
	const json_t *jargs = json_object_get(spec, "args");
	const json_t *jkw = json_object_get(spec, "kwargs");
	list = jargs ? observe_build(jargs, err, sizeof(err)) : PyList_New(0); /* new */
	if (!list || !PyList_Check(list))
		goto fail;
	*args = PyList_AsTuple(list); /* new */
	if (!*args)
		goto fail;
	if (jkw) {
		*kwargs = PyDict_New(); /* new */
		const char *key;
		json_t *val;
		json_object_foreach((json_t *)jkw, key, val) {
			PyObject *v = observe_build(val, err, sizeof(err)); /* new */
			if (!v || !*kwargs || PyDict_SetItemString(*kwargs, key, v) < 0) {
				Py_XDECREF(v);
				goto fail;
			}
			Py_DECREF(v);
		}
	}
	Py_DECREF(list);
	return 0;
fail:
	PyErr_Clear();
	Py_XDECREF(list);
	Py_CLEAR(*args);
	Py_CLEAR(*kwargs);
	observe_harness_error(obs, err[0] ? err : "cannot build the arguments");
	return -1;
}

void observe_exception(json_t *obs, const char *key)
{
	struct py_exception exc;
	pyhost_take_exception(&exc);
	json_object_set_new(obs, key, py_exception_to_json(&exc));
}

void observe_value(json_t *obs, const char *key, PyObject *value)
{
	json_t *enc = NULL;
	char tn[128], err[256];
	pyvalue_type_name(value, tn, sizeof(tn));
	json_object_set_new(obs, "type", json_string(tn));
	/* The grader's own object, returned as is: identity, as data. */
	const char *fixture = fixtures_name_of(value);
	if (fixture)
		json_object_set_new(obs, key, json_pack("{s:s}", "$fixture", fixture));
	else if (pyvalue_encode(value, &enc, err, sizeof(err)) < 0)
		json_object_set_new(obs, "unencodable", json_string(err));
	else
		json_object_set_new(obs, key, enc);
}

void observe_harness_error(json_t *obs, const char *text)
{
	json_object_set_new(obs, WIRE_KEY_HARNESS_ERROR, json_string(text));
}
