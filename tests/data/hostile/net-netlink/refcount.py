
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

try:
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    leaked("netlink")
except OSError:
    pass


def count_refs(obj):
    return sys.getrefcount(obj) - 1
