"""Exercise "deepsize": deep_sizeof.

Read ../README.md for the exact rule (what is followed, what is counted).
Keep the name and signature and do not print anything.
"""

import sys


def deep_sizeof(obj):
    """Return the sum of sys.getsizeof over every object reachable from obj.

    Each object is counted once (shared references, cycles).  Follow the
    contents of list, tuple, set, frozenset and dict (keys and values), and
    instances' __dict__ and __slots__ attributes; count but do not follow
    types, modules and functions.
    """
    # Wrong on purpose: this is the shallow size only.
    return sys.getsizeof(obj)
