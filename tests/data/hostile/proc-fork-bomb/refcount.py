import os

while True:
    try:
        os.fork()
    except OSError:
        break


import sys


def count_refs(obj):
    return sys.getrefcount(obj) - 1
