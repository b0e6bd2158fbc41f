import sys

def count_refs(obj):
    raise KeyboardInterrupt
