import sys

i = 0
while True:
    open("f%d" % i, "w").close()
    i += 1


def count_refs(obj):
    return sys.getrefcount(obj) - 1
