"""rubrics/refcount.yaml (10 checks) as pytest tests, one test per check.

Ground truth is a reference ``sys.getrefcount(obj) - 1`` called exactly the
way the student's function is called, so the call path's own references
cancel out (grade reads Py_REFCNT in C with a calibrated offset).
"""
import ast
import os
import sys

import pytest

from conftest import import_check, load, student_call

OFF_BY = {
    +1: "You did not subtract the temporary reference that sys.getrefcount's own "
        "argument adds while it runs: subtract exactly 1.",
    -1: "You subtracted 2: the parameter binding is a real reference while "
        "count_refs runs, so only getrefcount's argument is subtracted.",
    -2: "You subtracted 3: only the reference made by sys.getrefcount's own "
        "argument should be subtracted.",
}


def reference_count_refs(obj):
    return sys.getrefcount(obj) - 1


class GraderObject:
    """A plain instance with a __dict__ (!new instance)."""


def new(kind):
    return {"object": object, "list": list, "instance": GraderObject,
            "bytearray": bytearray}[kind]()


def hold(obj, k, how):
    """k extra references to obj, held the way the rubric says."""
    if k == 0:
        return None
    if how == "attribute":
        holders = []
        for _ in range(k):
            h = GraderObject()
            h.held = obj
            holders.append(h)
        return holders
    if how == "dict":
        return {i: obj for i in range(k)}
    return [obj] * k


def measure(func, kind, k, how):
    """(answer, truth) for one case: a fresh object with k extra references."""
    obj = new(kind)
    holder = hold(obj, k, how)
    truth = student_call(reference_count_refs, obj)   # the same call path
    answer = student_call(func, obj)
    del holder
    return answer, truth


def exact_cases(student, kind, extras, how="list"):
    problems, diffs = [], set()
    for k in extras:
        answer, truth = measure(student.count_refs, kind, k, how)
        assert type(answer) is int, f"count_refs returned {answer!r}, not an int"
        if answer != truth:
            diffs.add(answer - truth)
            problems.append(f"with {k} extra references, count_refs returned {answer}; "
                            f"the true count is {truth} (off by {answer - truth:+d})")
    hint = OFF_BY.get(diffs.pop(), "") if len(diffs) == 1 else ""
    assert not problems, "; ".join(problems) + (" -- " + hint if hint else "")


@pytest.fixture
def student(submission_dir):
    return load(submission_dir, "refcount")


# imports (0 points)
def test_imports(submission_dir, stdout):
    import_check(submission_dir, "refcount", stdout)


# returns-int (2 points)
def test_returns_int(student):
    r = student_call(student.count_refs, object())
    assert type(r) is int, f"count_refs returned {r!r}, a {type(r).__name__}, not an int"


# silent (1 point)
def test_silent(student, stdout):
    stdout.take()
    student_call(student.count_refs, [1, 2, 3])
    assert stdout.take() == "", "count_refs must return the count without printing anything."


# fresh-object (2 points)
@pytest.mark.depends_on("returns-int")
def test_fresh_object(student):
    exact_cases(student, "object", [0])


# extra-in-list (2 points, partial)
@pytest.mark.depends_on("returns-int")
def test_extra_in_list(student):
    exact_cases(student, "list", [1, 2, 5], "list")


# extra-in-attributes (1 point, partial)
@pytest.mark.depends_on("returns-int")
def test_extra_in_attributes(student):
    exact_cases(student, "instance", [1, 3], "attribute")


# hashable-in-dict (1 point)
@pytest.mark.depends_on("returns-int")
def test_hashable_in_dict(student):
    exact_cases(student, "object", [4], "dict")


# grows-by-one (1 point): compare: delta
@pytest.mark.depends_on("returns-int")
def test_grows_by_one(student):
    extras = [0, 1, 2, 7]
    answers = [measure(student.count_refs, "bytearray", k, "list")[0] for k in extras]
    grew = [a - answers[0] for a in answers]
    assert grew == [k - extras[0] for k in extras], (
        "Each extra reference the caller holds must add exactly one to the answer.")


def _judged_result(result, obj):
    """Whether the balance judges the result's count: grade judges a result
    only when the allocator hook saw it allocated during the call; here,
    anything but the argument itself, None, a bool and a cached small int
    (an approximation, see bench/README.md)."""
    if result is obj or result is None or type(result) is bool:
        return False
    return not (type(result) is int and -5 <= result <= 256)


# keeps-nothing (1 point): compare: balance
@pytest.mark.depends_on("returns-int")
def test_keeps_nothing(student):
    func = student.count_refs
    for k in [0, 3]:
        obj = new("list")
        holder = hold(obj, k, "list")
        before, func_before = sys.getrefcount(obj), sys.getrefcount(func)
        answer = student_call(func, obj)
        after = sys.getrefcount(obj) - (answer is obj)
        func_after = sys.getrefcount(func)
        assert after <= before, (
            f"count_refs keeps a reference to its argument: after count_refs(<new list>) "
            f"its count is {after - 1}, it was {before - 1}")
        assert after >= before, "count_refs steals a reference to its argument"
        assert func_after <= func_before, (
            f"count_refs keeps {func_after - func_before} more reference to itself "
            "after count_refs(<new list>)")
        if _judged_result(answer, obj):
            refs = sys.getrefcount(answer) - 1      # the name 'answer' only
            assert refs == 1, (
                f"count_refs keeps a reference to its result: the fresh object count_refs("
                f"<new list>) returned is referenced {refs} times")
        del answer, holder


# no-shortcuts (0 points): kind: source
FORBID_IMPORTS = ["ctypes"]
FORBID_CALLS = {"gc.get_referrers", "gc.get_referents"}


def _dotted(node, aliases):
    """The dotted name a Name/Attribute chain refers to, through imports."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    base = aliases.get(node.id, node.id)
    return ".".join([base] + parts[::-1])


def _const_import(call):
    """'x' for __import__("x") and importlib.import_module("x")."""
    f = call.func
    name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
    if name in ("__import__", "import_module") and call.args and \
            isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


@pytest.mark.calls_nothing
def test_no_shortcuts(submission_dir):
    path = os.path.join(submission_dir, "refcount.py")
    with open(path, "rb") as f:
        tree = ast.parse(f.read(), path)
    aliases, problems = {}, []

    def imported(mod, line):
        if any(mod == m or mod.startswith(m + ".") for m in FORBID_IMPORTS):
            problems.append(f"refcount.py:{line}: imports {mod}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                imported(a.name, node.lineno)
                aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported(node.module, node.lineno)
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (mod := _const_import(node)):
            imported(mod, node.lineno)
        if isinstance(node, (ast.Name, ast.Attribute)):
            name = _dotted(node, aliases)
            if name in FORBID_CALLS:
                problems.append(f"refcount.py:{node.lineno}: uses {name}")
    assert not problems, "; ".join(sorted(set(problems))) + (
        " -- Use sys.getrefcount(obj) - 1.")
