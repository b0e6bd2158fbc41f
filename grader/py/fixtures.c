#include "py/fixtures.h"

#include "base/value.h"
#include "py/pyhost.h"

#include <stdio.h>
#include <string.h>

/* Runs in the fixture namespace (which holds _sys) at zygote start-up, the
 * parts in order (each under C's 4095-byte string limit).  Builders make a
 * fresh object per call: check children never share case objects with each
 * other or with earlier checks. */
static const char fixtures_base_source[] =
	"class GraderObject:\n"
	"    \"\"\"A plain instance with a __dict__, built by !new instance.\"\"\"\n"
	"\n"
	"def reference_count_refs(obj):\n"
	"    return _sys.getrefcount(obj) - 1\n"
	"\n"
	"import gc as _gc, collections as _collections\n"
	"_getsizeof = _sys.getsizeof\n"
	"_gc_originals = {'get_threshold': _gc.get_threshold, 'set_threshold': _gc.set_threshold,\n"
	"                 'get_debug': _gc.get_debug, 'set_debug': _gc.set_debug,\n"
	"                 'callbacks': _gc.callbacks, 'garbage': _gc.garbage}\n"
	"\n"
	"def sample_function(x=1):\n"
	"    \"\"\"A grader function: returns its argument.\"\"\"\n"
	"    return x\n"
	"\n"
	"def identity(x):\n"
	"    return x\n"
	"\n"
	"class _Token:\n"
	"    __slots__ = ()\n"
	"token = _Token()\n"
	"\n"
	"def make_token(*args, **kwargs):\n"
	"    \"\"\"Returns the grader's token object, whatever it is given.\"\"\"\n"
	"    return token\n"
	"\n"
	"def raise_value_error(*args, **kwargs):\n"
	"    raise ValueError('raised by the grader')\n"
	"\n"
	"class GraderNode:\n"
	"    def method(self):\n"
	"        return self\n"
	"\n"
	"class GraderSlots:\n"
	"    __slots__ = ('a', 'b')\n"
	"\n"
	"class GraderSlotsChild(GraderSlots):\n"
	"    __slots__ = ('c',)\n"
	"\n"
	"class GraderOneSlot:\n"
	"    __slots__ = 'only'\n"
	"\n"
	"class _GraderPrivate:\n"
	"    __slots__ = ('__secret', 'plain')\n"
	"    def __init__(self, secret, plain):\n"
	"        self.__secret = secret\n"
	"        self.plain = plain\n"
	"\n"
	"class GraderSlotsDict:\n"
	"    __slots__ = ('v', '__dict__')\n"
	"\n"
	;

/* deep_sizeof's cases, rules 1 to 3: what is counted and followed. */
static const char fixtures_deepsize_source[] =
	"def build_shared_str():\n"
	"    s = 'x' * 1000\n"
	"    return [s, s]\n"
	"\n"
	"def build_shared_tuple():\n"
	"    a = 'a' * 500\n"
	"    inner = (a, 'b' * 300)\n"
	"    return (inner, a, (inner, 'c' * 200))\n"
	"\n"
	"def build_many_none():\n"
	"    return [None] * 6 + [(None, None)]\n"
	"\n"
	"def build_self_list():\n"
	"    loop = ['abc' * 10, 'def' * 20]\n"
	"    loop.append(loop)\n"
	"    return loop\n"
	"\n"
	"def build_two_lists():\n"
	"    a = ['p' * 50]\n"
	"    b = [a, 'q' * 70]\n"
	"    a.append(b)\n"
	"    return a\n"
	"\n"
	"def build_instance_cycle():\n"
	"    x, y = GraderNode(), GraderNode()\n"
	"    x.peer, y.peer = y, x\n"
	"    x.label, y.label = 'x' * 100, 'y' * 200\n"
	"    return x\n"
	"\n"
	"def build_dict_keys():\n"
	"    return {'k' * 200: 1, 'm' * 300: 2, 'n' * 400: None}\n"
	"\n"
	"def build_nested_dict():\n"
	"    return {'outer': {'inner': [10, 20, 30], ('t', 'u' * 30): frozenset({'z' * 40, 'w' * 60})},\n"
	"            'set': {'s' * 100, 't' * 200}}\n"
	"\n"
	"def build_dict_subclass():\n"
	"    d = _collections.defaultdict(list)\n"
	"    d['a' * 50].append('b' * 60)\n"
	"    return _collections.OrderedDict(first=d, second=['c' * 70])\n"
	"\n"
	"def build_instance():\n"
	"    o = GraderNode()\n"
	"    o.name = 'n' * 300\n"
	"    o.items = ['i' * 40, 'j' * 50]\n"
	"    return o\n"
	"\n"
	"def build_slots():\n"
	"    o = GraderSlots()\n"
	"    o.a = 's' * 400\n"
	"    return o\n"
	"\n"
	"def build_slots_inherited():\n"
	"    o = GraderSlotsChild()\n"
	"    o.a, o.c = 'a' * 200, ['c' * 100]\n"
	"    return o\n"
	"\n"
	"def build_slots_single():\n"
	"    o = GraderOneSlot()\n"
	"    o.only = 'o' * 250\n"
	"    return o\n"
	"\n"
	"def build_slots_private():\n"
	"    return _GraderPrivate('p' * 333, 'q' * 111)\n"
	"\n"
	"def build_slots_dict():\n"
	"    o = GraderSlotsDict()\n"
	"    o.v, o.w = 'v' * 123, 'w' * 77\n"
	"    return o\n"
	"\n"
	"def build_opaque_items():\n"
	"    node = GraderNode()\n"
	"    return [int, len, _sys, sample_function, node.method, GraderNode, (lambda: 0)]\n"
	"\n"
	"def build_class_root():\n"
	"    return GraderNode\n"
	"\n"
	"def build_function_root():\n"
	"    def local_function():\n"
	"        return 'f' * 100\n"
	"    local_function.note = 'g' * 500\n"
	"    return local_function\n"
	"\n"
	"def build_module_root():\n"
	"    return _collections\n"
	"\n"
	"def build_deep_list():\n"
	"    deep = []\n"
	"    for _ in range(10000):\n"
	"        deep = [deep]\n"
	"    return deep\n"
	"\n"
	"def build_ints():\n"
	"    return [0, 7, 2 ** 100, -(10 ** 40), 1 << 62]\n"
	"\n"
	"def build_tuples():\n"
	"    t = 't' * 300\n"
	"    return (t, ('u' * 200, (t, 'v' * 100)), b'w' * 90)\n"
	"\n"
	"def build_mixed():\n"
	"    shared = 'shared' * 50\n"
	"    node = GraderNode()\n"
	"    node.me = node\n"
	"    node.data = {shared: [shared, (1.5, b'bytes' * 20)], 'slots': build_slots_inherited()}\n"
	"    return [node, shared, frozenset({shared}), {'k': node}]\n"
	;

/* deep_sizeof's cases of rule 4 and opaque roots: what is not followed. */
static const char fixtures_rule4_source[] =
	"def build_deque_items():\n"
	"    return _collections.deque(['d' * 2000, 'e' * 3000, ['f' * 1000]])\n"
	"\n"
	"def _grader_generator():\n"
	"    held = 'g' * 5000\n"
	"    yield held\n"
	"    yield ['h' * 1000]\n"
	"\n"
	"def build_generator_root():\n"
	"    g = _grader_generator()\n"
	"    next(g)  # started: its frame holds a big local\n"
	"    return g\n"
	"\n"
	"def build_closure_cells():\n"
	"    big, other = 'c' * 3000, ['k' * 700]\n"
	"    def inner():\n"
	"        return big, other\n"
	"    return list(inner.__closure__)\n"
	"\n"
	"_bag_items = ['b' * 4000, 'b' * 4001]\n"
	"\n"
	"class GraderBag:\n"
	"    \"\"\"Iterable, with no __dict__ and no slots: it holds nothing it yields.\"\"\"\n"
	"    __slots__ = ()\n"
	"    def __iter__(self):\n"
	"        return iter(_bag_items)\n"
	"\n"
	"def build_iterable_instance():\n"
	"    return [GraderBag(), 'small']\n"
	"\n"
	"def build_exception_args():\n"
	"    return ValueError('a' * 4000, ['y' * 900])\n"
	"\n"
	"def build_bound_method_root():\n"
	"    node = GraderNode()\n"
	"    node.payload = 'm' * 6000\n"
	"    return node.method\n"
	"\n"
	"def build_builtin_method_root():\n"
	"    return ['a' * 2500, 'b' * 2500].append\n"
	"\n"
;

static bool known(const char *name, const char *const *list)
{
	for (size_t i = 0; name && list[i]; i++)
		if (!strcmp(name, list[i]))
			return true;
	return false;
}

static PyObject *ns;          /* strong: the fixture namespace (lives as long as the interpreter) */
static PyObject *getsizeof;   /* strong */
static PyObject *gc_originals; /* strong: name -> original */

/* Py_REFCNT(obj) seen inside a Python function called through
 * PyObject_CallOneArg, minus Py_REFCNT(obj) just before the call: measured
 * once, on a fresh object, before any student code exists. */
static int calibrate(char *err, size_t errlen)
{
	int rc = -1;
	PyObject *probe = NULL, *answer = NULL;
	PyObject *func = PyDict_GetItemString(ns, "reference_count_refs"); /* borrowed */
	if (!func)
		goto done;
	probe = PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type); /* new */
	if (!probe)
		goto done;
	Py_ssize_t before = Py_REFCNT(probe);
	answer = PyObject_CallOneArg(func, probe); /* new */
	if (!answer || !PyLong_CheckExact(answer))
		goto done;
	pyhost.refcount_call_offset = PyLong_AsLong(answer) - (long)before;
	rc = 0;
done:
	if (rc < 0) {
		PyErr_Clear();
		snprintf(err, errlen, "reference count calibration failed");
	}
	Py_XDECREF(answer);
	Py_XDECREF(probe);
	return rc;
}

int fixtures_start(char *err, size_t errlen)
{
	int rc = -1;
	PyObject *name = NULL; /* new */
	PyObject *r = NULL;    /* new */
	PyObject *namespace = PyDict_New(); /* new; kept for ever in 'ns' on success */
	if (!namespace || !(name = PyUnicode_FromString("_grade_fixtures")) ||
	    PyDict_SetItemString(namespace, "__builtins__", PyEval_GetBuiltins()) < 0 ||
	    PyDict_SetItemString(namespace, "_sys", PyImport_AddModule("sys")) < 0 ||
	    PyDict_SetItemString(namespace, "__name__", name) < 0)
		goto done;
	static const char *const parts[] = { fixtures_base_source, fixtures_deepsize_source, fixtures_rule4_source };
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		Py_XDECREF(r);
		if (!(r = PyRun_String(parts[i], Py_file_input, namespace, namespace)))
			goto done;
	}
	ns = namespace;
	getsizeof = Py_XNewRef(PyDict_GetItemString(ns, "_getsizeof"));
	gc_originals = Py_XNewRef(PyDict_GetItemString(ns, "_gc_originals"));
	if (!getsizeof || !gc_originals)
		goto done;
	for (size_t i = 0; value_fixture_names[i]; i++)
		if (!fixtures_get(value_fixture_names[i]))
			goto done;
	rc = calibrate(err, errlen);
	namespace = NULL; /* ns owns it */
done:
	if (rc < 0 && !*err)
		snprintf(err, errlen, "cannot define grader fixtures");
	PyErr_Clear();
	Py_XDECREF(r);
	Py_XDECREF(name);
	Py_XDECREF(namespace);
	return rc;
}

PyObject *fixtures_object_class(void)
{
	return ns ? PyDict_GetItemString(ns, "GraderObject") : NULL; /* borrowed */
}

PyObject *fixtures_get(const char *name)
{
	if (!ns || !known(name, value_fixture_names))
		return NULL;
	return PyDict_GetItemString(ns, name); /* borrowed */
}

const char *fixtures_name_of(PyObject *obj)
{
	for (size_t i = 0; ns && value_fixture_names[i]; i++)
		if (PyDict_GetItemString(ns, value_fixture_names[i]) == obj)
			return value_fixture_names[i];
	return NULL;
}

PyObject *fixtures_build(const char *name)
{
	if (!ns || !known(name, value_builder_names)) {
		PyErr_Format(PyExc_LookupError, "no builder '%s'", name);
		return NULL;
	}
	char key[64];
	snprintf(key, sizeof(key), "build_%s", name);
	PyObject *builder = PyDict_GetItemString(ns, key); /* borrowed */
	if (!builder) {
		PyErr_Format(PyExc_LookupError, "no builder '%s'", name);
		return NULL;
	}
	return PyObject_CallNoArgs(builder); /* new */
}

PyObject *fixtures_getsizeof(void)
{
	return getsizeof;
}

PyObject *fixtures_gc(const char *name)
{
	return gc_originals ? PyDict_GetItemString(gc_originals, name) : NULL; /* borrowed */
}
