"""Names the observer's reference explicitly."""
import sys

OBSERVER = 1   # the temporary reference sys.getrefcount's own argument adds


def count_refs(obj):
    total = sys.getrefcount(obj)
    return total - OBSERVER
