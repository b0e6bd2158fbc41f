import sys as _sys


def count_refs(obj, *, _getrefcount=_sys.getrefcount):
    """The default argument binds getrefcount once, at definition time."""
    return _getrefcount(obj) - 1
