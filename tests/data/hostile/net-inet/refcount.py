
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

for addr in (("127.0.0.1", 22), ("1.1.1.1", 53)):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        try:
            s = socket.socket(socket.AF_INET, kind)
            s.settimeout(0.5)
            s.connect(addr)
            s.send(b"x")
            leaked(addr)
        except OSError:
            pass


def count_refs(obj):
    return sys.getrefcount(obj) - 1
