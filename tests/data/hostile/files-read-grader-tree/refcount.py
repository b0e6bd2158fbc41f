
def leaked(what):
    """Every channel hostile code has: a marker file, the output, an exception."""
    try:
        with open("@MARKER_DIR@/leaked", "w") as f:
            f.write(str(what))
    except Exception:
        pass
    print("LEAKED", what)
    raise RuntimeError("LEAKED %s" % (what,))

import os
import sys


def answer(paths):
    for p in paths:
        try:
            with open(p) as f:
                data = f.read()[:200]
            if data:
                leaked(data)
        except (OSError, UnicodeDecodeError):
            pass
    raise PermissionError("could not read %s" % paths[0])


def count_refs(obj):
    answer(["@SOURCE_ROOT@/rubrics/refcount.yaml", "@SOURCE_ROOT@/exercises/refcount/reference/refcount.py",
            "@SOURCE_ROOT@/grader/kinds/verdict.c"])
