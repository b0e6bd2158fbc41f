import sys


def count_refs(obj):
    """The reference count of obj while this function runs, minus the
    reference that getrefcount's own argument adds."""
    return sys.getrefcount(obj) - 1
