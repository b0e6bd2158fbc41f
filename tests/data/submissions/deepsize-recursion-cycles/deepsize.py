import sys


def deep_sizeof(obj):
    size = sys.getsizeof(obj)
    if isinstance(obj, dict):
        for k, v in obj.items():
            size += deep_sizeof(k) + deep_sizeof(v)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for item in obj:
            size += deep_sizeof(item)
    elif hasattr(obj, "__dict__") and isinstance(obj.__dict__, dict) and not isinstance(obj, type):
        size += deep_sizeof(obj.__dict__)
    return size
