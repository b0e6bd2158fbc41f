"""Breadth-first, with a deque, and a helper that yields the children."""
from collections import deque
import sys
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType


def _mangled(cls, slot):
    base = cls.__name__.lstrip("_")
    if slot.startswith("__") and not slot.endswith("__") and base:
        return f"_{base}{slot}"
    return slot


def _children(o):
    if isinstance(o, (type, ModuleType, FunctionType, BuiltinFunctionType, MethodType)):
        return
    if isinstance(o, dict):
        yield from o
        yield from o.values()
    if isinstance(o, (list, tuple, set, frozenset)):
        yield from o
    if isinstance(getattr(o, "__dict__", None), dict):
        yield o.__dict__
    for klass in type(o).__mro__:
        if "__slots__" not in vars(klass):
            continue
        declared = vars(klass)["__slots__"]
        for slot in [declared] if isinstance(declared, str) else declared:
            if slot in {"__dict__", "__weakref__"}:
                continue
            try:
                yield getattr(o, _mangled(klass, slot))
            except AttributeError:
                continue


def deep_sizeof(obj):
    alive = []
    seen = set()
    queue = deque([obj])
    size = 0
    while queue:
        current = queue.popleft()
        if id(current) in seen:
            continue
        seen.add(id(current))
        alive.append(current)
        size += sys.getsizeof(current)
        queue.extend(_children(current))
    return size
