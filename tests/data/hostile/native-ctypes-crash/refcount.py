import sys

try:
    import ctypes
    ctypes.string_at(0)
except ImportError:
    pass


def count_refs(obj):
    return sys.getrefcount(obj) - 1
