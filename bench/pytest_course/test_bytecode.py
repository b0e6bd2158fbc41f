"""rubrics/bytecode.yaml (18 checks) as pytest tests, one test per check.

Facts and summaries are read with dis, over the function's code object and
every code object nested in its co_consts; dis.get_instructions is bound
when this file is imported, before any student code runs, so a student who
patches dis.get_instructions does not change the answer (grade decodes
co_code in C with opcode tables captured at start-up).
"""
import builtins
import dis
import sys
from collections import Counter
from types import CodeType, FunctionType

import pytest

from conftest import import_check, load, student_call

_get_instructions = dis.get_instructions
PY311 = sys.version_info < (3, 12)


@pytest.fixture
def student(submission_dir):
    return load(submission_dir, "bytecode")


def strict_equal(got, want, tol=0.0):
    """Equality with exact types (True is not 1, a map is not a list)."""
    if type(got) is not type(want):
        return False
    if type(want) is float:
        return got == want or (tol > 0 and abs(got - want) <= tol * max(abs(got), abs(want)))
    if type(want) in (list, tuple):
        return len(got) == len(want) and all(strict_equal(g, w, tol) for g, w in zip(got, want))
    return got == want


def call_returns(f, args, want, tol=0.0):
    got = student_call(f, *args)
    assert strict_equal(got, want, tol), f"{f.__name__}{tuple(args)!r} returned {got!r}, expected {want!r}"


# ---- imports, values --------------------------------------------------------

def test_imports(submission_dir, stdout):
    import_check(submission_dir, "bytecode", stdout)


def test_comp_values(student):
    call_returns(student.squares_comp, [[1, 2, 3]], [1, 4, 9])


def test_comp_values_mixed(student):
    call_returns(student.squares_comp, [(-3, 0.5, 0)], [9, 0.25, 0])


def test_map_values(student):
    call_returns(student.squares_map, [[1, 2, 3]], [1, 4, 9])


def test_map_values_empty(student):
    call_returns(student.squares_map, [[]], [])


def test_sum_values(student):
    call_returns(student.total_sum, [[1, 2, 3]], 14)


def test_sum_values_floats(student):
    call_returns(student.total_sum, [(0.5, -2)], 4.25, tol=1e-12)


# ---- facts from the bytecode ------------------------------------------------

def code_objects(code):
    """code and, depth first, every code object nested in its co_consts."""
    yield code
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from code_objects(const)


def facts(f):
    """(opnames, names loaded with LOAD_GLOBAL) over f and its nested code."""
    assert type(f) is FunctionType, f"{f!r} is not a Python function"
    ops, globs = set(), set()
    for code in code_objects(f.__code__):
        for ins in _get_instructions(code):
            ops.add(ins.opname)
            if ins.opname == "LOAD_GLOBAL":
                globs.add(ins.argval)
    return ops, globs


def test_comp_uses_comprehension(student):
    ops, _ = facts(student.squares_comp)
    assert "LIST_APPEND" in ops, "Build the list with a list comprehension, [x * x for x in xs]."


@pytest.mark.skipif(not PY311, reason="not applicable on this Python (this check is for Python <3.12)")
def test_comp_code_object(student):
    ops, _ = facts(student.squares_comp)
    assert {"LIST_APPEND", "MAKE_FUNCTION"} <= ops, (
        "Use a list comprehension; on 3.11 it compiles to a nested <listcomp> function.")


@pytest.mark.skipif(PY311, reason="not applicable on this Python (this check is for Python >=3.12)")
def test_comp_inlined(student):
    ops, _ = facts(student.squares_comp)
    assert {"LIST_APPEND", "LOAD_FAST_AND_CLEAR"} <= ops and "MAKE_FUNCTION" not in ops


def test_map_uses_map(student):
    _, globs = facts(student.squares_map)
    assert "map" in globs, "Build the list with the built-in map(), e.g. list(map(f, xs))."


def test_sum_uses_sum(student):
    _, globs = facts(student.total_sum)
    assert "sum" in globs, "Compute the total with the built-in sum(), not an accumulating for loop."


# ---- opcode_summary against our own count ----------------------------------

def count_opnames(f, nested=True):
    codes = code_objects(f.__code__) if nested else [f.__code__]
    return dict(Counter(ins.opname for code in codes for ins in _get_instructions(code)))


def from_source(source, name):
    ns = {"__builtins__": builtins, "__name__": "grade_inputs"}
    exec(compile(source, "<grader input>", "exec"), ns)
    return ns[name]


def summary_check(student, target, args=None, warmup=0):
    assert type(target) is FunctionType, f"{target!r} is not a Python function"
    for _ in range(warmup):
        student_call(target, *(args or []))
    want = count_opnames(target)
    got = student_call(student.opcode_summary, target)
    assert type(got) is dict, f"opcode_summary returned a {type(got).__name__}, not a dict"
    assert all(type(k) is str and type(v) is int for k, v in got.items()), (
        "opcode_summary returned a dict whose keys are not all str or values not all int")
    if got != want:
        if "CACHE" in got:
            why = "counted CACHE entries, which dis.get_instructions skips"
        elif got == count_opnames(target, nested=False):
            why = "missed the nested code objects (recurse into co_consts)"
        else:
            why = f"differs from the grader's count: {sorted(set(got.items()) ^ set(want.items()))[:6]}"
        pytest.fail(f"opcode_summary({target.__name__}) {why}")


def test_summary_flat(student):
    summary_check(student, from_source("def add(a, b):\n    return a + b\n", "add"))


def test_summary_comprehension(student):
    summary_check(student, student.squares_comp)


def test_summary_lambda(student):
    summary_check(student, from_source(
        "def via_map(xs):\n    return list(map(lambda x: x * x, xs))\n", "via_map"))


def test_summary_genexpr(student):
    summary_check(student, from_source(
        "def via_sum(xs):\n    return sum(x * x for x in xs if x % 2)\n", "via_sum"))


DEEP = '''\
def outer(n):
    def middle(k):
        return lambda v: [v + k + i for i in range(n)]
    class Box:
        size = n
        def area(self):
            return self.size * self.size
    return middle(n)(1), Box().area()
'''


def test_summary_deep(student):
    summary_check(student, from_source(DEEP, "outer"))


POLY = '''\
def poly(xs):
    total = 0
    for x in xs:
        total = total + 3 * x * x - x
    return [total, len(xs)]
'''


def test_summary_warm(student):
    summary_check(student, from_source(POLY, "poly"), args=[[1, 2, 3, 4]], warmup=2000)


def test_summary_warm_own(student):
    summary_check(student, student.total_sum, args=[[1, 2, 3]], warmup=2000)
