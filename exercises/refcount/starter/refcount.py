"""Exercise "refcount": count_refs.

Read ../README.md for the exact rules.  Keep the name and signature, do not
print anything, and do not use ctypes or gc.get_referrers.
"""

import sys  # noqa: F401 -- you will need it


def count_refs(obj):
    """Return obj's reference count while count_refs runs.

    Do not count the temporary reference that sys.getrefcount's own argument
    adds; do count this function's parameter (it is a real reference while
    count_refs runs).  Return an int.
    """
    raise NotImplementedError("count_refs")
