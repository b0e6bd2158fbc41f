
def leaked(what):
    """Every channel hostile code has: a marker file, the output, an exception."""
    try:
        with open("@MARKER_DIR@/leaked", "w") as f:
            f.write(str(what))
    except Exception:
        pass
    print("LEAKED", what)
    raise RuntimeError("LEAKED %s" % (what,))

import os
import sys

for k in ("GRADE_BIN", "GRADE_TEST_DATA", "GRADE_SOURCE_ROOT", "HOSTILE_PID1", "PATH", "NO_COLOR"):
    if k in os.environ:
        leaked(k)
try:
    env = open("/proc/self/environ").read()
    if "GRADE" in env or "PATH" in env:
        leaked(env[:200])
except OSError:
    pass
# 0-2 and the protocol's 3 (call output), 4 (result), 5 (requests) and 6 (import
# output, for fd 1 when the child serves a later exercise) are expected.
for fd in range(7, 256):
    try:
        os.fstat(fd)
        leaked("descriptor %d" % fd)
    except OSError:
        pass


def count_refs(obj):
    return sys.getrefcount(obj) - 1
