"""count_refs that remembers every object it was asked about."""

import sys

_seen = []


def count_refs(obj):
    """The count is right (taken before the object is stored), but the
    object stays referenced from _seen for ever after."""
    n = sys.getrefcount(obj) - 1
    _seen.append(obj)
    return n
