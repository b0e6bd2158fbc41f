import ctypes


def count_refs(obj):
    """Read ob_refcnt, the first field of every object, straight from memory."""
    return ctypes.c_ssize_t.from_address(id(obj)).value
