
def leaked(what):
    """Every channel hostile code has: a marker file, the output, an exception."""
    try:
        with open("@MARKER_DIR@/leaked", "w") as f:
            f.write(str(what))
    except Exception:
        pass
    print("LEAKED", what)
    raise RuntimeError("LEAKED %s" % (what,))

import socket
import sys


def count_refs(obj):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect("\0grade-hostile")
    leaked("abstract")
