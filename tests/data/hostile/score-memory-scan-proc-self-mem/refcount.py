
def leaked(what):
    """Every channel hostile code has: a marker file, the output, an exception."""
    try:
        with open("@MARKER_DIR@/leaked", "w") as f:
            f.write(str(what))
    except Exception:
        pass
    print("LEAKED", what)
    raise RuntimeError("LEAKED %s" % (what,))

import sys

try:
    maps = open("/proc/self/maps").read()
    mem = open("/proc/self/mem", "rb")
    leaked(maps[:100])
except OSError:
    pass


def count_refs(obj):
    return sys.getrefcount(obj) - 1
