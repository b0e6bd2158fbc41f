import marshal
import sys


def f():
    return 1


try:
    f.__code__ = f.__code__.replace(co_code=b"\x00" * 8)
except Exception:
    pass
try:
    marshal.loads(b"\xe3" + b"\x00" * 64)
except Exception:
    pass


def count_refs(obj):
    return sys.getrefcount(obj) - 1
