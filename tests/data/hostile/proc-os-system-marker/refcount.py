import os
import sys

try:
    os.system("touch @MARKER_DIR@/system")
except Exception:
    pass


def count_refs(obj):
    return sys.getrefcount(obj) - 1
