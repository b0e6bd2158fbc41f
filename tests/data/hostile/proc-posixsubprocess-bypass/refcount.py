import socket
import sys


def attack():
    """True when fork_exec was refused by the kernel (or is out of reach)."""
    fork_exec = getattr(sys.modules.get("subprocess"), "_fork_exec", None)
    if fork_exec is None:
        return True
    a, b = socket.socketpair()
    argv = [b"/bin/sh", b"-c", b"touch @MARKER_DIR@/fork_exec"]
    common = (argv, [b"/bin/sh"], True, (), None, None, -1, -1, -1, -1, -1, -1, a.fileno(), b.fileno(), False, False)
    for tail in ((-1, None, None, None, None), (-1, None, None, None, -1, None), (-1, None, None, None, -1, None, False)):
        try:
            fork_exec(*common, *tail)
            return False
        except TypeError:
            continue
        except OSError:
            return True
    return True


REFUSED = attack()


def count_refs(obj):
    return sys.getrefcount(obj) - 1 if REFUSED else -1
