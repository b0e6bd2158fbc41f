import sys

def count_refs(obj):
    # A debugging print left in a hot loop: floods stdout until the limit.
    while True:
        print("x" * 4096)
    return sys.getrefcount(obj) - 1
