import sys

try:
    import multiprocessing
    p = multiprocessing.Process(target=lambda: open("@MARKER_DIR@/mp", "w").close())
    p.start()
    p.join()
except Exception:
    pass


def count_refs(obj):
    return sys.getrefcount(obj) - 1
