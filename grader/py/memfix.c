#include "py/memfix.h"

#include <stdio.h>
#include <string.h>

#define WORKLOADS_FILE "grade_workloads.py"

/* Line numbers matter: 'top' checks look for keep's allocation line. */
static const char workloads_source[] =
	"# Workloads with known memory behaviour, for the memory check kinds.\n"
	"_last = [None, None]\n"
	"\n"
	"def keep(size, *, tag=None):\n"
	"    \"\"\"Returns a fresh block of size bytes (the caller keeps it).\"\"\"\n"
	"    block = bytearray(size)\n"                            /* line 6 */
	"    _last[0] = block\n"
	"    _last[1] = tag\n"
	"    return block\n"
	"\n"
	"def churn(size):\n"
	"    \"\"\"Allocates size bytes and frees them before returning.\"\"\"\n"
	"    block = bytearray(size)\n"
	"    del block\n"
	"\n"
	"def noop():\n"
	"    \"\"\"Allocates nothing.\"\"\"\n"
	"    return None\n"
	"\n"
	"def fail(exc):\n"
	"    \"\"\"Raises the exception it is given.\"\"\"\n"
	"    block = bytearray(100000)\n"
	"    raise exc\n"
	"\n"
	"def nested_before(inner, size):\n"
	"    \"\"\"Peaks at 2*size before calling inner(size), holding size//4.\"\"\"\n"
	"    tmp = bytearray(2 * size)\n"
	"    del tmp\n"
	"    held = bytearray(size // 4)\n"
	"    inner(size)\n"
	"    return len(held)\n"
	"\n"
	"def nested_during(inner, size):\n"
	"    \"\"\"Holds size//4 while inner(size) churns: the peak is inside.\"\"\"\n"
	"    held = bytearray(size // 4)\n"
	"    inner(size)\n"
	"    return len(held)\n"
	"\n"
	"def recurse(self_fn, depth, size):\n"
	"    \"\"\"Holds size bytes per level, depth levels down through self_fn.\"\"\"\n"
	"    block = bytearray(size)\n"
	"    if depth > 0:\n"
	"        self_fn(self_fn, depth - 1, size)\n"
	"    return depth\n"
	"\n"
	"def caller_data(size, n):\n"
	"    \"\"\"The caller's own traced data: one big block, n small ones.\"\"\"\n"
	"    return [bytearray(size)] + [bytes(100) for _ in range(n)]\n"
	"\n"
	"def spike(size):\n"
	"    \"\"\"A high peak before the measured call.\"\"\"\n"
	"    block = bytearray(size)\n"
	"    del block\n"
	"\n"
	"def grow(items, n):\n"
	"    \"\"\"Appends n objects to items: a leak when items lives on.\"\"\"\n"
	"    for _ in range(n):\n"
	"        items.append(object())\n";

static PyObject *fix;   /* strong: workloads and captured functions */

static const char *const captured[] = {
	"is_tracing", "start", "stop", "get_traced_memory", "reset_peak", "_get_object_traceback",
};

int memfix_start(char *err, size_t errlen)
{
	int rc = -1;
	PyObject *builtins = NULL, *code = NULL, *r = NULL, *tm = NULL, *name = NULL;
	fix = PyDict_New();
	builtins = PyDict_Copy(PyEval_GetBuiltins()); /* new */
	name = PyUnicode_FromString("_grade_workloads"); /* new */
	if (!fix || !builtins || !name || PyDict_SetItemString(fix, "__builtins__", builtins) < 0 ||
	    PyDict_SetItemString(fix, "__name__", name) < 0)
		goto done;
	code = Py_CompileString(workloads_source, WORKLOADS_FILE, Py_file_input); /* new */
	if (!code)
		goto done;
	r = PyEval_EvalCode(code, fix, fix); /* new */
	if (!r)
		goto done;
	tm = PyImport_ImportModule("_tracemalloc"); /* new */
	if (!tm)
		goto done;
	for (size_t i = 0; i < sizeof(captured) / sizeof(captured[0]); i++) {
		PyObject *f = PyObject_GetAttrString(tm, captured[i]); /* new */
		char key[64];
		snprintf(key, sizeof(key), "tm_%s", captured[i]);
		int bad = !f || !PyCFunction_Check(f) || PyDict_SetItemString(fix, key, f) < 0;
		Py_XDECREF(f);
		if (bad)
			goto done;
	}
	rc = 0;
done:
	if (rc < 0) {
		PyErr_Clear();
		snprintf(err, errlen, "cannot set up the memory workloads");
	}
	Py_XDECREF(builtins);
	Py_XDECREF(name);
	Py_XDECREF(code);
	Py_XDECREF(r);
	Py_XDECREF(tm);
	return rc;
}

PyObject *memfix_get(const char *name)
{
	return fix ? PyDict_GetItemString(fix, name) : NULL; /* borrowed */
}

PyObject *memfix_tm(const char *name)
{
	char key[64];
	snprintf(key, sizeof(key), "tm_%s", name);
	PyObject *f = memfix_get(key); /* borrowed */
	PyObject *r = f ? PyObject_CallNoArgs(f) : NULL; /* new */
	if (!r)
		PyErr_Clear();
	return r;
}

bool memfix_tracing(void)
{
	PyObject *r = memfix_tm("is_tracing"); /* new */
	bool on = r == Py_True;
	Py_XDECREF(r);
	return on;
}

void memfix_traced(long long *current, long long *peak)
{
	*current = *peak = 0;
	PyObject *r = memfix_tm("get_traced_memory"); /* new */
	if (r && PyTuple_CheckExact(r) && PyTuple_GET_SIZE(r) == 2) {
		*current = PyLong_AsLongLong(PyTuple_GET_ITEM(r, 0));
		*peak = PyLong_AsLongLong(PyTuple_GET_ITEM(r, 1));
		PyErr_Clear();
	}
	Py_XDECREF(r);
}

int memfix_keep_line(void)
{
	return 6;
}
