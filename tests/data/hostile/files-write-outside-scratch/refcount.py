import sys

try:
    open("@MARKER_DIR@/written", "w").close()
except OSError:
    pass


def count_refs(obj):
    return sys.getrefcount(obj) - 1
