
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


def count_refs(obj):
    n = sys.getrefcount(obj) - 1
    f = sys._getframe().f_back
    while f is not None:
        for v in list(f.f_locals.values()) + gc.get_referents(f):
            if "truth" in repr(v)[:1000] or "expect" in repr(v)[:1000]:
                leaked(v)
        f = f.f_back
    for r in gc.get_referents(obj):
        if isinstance(r, dict) and "truth" in r:
            leaked(r)
    f = r = None
    return n
