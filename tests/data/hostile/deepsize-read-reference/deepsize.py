
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


def deep_sizeof(obj):
    ns = {}
    with open("@SOURCE_ROOT@/exercises/deepsize/reference/deepsize.py") as f:
        exec(f.read(), ns)
    leaked("reference")
