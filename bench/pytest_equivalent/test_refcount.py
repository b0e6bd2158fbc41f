"""The 8 checks of rubrics/refcount.yaml, the way a course grades with pytest.

Run per submission, in a fresh process:

    python3.11 -m pytest -q -p no:cacheprovider bench/pytest_equivalent --submission DIR

Ground truth is computed in Python by a reference function called exactly
the way the student's function is called, so the call path's own references
cancel out (grade does the same in C with a calibrated offset).
"""
import sys

import pytest

from conftest import import_student

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
    truth = reference_count_refs(obj)
    answer = func(obj)
    del holder
    return answer, truth


@pytest.fixture
def student_int(submission_dir):
    """depends_on: returns-int.  Like grade, skip (not fail) the dependent
    checks when the module does not import or count_refs is not an int."""
    try:
        student = import_student(submission_dir)
        r = student.count_refs(object())
    except BaseException:  # noqa: BLE001
        r = None
    if type(r) is not int:
        pytest.skip("skipped: it depends on 'returns-int', which did not pass")
    return student


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


# 1. imports (1 point)
def test_imports(submission_dir, capsys):
    try:
        import_student(submission_dir)
    except SystemExit as e:
        pytest.fail(f"sys.exit({e.code!r}) was called while importing refcount.py")
    out = capsys.readouterr().out
    assert out == "", ("Importing refcount.py must not print anything; remove "
                       "top-level print() calls.")


# 2. returns-int (1 point)
def test_returns_int(student):
    r = student.count_refs(object())
    assert type(r) is int, f"count_refs returned {r!r}, a {type(r).__name__}, not an int"


# 3. silent (1 point)
def test_silent(student, capsys):
    capsys.readouterr()
    student.count_refs([1, 2, 3])
    assert capsys.readouterr().out == "", "count_refs must return the count without printing anything."


# 4. fresh-object (2 points)
def test_fresh_object(student_int):
    exact_cases(student_int, "object", [0])


# 5. extra-in-list (2 points, partial)
def test_extra_in_list(student_int):
    exact_cases(student_int, "list", [1, 2, 5], "list")


# 6. extra-in-attributes (1 point, partial)
def test_extra_in_attributes(student_int):
    exact_cases(student_int, "instance", [1, 3], "attribute")


# 7. hashable-in-dict (1 point)
def test_hashable_in_dict(student_int):
    exact_cases(student_int, "object", [4], "dict")


# 8. grows-by-one (1 point): compare: delta
def test_grows_by_one(student_int):
    student = student_int
    extras = [0, 1, 2, 7]
    answers = [measure(student.count_refs, "bytearray", k, "list")[0] for k in extras]
    grew = [a - answers[0] for a in answers]
    assert grew == [k - extras[0] for k in extras], (
        "Each extra reference the caller holds must add exactly one to the answer.")
