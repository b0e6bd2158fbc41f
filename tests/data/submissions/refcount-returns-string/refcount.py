import sys


def count_refs(obj):
    return f"{sys.getrefcount(obj) - 1}"
