# Not a student's answer: a probe of a check child shared by exercises
# (tests/data/rubrics/shared-child/).  Leaves a builtin behind too.
import builtins
import sys

print("hello from second")
builtins.left_by_second = True

_calls = 0


def calls_so_far():
    global _calls
    _calls += 1
    return _calls


def first_forgotten():
    return "first" not in sys.modules


def clean():
    return "contaminated" if hasattr(builtins, "left_by_first") else "clean"
