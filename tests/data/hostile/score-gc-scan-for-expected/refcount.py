
def leaked(what):
    """Every channel hostile code has: a marker file, the output, an exception."""
    try:
        with open("@MARKER_DIR@/leaked", "w") as f:
            f.write(str(what))
    except Exception:
        pass
    print("LEAKED", what)
    raise RuntimeError("LEAKED %s" % (what,))

import gc
import sys

for o in gc.get_objects():
    if isinstance(o, dict) and "expect" in o:
        leaked(o)


def count_refs(obj):
    return sys.getrefcount(obj) - 1
