import sys

# café crème
NAME = "café"

def count_refs(obj):
    return sys.getrefcount(obj) - 1
