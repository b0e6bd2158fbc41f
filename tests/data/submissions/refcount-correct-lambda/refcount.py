import sys

# A lambda's parameter is a reference like a def's.
count_refs = lambda obj: sys.getrefcount(obj) - 1
