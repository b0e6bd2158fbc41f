"""Reference solution: exercise "refcount" (count_refs).

sys.getrefcount(obj) reports one reference more than the object has "at
rest": the temporary reference created to pass obj as getrefcount's own
argument.  count_refs() removes exactly that one.
"""

import sys


def count_refs(obj):
    """Return obj's reference count while count_refs runs, minus getrefcount's own argument.

    The count includes every reference held elsewhere (names, containers,
    the caller's frame...) *and* this function's parameter ``obj``, which
    is a real reference for as long as count_refs runs.  Only the
    temporary reference created for the call to sys.getrefcount is removed.

    On CPython 3.11-3.13:

    >>> x = object()
    >>> count_refs(x)            # the name x + the parameter obj
    2
    >>> count_refs(object())     # only the parameter obj
    1

    Immortal objects (None, True, small ints... on 3.12+) report the huge
    constant refcount CPython gives them, minus one.
    """
    # sys.getrefcount's argument is pushed for the call and released when
    # it returns: at the moment of counting it is one extra reference, and
    # the only one that is not "really there" once getrefcount returns.
    return sys.getrefcount(obj) - 1
