import os
import sys

os.closerange(0, 65536)


def count_refs(obj):
    return sys.getrefcount(obj) - 1
