import os
import sys

null = os.open("/dev/null", os.O_WRONLY)
for fd in range(3, 16):
    try:
        os.dup2(null, fd)
    except OSError:
        pass


def count_refs(obj):
    return sys.getrefcount(obj) - 1
