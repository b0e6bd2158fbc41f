/* The grader's deep size walk (C) against the exercise's reference
 * solution (Python), on the same objects, in an interpreter started for
 * the test; and what the walk must not be fooled by. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "measure/deepsize.h"
#include "base/util.h"

static PyObject *globals;
static PyObject *getsizeof; /* the original, captured before any patching */

static void start(void)
{
	Py_InitializeEx(0);
	globals = PyDict_New();
	PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins());
	PyObject *sys = PyImport_ImportModule("sys");
	getsizeof = PyObject_GetAttrString(sys, "getsizeof");
	Py_DECREF(sys);
	const char *root = getenv("GRADE_SOURCE_ROOT");
	char *path = xasprintf("%s/exercises/deepsize/reference/deepsize.py", root ? root : "..");
	char *src = NULL;
	size_t len = 0;
	cr_assert_eq(read_file(&src, &len, path, 1 << 20), 0, "%s", path);
	PyObject *r = PyRun_String(src, Py_file_input, globals, globals);
	if (!r)
		PyErr_Print();
	cr_assert_not_null(r);
	Py_DECREF(r);
	free(src);
	free(path);
}

TestSuite(deepsize, .init = start, .timeout = 30);

static void run(const char *code)
{
	PyObject *r = PyRun_String(code, Py_file_input, globals, globals);
	if (!r)
		PyErr_Print();
	cr_assert_not_null(r, "%s", code);
	Py_DECREF(r);
}

static long long walk(const char *name)
{
	PyObject *o = PyDict_GetItemString(globals, name);
	cr_assert_not_null(o, "%s", name);
	long long total = -1;
	char err[200] = "";
	cr_assert_eq(deepsize_walk(o, getsizeof, &total, err, sizeof(err)), 0, "%s: %s", name, err);
	cr_assert(!PyErr_Occurred());
	return total;
}

static long long py_long(const char *expr)
{
	PyObject *v = PyRun_String(expr, Py_eval_input, globals, globals);
	cr_assert_not_null(v, "%s", expr);
	long long x = PyLong_AsLongLong(v);
	Py_DECREF(v);
	return x;
}

Test(deepsize, agrees_with_the_reference_solution)
{
	run("import collections, sys, types\n"
	    "class P:\n    __slots__ = ('a', 'b')\n"
	    "class Q(P):\n    __slots__ = 'c'\n"
	    "class _Priv:\n    __slots__ = ('__s', '__dict__')\n    def __init__(self): self.__s = 'x' * 99; self.extra = [1]\n"
	    "class N:\n    pass\n"
	    "s = 'x' * 1000\n"
	    "p = P(); p.a = s\n"
	    "q = Q(); q.a = 'q' * 10; q.c = (s, s)\n"
	    "n = N(); n.me = n; n.data = {s: [p, q], ('k', 2 ** 70): frozenset({b'b' * 30})}\n"
	    "loop = [1, 2]; loop.append(loop)\n"
	    "cases = {\n"
	    "  'leaf': 12345, 'shared': [s, s], 'loop': loop, 'slots': p, 'inherited': q, 'private': _Priv(),\n"
	    "  'instance': n, 'opaque': [int, len, sys, types, N, n.__init__ if hasattr(n, '__init__') else None, lambda: 0],\n"
	    "  'cls': N, 'module': collections, 'dsub': collections.OrderedDict(a=collections.defaultdict(list, b=[s])),\n"
	    "  'sets': {s, 'y' * 10, frozenset({s})}, 'nested': [[[[[]]]]], 'none': [None] * 10,\n"
	    "}\n"
	    "deep = []\n"
	    "for _ in range(100000):\n    deep = [deep]\n"
	    "cases['deep'] = deep\n");
	PyObject *cases = PyDict_GetItemString(globals, "cases");
	PyObject *name, *obj;
	Py_ssize_t pos = 0;
	while (PyDict_Next(cases, &pos, &name, &obj)) {
		PyDict_SetItemString(globals, "_case", obj);
		long long c = walk("_case");
		long long ref = py_long("deep_sizeof(_case)");
		cr_expect_eq(c, ref, "%s: C %lld, reference %lld", PyUnicode_AsUTF8(name), c, ref);
	}
}

Test(deepsize, patched_getsizeof_and_isinstance_change_nothing)
{
	run("import sys, builtins\n"
	    "t = ('t' * 50, ['u' * 70])\n");
	long long before = walk("t");
	run("sys.getsizeof = lambda o, d=0: 1\n"
	    "_isinstance = builtins.isinstance\n"
	    "builtins.isinstance = lambda o, c: False\n");
	long long after = walk("t");
	run("builtins.isinstance = _isinstance\n");
	cr_expect_eq(before, after);
	cr_expect_gt(after, 100);
}

Test(deepsize, a_lying_dict_subclass_is_walked_by_its_storage)
{
	/* keys()/values()/__iter__ of a subclass are student code: the walk
	 * reads the dict's own storage instead. */
	run("class Liar(dict):\n"
	    "    __slots__ = ()\n"
	    "    def keys(self): return []\n"
	    "    def values(self): return []\n"
	    "    def __iter__(self): return iter(())\n"
	    "lying = Liar({'k' * 100: 'v' * 200})\n"
	    "honest = {'k' * 100: 'v' * 200}\n");
	long long lying = walk("lying"), honest = walk("honest");
	cr_expect_eq(lying - py_long("sys.getsizeof(lying)"), honest - py_long("sys.getsizeof(honest)"));
}
