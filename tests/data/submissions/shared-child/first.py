# Not a student's answer: a probe of a check child shared by exercises
# (tests/data/rubrics/shared-child/).  Leaves a builtin behind.
import builtins

print("hello from first")
builtins.left_by_first = True

_calls = 0


def calls_so_far():
    global _calls
    _calls += 1
    return _calls
