import time


def count_refs(obj):
    time.sleep(3600)
    return 1
