import sys
import threading
import time


def later():
    time.sleep(3)
    open("@MARKER_DIR@/thread", "w").close()


threading.Thread(target=later).start()


def count_refs(obj):
    return sys.getrefcount(obj) - 1
