import sys

def count_refs(obj):
    # "one for the argument, one for the parameter"
    return sys.getrefcount(obj) - 2
