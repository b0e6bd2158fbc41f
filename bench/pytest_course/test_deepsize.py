"""rubrics/deepsize.yaml (28 checks) as pytest tests, one test per check.

The case objects come from the same builders as grade's !build values
(grader/py/fixtures.c, copied below), one fresh object per test.  The truth
is the statement's walk (grader/measure/deepsize.c, in Python here) over
the very object the student is given, taken before and after the call with
the sys.getsizeof bound when this file is imported; an argument changed by
the call fails, as in grade.
"""
import collections as _collections
import sys as _sys
import types

import pytest

from conftest import import_check, load, student_call

_getsizeof = _sys.getsizeof
# grade's builder makes 10,000 levels in the binary this benchmark measures
# (grader/py/fixtures.c; the rubric's description still says 100,000).
DEEP_LEVELS = 10000


# ---- the builders of grader/py/fixtures.c ----------------------------------

def sample_function(x=1):
    """A grader function: returns its argument."""
    return x


class GraderNode:
    def method(self):
        return self


class GraderSlots:
    __slots__ = ('a', 'b')


class GraderSlotsChild(GraderSlots):
    __slots__ = ('c',)


class GraderOneSlot:
    __slots__ = 'only'


class _GraderPrivate:
    __slots__ = ('__secret', 'plain')

    def __init__(self, secret, plain):
        self.__secret = secret
        self.plain = plain


class GraderSlotsDict:
    __slots__ = ('v', '__dict__')


def build_shared_str():
    s = 'x' * 1000
    return [s, s]


def build_shared_tuple():
    a = 'a' * 500
    inner = (a, 'b' * 300)
    return (inner, a, (inner, 'c' * 200))


def build_many_none():
    return [None] * 6 + [(None, None)]


def build_self_list():
    loop = ['abc' * 10, 'def' * 20]
    loop.append(loop)
    return loop


def build_two_lists():
    a = ['p' * 50]
    b = [a, 'q' * 70]
    a.append(b)
    return a


def build_instance_cycle():
    x, y = GraderNode(), GraderNode()
    x.peer, y.peer = y, x
    x.label, y.label = 'x' * 100, 'y' * 200
    return x


def build_dict_keys():
    return {'k' * 200: 1, 'm' * 300: 2, 'n' * 400: None}


def build_nested_dict():
    return {'outer': {'inner': [10, 20, 30], ('t', 'u' * 30): frozenset({'z' * 40, 'w' * 60})},
            'set': {'s' * 100, 't' * 200}}


def build_dict_subclass():
    d = _collections.defaultdict(list)
    d['a' * 50].append('b' * 60)
    return _collections.OrderedDict(first=d, second=('c' * 70,))


def build_instance():
    o = GraderNode()
    o.name = 'n' * 300
    o.items = ['i' * 40, 'j' * 50]
    return o


def build_slots():
    o = GraderSlots()
    o.a = 's' * 400
    return o


def build_slots_inherited():
    o = GraderSlotsChild()
    o.a, o.c = 'a' * 200, ['c' * 100]
    return o


def build_slots_single():
    o = GraderOneSlot()
    o.only = 'o' * 250
    return o


def build_slots_private():
    return _GraderPrivate('p' * 333, 'q' * 111)


def build_slots_dict():
    o = GraderSlotsDict()
    o.v, o.w = 'v' * 123, 'w' * 77
    return o


def build_opaque_items():
    node = GraderNode()
    return [int, len, _sys, sample_function, node.method, GraderNode, (lambda: 0)]


def build_class_root():
    return GraderNode


def build_function_root():
    def local_function():
        return 'f' * 100
    local_function.note = 'g' * 500
    return local_function


def build_module_root():
    return _collections


def build_deep_list():
    deep = []
    for _ in range(DEEP_LEVELS):
        deep = [deep]
    return deep


def build_ints():
    return [0, 7, 2 ** 100, -(10 ** 40), 1 << 62]


def build_tuples():
    t = 't' * 300
    return (t, ('u' * 200, (t, 'v' * 100)), 12345678901234567890)


def build_mixed():
    shared = 'shared' * 50
    node = GraderNode()
    node.me = node
    node.data = {shared: [shared, (1.5, b'bytes' * 20)], 'slots': build_slots_inherited()}
    return [node, shared, frozenset({shared}), {'k': node}]


# ---- the grader's walk (grader/measure/deepsize.c) -------------------------

_OPAQUE = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def _mangle(cls, name):
    if len(name) >= 3 and name.startswith("__") and not name.endswith("__"):
        stripped = cls.__name__.lstrip("_")
        if stripped:
            return "_" + stripped + name
    return name


def _push_slots(stack, o):
    for cls in type(o).__mro__:
        slots = cls.__dict__.get("__slots__")
        if slots is None:
            continue
        for name in (slots,) if isinstance(slots, str) else slots:
            if not isinstance(name, str) or name in ("__dict__", "__weakref__"):
                continue
            try:
                stack.append(getattr(o, _mangle(cls, name)))
            except AttributeError:
                pass


def truth(root):
    total, seen, keep, stack = 0, set(), [], [root]
    while stack:
        cur = stack.pop()
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        keep.append(cur)
        total += _getsizeof(cur)
        if isinstance(cur, _OPAQUE):
            continue
        if isinstance(cur, dict):
            for k, v in dict.items(cur):
                stack.append(k)
                stack.append(v)
        elif isinstance(cur, (list, tuple)):
            stack.extend(tuple(cur))
        elif isinstance(cur, (set, frozenset)):
            stack.extend(cur)
        try:
            d = cur.__dict__
        except AttributeError:
            d = None
        if isinstance(d, dict):
            stack.append(d)
        _push_slots(stack, cur)
    return total


# ---- the checks -------------------------------------------------------------

@pytest.fixture
def student(submission_dir):
    return load(submission_dir, "deepsize")


def check(student, stdout, obj, quiet=False):
    before = truth(obj)
    stdout.take()
    got = student_call(student.deep_sizeof, obj)
    printed = stdout.take()
    after = truth(obj)
    assert before == after, "deep_sizeof(...) changed the object it was given"
    assert type(got) is int, f"deep_sizeof(...) returned {got!r}, a {type(got).__name__}, not an int"
    assert got == before, f"deep_sizeof(...) returned {got}; the grader's walk gives {before} " \
                          f"(off by {got - before:+d})"
    if quiet:
        assert printed == "", "deep_sizeof must not print anything"


def test_imports(submission_dir, stdout):
    import_check(submission_dir, "deepsize", stdout)


def test_leaf_int(student, stdout):
    check(student, stdout, 12345678901234567890, quiet=True)


def test_leaf_str(student, stdout):
    check(student, stdout, "a string is a leaf too")


def test_walks_a_list(student, stdout):
    check(student, stdout, ["alpha", "beta", "gamma"])


def test_shared_str(student, stdout):
    check(student, stdout, build_shared_str(), quiet=True)


def test_shared_tuple(student, stdout):
    check(student, stdout, build_shared_tuple())


def test_many_none(student, stdout):
    check(student, stdout, build_many_none())


def test_self_list(student, stdout):
    check(student, stdout, build_self_list())


def test_two_lists(student, stdout):
    check(student, stdout, build_two_lists())


def test_instance_cycle(student, stdout):
    check(student, stdout, build_instance_cycle())


def test_dict_keys(student, stdout):
    check(student, stdout, build_dict_keys())


def test_nested_containers(student, stdout):
    check(student, stdout, build_nested_dict())


def test_dict_subclasses(student, stdout):
    check(student, stdout, build_dict_subclass())


def test_instance_dict(student, stdout):
    check(student, stdout, build_instance())


def test_slots(student, stdout):
    check(student, stdout, build_slots())


def test_slots_inherited(student, stdout):
    check(student, stdout, build_slots_inherited())


def test_slots_single_string(student, stdout):
    check(student, stdout, build_slots_single())


def test_slots_private(student, stdout):
    check(student, stdout, build_slots_private())


def test_slots_and_dict(student, stdout):
    check(student, stdout, build_slots_dict())


def test_opaque_items(student, stdout):
    check(student, stdout, build_opaque_items())


@pytest.mark.depends_on("walks-a-list")
def test_class_root(student, stdout):
    check(student, stdout, build_class_root())


@pytest.mark.depends_on("walks-a-list")
def test_function_root(student, stdout):
    check(student, stdout, build_function_root())


@pytest.mark.depends_on("walks-a-list")
def test_module_root(student, stdout):
    check(student, stdout, build_module_root())


def test_ints(student, stdout):
    check(student, stdout, build_ints())


def test_tuples(student, stdout):
    check(student, stdout, build_tuples())


def test_deep_nesting(student, stdout):
    check(student, stdout, build_deep_list())


def test_mixed(student, stdout):
    check(student, stdout, build_mixed())
