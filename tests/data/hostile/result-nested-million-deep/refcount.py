import sys

# Built once, at the first call, and returned by every call: the grader
# must handle (compare, describe, free) a result nested a million deep
# without a crash.  Building it anew in each call would make the case a
# test of the machine's speed (each call ~0.5 s) instead of the grader.
_deep = None


def count_refs(obj):
    global _deep
    if _deep is None:
        x = []
        for _ in range(10 ** 6):
            x = [x]
        _deep = x
    return _deep
