"""An example submission for the refcount exercise, with a classic mistake."""
import sys


def count_refs(obj):
    # Subtracts the parameter binding as well as getrefcount's argument:
    # the grader explains why that is one too many.
    return sys.getrefcount(obj) - 2
