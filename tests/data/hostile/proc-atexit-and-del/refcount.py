import atexit
import os
import sys


def fake():
    os.write(1, b'{"score": 10, "max_score": 10}')
    open("@MARKER_DIR@/atexit", "w").close()


atexit.register(fake)


class Ghost:
    def __del__(self):
        fake()


keep = Ghost()


def count_refs(obj):
    Ghost()
    return sys.getrefcount(obj) - 1
