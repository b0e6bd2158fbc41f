from sys import getrefcount as _grc

def count_refs(obj) -> int:
    n = _grc(obj)
    return n - 1
