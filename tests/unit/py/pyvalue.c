/* Encoding Python objects, in an interpreter started for the test. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "py/pyvalue.h"
#include "base/value.h"

static PyObject *globals;

static void start(void)
{
	Py_InitializeEx(0);
	globals = PyDict_New();
	PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins());
	PyObject *name = PyUnicode_FromString("__main__");
	PyDict_SetItemString(globals, "__name__", name);
	Py_DECREF(name);
}

TestSuite(pyvalue, .init = start, .timeout = 20);

static PyObject *eval(const char *code)
{
	PyObject *v = PyRun_String(code, Py_eval_input, globals, globals);
	if (!v)
		PyErr_Print();
	cr_assert_not_null(v, "eval failed: %s", code);
	return v;
}

static void run(const char *code)
{
	PyObject *v = PyRun_String(code, Py_file_input, globals, globals);
	cr_assert_not_null(v, "exec failed: %s", code);
	Py_DECREF(v);
}

static char *encoded_repr(const char *code)
{
	PyObject *v = eval(code);
	json_t *j = NULL;
	char err[128] = "";
	cr_assert_eq(pyvalue_encode(v, &j, err, sizeof(err)), 0, "%s: %s", code, err);
	Py_DECREF(v);
	char *s = value_repr(j, 400);
	json_decref(j);
	return s;
}

static void expect_round(const char *code, const char *want)
{
	char *s = encoded_repr(code);
	cr_expect_str_eq(s, want, "%s", code);
	free(s);
}

Test(pyvalue, exact_builtins_encode_to_python_reprs)
{
	expect_round("[1, 2.5, 'x', None, True, (1,), {'a': [1]}, b'\\x00', {3, 1, 2}]",
		     "[1, 2.5, 'x', None, True, (1,), {'a': [1]}, b'\\x00', {1, 2, 3}]");
	expect_round("2**100", "1267650600228229401496703205376");
	expect_round("float('nan')", "nan");
	expect_round("frozenset()", "frozenset({})");
}

Test(pyvalue, subclasses_and_lazy_objects_are_opaque)
{
	run("class LyingInt(int):\n"
	    "    def __eq__(self, other): return True\n"
	    "    def __repr__(self): return '3'\n"
	    "    def __hash__(self): return 3\n");
	expect_round("LyingInt(3)", "<__main__.LyingInt object>");
	expect_round("map(abs, [1])", "<map object>");
	expect_round("[LyingInt(1)]", "[<__main__.LyingInt object>]");
	/* The encoding must not have called the lying methods. */
	PyObject *v = eval("LyingInt(3)");
	json_t *j = NULL, *three = json_integer(3);
	char err[64];
	cr_assert_eq(pyvalue_encode(v, &j, err, sizeof(err)), 0);
	cr_expect_not(value_equal(j, three));
	json_decref(j);
	json_decref(three);
	Py_DECREF(v);
}

Test(pyvalue, depth_and_size_are_bounded)
{
	run("deep = []\n"
	    "cur = deep\n"
	    "for _ in range(1000000):\n"
	    "    nxt = []\n"
	    "    cur.append(nxt)\n"
	    "    cur = nxt\n");
	PyObject *deep = eval("deep");
	json_t *j = NULL;
	char err[128] = "";
	cr_expect_eq(pyvalue_encode(deep, &j, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "a value nested more than 100 levels deep");
	Py_DECREF(deep);
	PyObject *wide = eval("list(range(200000))");
	cr_expect_eq(pyvalue_encode(wide, &j, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "a value with more than 100000 items");
	Py_DECREF(wide);
	PyObject *huge = eval("1 << 2000000");
	cr_expect_eq(pyvalue_encode(huge, &j, err, sizeof(err)), -1);
	Py_DECREF(huge);
	cr_expect_null(PyErr_Occurred());
}

Test(pyvalue, decode_builds_the_same_value)
{
	const char *text = "[1, {\"$tuple\": [2, 3]}, {\"$set\": [4]}, {\"$dict\": [[\"k\", null]]}, {\"$bytes\": \"6869\"}, {\"$int\": \"123456789012345678901234567890\"}]";
	json_t *j = json_loads(text, 0, NULL);
	char err[128] = "";
	PyObject *v = pyvalue_decode(j, NULL, NULL, err, sizeof(err));
	cr_assert_not_null(v, "%s", err);
	json_t *back = NULL;
	cr_assert_eq(pyvalue_encode(v, &back, err, sizeof(err)), 0);
	char *a = value_repr(j, 400), *b = value_repr(back, 400);
	cr_expect_str_eq(b, "[1, (2, 3), {4}, {'k': None}, b'hi', 123456789012345678901234567890]");
	free(a);
	free(b);
	Py_DECREF(v);
	json_decref(j);
	json_decref(back);
}

Test(pyvalue, new_without_a_builder_is_an_error)
{
	json_t *j = json_loads("[{\"$new\": \"object\"}]", 0, NULL);
	char err[128] = "";
	cr_expect_null(pyvalue_decode(j, NULL, NULL, err, sizeof(err)));
	cr_expect_str_eq(err, "grader objects (!new, !fixture, !build) are not allowed here");
	json_decref(j);
}
