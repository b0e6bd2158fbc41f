# Not a student's answer: a probe of a check child shared by exercises
# (tests/data/rubrics/shared-child/).
import builtins
import os


def crash_if_shared():
    if hasattr(builtins, "left_by_second"):
        os.abort()
    return "alone"
