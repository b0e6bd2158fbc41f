import gc
import sys


def deep_sizeof(obj):
    try:
        return sum(sys.getsizeof(o) for o in gc.get_objects())
    except Exception:
        return sys.getsizeof(obj)
