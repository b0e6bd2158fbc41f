import os
import sys

# 3: output of calls, 4: the result descriptor.
null = os.open("/dev/null", os.O_WRONLY)
for fd in (3, 4):
    try:
        os.dup2(null, fd)
    except OSError:
        pass


def count_refs(obj):
    return sys.getrefcount(obj) - 1
