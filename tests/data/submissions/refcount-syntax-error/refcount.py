import sys

def count_refs(obj:
    return sys.getrefcount(obj) - 1
