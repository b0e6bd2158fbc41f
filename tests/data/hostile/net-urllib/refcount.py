
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
    import urllib.request
    leaked(urllib.request.urlopen("http://127.0.0.1/", timeout=0.5).read())
except Exception:
    pass


def count_refs(obj):
    return sys.getrefcount(obj) - 1
