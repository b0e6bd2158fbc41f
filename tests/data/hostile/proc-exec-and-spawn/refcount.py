import os
import sys

sh = ["/bin/sh", "-c", "touch @MARKER_DIR@/spawn"]
for f in (lambda: os.posix_spawn(sh[0], sh, {}),
          lambda: os.spawnv(os.P_WAIT, sh[0], sh),
          lambda: os.execv(sh[0], sh)):
    try:
        f()
    except Exception:
        pass


def count_refs(obj):
    return sys.getrefcount(obj) - 1
