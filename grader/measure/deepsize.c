#include "measure/deepsize.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Counted, never looked into (the statement's rule 2). */
static bool opaque(PyObject *o)
{
	return PyType_Check(o) || PyModule_Check(o) || PyFunction_Check(o) || PyCFunction_Check(o) ||
	       PyMethod_Check(o);
}

/* The attribute name of slot 'name' declared in class 'cls': "__x" in
 * class "_C" is "_C__x", as the compiler mangles it.  New reference. */
static PyObject *mangle(PyTypeObject *cls, PyObject *name)
{
	Py_ssize_t n = PyUnicode_GET_LENGTH(name);
	if (n < 3 || PyUnicode_READ_CHAR(name, 0) != '_' || PyUnicode_READ_CHAR(name, 1) != '_' ||
	    (PyUnicode_READ_CHAR(name, n - 1) == '_' && PyUnicode_READ_CHAR(name, n - 2) == '_'))
		return Py_NewRef(name);
	PyObject *cname = PyType_GetName(cls); /* new */
	if (!cname)
		return NULL;
	Py_ssize_t i = 0, cn = PyUnicode_GET_LENGTH(cname);
	while (i < cn && PyUnicode_READ_CHAR(cname, i) == '_')
		i++;
	PyObject *result = NULL;
	if (i == cn) {
		result = Py_NewRef(name);
	} else {
		PyObject *stripped = PyUnicode_Substring(cname, i, cn); /* new */
		result = stripped ? PyUnicode_FromFormat("_%U%U", stripped, name) : NULL;
		Py_XDECREF(stripped);
	}
	Py_DECREF(cname);
	return result;
}

/* Pushes getattr(o, name) onto the stack unless the slot is unset. */
static int push_slot(PyObject *stack, PyObject *o, PyTypeObject *cls, PyObject *name)
{
	if (!PyUnicode_Check(name))
		return 0;
	if (PyUnicode_CompareWithASCIIString(name, "__dict__") == 0 ||
	    PyUnicode_CompareWithASCIIString(name, "__weakref__") == 0)
		return 0;
	PyObject *attr_name = mangle(cls, name); /* new */
	if (!attr_name)
		return -1;
	PyObject *v = PyObject_GetAttr(o, attr_name); /* new */
	Py_DECREF(attr_name);
	if (!v) {
		if (!PyErr_ExceptionMatches(PyExc_AttributeError))
			return -1;
		PyErr_Clear();  /* declared, never assigned */
		return 0;
	}
	int rc = PyList_Append(stack, v);
	Py_DECREF(v);
	return rc;
}

static int push_slots(PyObject *stack, PyObject *o)
{
	PyObject *mro = Py_TYPE(o)->tp_mro; /* borrowed */
	for (Py_ssize_t i = 0; mro && i < PyTuple_GET_SIZE(mro); i++) {
		PyTypeObject *cls = (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
		PyObject *slots = cls->tp_dict ? PyDict_GetItemString(cls->tp_dict, "__slots__") : NULL; /* borrowed */
		if (!slots)
			continue;
		if (PyUnicode_Check(slots)) {
			if (push_slot(stack, o, cls, slots) < 0)
				return -1;
			continue;
		}
		PyObject *it = PyObject_GetIter(slots); /* new */
		if (!it)
			return -1;
		PyObject *name;
		int rc = 0;
		while (rc == 0 && (name = PyIter_Next(it))) { /* new */
			rc = push_slot(stack, o, cls, name);
			Py_DECREF(name);
		}
		Py_DECREF(it);
		if (rc < 0 || PyErr_Occurred())
			return -1;
	}
	return 0;
}

static int push_iterable(PyObject *stack, PyObject *o)
{
	PyObject *it = PyObject_GetIter(o); /* new */
	if (!it)
		return -1;
	PyObject *item;
	int rc = 0;
	while (rc == 0 && (item = PyIter_Next(it))) { /* new */
		rc = PyList_Append(stack, item);
		Py_DECREF(item);
	}
	Py_DECREF(it);
	return rc < 0 || PyErr_Occurred() ? -1 : 0;
}

/* Pushes what the walk follows from o (rule 3). */
static int push_referents(PyObject *stack, PyObject *o)
{
	if (opaque(o))
		return 0;
	if (PyDict_Check(o)) {
		/* The dict's own storage, not a subclass's keys() or items(). */
		Py_ssize_t pos = 0;
		PyObject *k, *v; /* borrowed */
		while (PyDict_Next(o, &pos, &k, &v))
			if (PyList_Append(stack, k) < 0 || PyList_Append(stack, v) < 0)
				return -1;
	} else if (PyList_Check(o) || PyTuple_Check(o)) {
		PyObject *items = PySequence_Tuple(o); /* new: a snapshot of the storage */
		if (!items)
			return -1;
		for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(items); i++)
			if (PyList_Append(stack, PyTuple_GET_ITEM(items, i)) < 0) {
				Py_DECREF(items);
				return -1;
			}
		Py_DECREF(items);
	} else if (PyAnySet_Check(o)) {
		if (push_iterable(stack, o) < 0)
			return -1;
	}
	PyObject *d = PyObject_GetAttrString(o, "__dict__"); /* new */
	if (!d) {
		if (!PyErr_ExceptionMatches(PyExc_AttributeError))
			return -1;
		PyErr_Clear();
	} else {
		int rc = PyDict_Check(d) ? PyList_Append(stack, d) : 0;
		Py_DECREF(d);
		if (rc < 0)
			return -1;
	}
	return push_slots(stack, o);
}

int deepsize_walk(PyObject *root, PyObject *getsizeof, long long *out, char *err, size_t errlen)
{
	int rc = -1;
	long long total = 0;
	PyObject *stack = NULL, *seen = NULL, *keep = NULL;
	stack = PyList_New(0); /* new */
	seen = PySet_New(NULL); /* new: addresses counted */
	/* Everything visited stays alive until the walk ends, so no address
	 * is reused by an object that getattr() creates on the fly. */
	keep = PyList_New(0); /* new */
	if (!stack || !seen || !keep || PyList_Append(stack, root) < 0)
		goto done;
	Py_ssize_t n;
	while ((n = PyList_GET_SIZE(stack)) > 0) {
		PyObject *cur = Py_NewRef(PyList_GET_ITEM(stack, n - 1)); /* new */
		if (PyList_SetSlice(stack, n - 1, n, NULL) < 0) {
			Py_DECREF(cur);
			goto done;
		}
		PyObject *addr = PyLong_FromVoidPtr(cur); /* new */
		int known = addr ? PySet_Contains(seen, addr) : -1;
		if (known == 0 && (PySet_Add(seen, addr) < 0 || PyList_Append(keep, cur) < 0))
			known = -1;
		Py_XDECREF(addr);
		if (known != 0) {
			Py_DECREF(cur);
			if (known < 0)
				goto done;
			continue;
		}
		PyObject *size = PyObject_CallOneArg(getsizeof, cur); /* new */
		long long s = size && PyLong_CheckExact(size) ? PyLong_AsLongLong(size) : -1;
		Py_XDECREF(size);
		if (s < 0 || push_referents(stack, cur) < 0) {
			Py_DECREF(cur);
			goto done;
		}
		Py_DECREF(cur);
		total += s;
	}
	*out = total;
	rc = 0;
done:
	if (rc < 0) {
		PyObject *type = NULL, *value = NULL, *tb = NULL; /* new */
		PyErr_Fetch(&type, &value, &tb);
		PyObject *text = value ? PyObject_Str(value) : NULL; /* new */
		const char *msg = text ? PyUnicode_AsUTF8(text) : NULL;
		snprintf(err, errlen, "the grader's walk failed: %s", msg ? msg : "unknown error");
		Py_XDECREF(text);
		Py_XDECREF(type);
		Py_XDECREF(value);
		Py_XDECREF(tb);
		PyErr_Clear();
	}
	Py_XDECREF(stack);
	Py_XDECREF(seen);
	Py_XDECREF(keep);
	return rc;
}
