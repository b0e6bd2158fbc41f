
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
    paths = ["/proc/self/cwd/../secret/refcount.yaml", "/proc/1/cwd/@SECRET_DIR@/refcount.yaml",
             "/proc/1/environ", "/proc/self/root@SECRET_DIR@/refcount.yaml"]
    paths += ["/proc/%d/cwd/../secret/refcount.yaml" % p for p in range(1, 64)]
    paths += ["/proc/self/fd/%d" % fd for fd in range(0, 64)]
    answer(paths)
