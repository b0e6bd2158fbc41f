import sys

print("loading refcount")

def count_refs(obj):
    n = sys.getrefcount(obj) - 1
    print(n)
    return n
