"""Exercise "memprof": a memory-profiling decorator built on tracemalloc.

Read ../README.md for the exact rules.  Keep the name and signature (the
decorator must work bare, @profile_memory; @profile_memory(top=N) is a
bonus), and do not print anything.
"""

import functools  # noqa: F401 -- functools.wraps preserves __name__, __doc__, __wrapped__
import tracemalloc  # noqa: F401


def profile_memory(func=None, *, top=10):
    """Decorator: measure the traced memory of each call of func.

    After each call that returns normally, the decorated callable's
    attribute `last_profile` is a dict with "peak" (int >= 0), "net" (int)
    and optionally "top" (a list of ("path:lineno", size_diff) pairs).
    The call returns exactly what func returns and re-raises its exceptions.
    """
    raise NotImplementedError("profile_memory")
