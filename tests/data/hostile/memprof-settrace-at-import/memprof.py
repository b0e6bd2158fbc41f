import sys

try:
    sys.settrace(lambda *a: None)
except Exception:
    pass


def profile_memory(func=None, *, top=10):
    return func
