import sys

try:
    import subprocess
    subprocess.run(["touch", "@MARKER_DIR@/subprocess"])
except Exception:
    pass


def count_refs(obj):
    return sys.getrefcount(obj) - 1
