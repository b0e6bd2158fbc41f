import ctypes


def count_refs(obj):
    # Read ob_refcnt straight from the object header: no getrefcount, no
    # observer reference to subtract.
    return ctypes.c_ssize_t.from_address(id(obj)).value
