"""Recursive, with the recursion limit raised for deep nesting (Python-to-
Python calls do not use the C stack on 3.11+)."""
import sys
import types

_OPAQUE = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def _slots(cls):
    declared = vars(cls).get("__slots__", ())
    names = [declared] if isinstance(declared, str) else list(declared)
    for name in names:
        if name in ("__dict__", "__weakref__"):
            continue
        if name.startswith("__") and not name.endswith("__") and cls.__name__.lstrip("_"):
            name = "_%s%s" % (cls.__name__.lstrip("_"), name)
        yield name


def _visit(obj, seen, keep):
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    keep.append(obj)
    size = sys.getsizeof(obj)
    if isinstance(obj, _OPAQUE):
        return size
    if isinstance(obj, dict):
        for key, value in obj.items():
            size += _visit(key, seen, keep) + _visit(value, seen, keep)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for item in obj:
            size += _visit(item, seen, keep)
    inst = getattr(obj, "__dict__", None)
    if isinstance(inst, dict):
        size += _visit(inst, seen, keep)
    for cls in type(obj).__mro__:
        for name in _slots(cls):
            try:
                value = getattr(obj, name)
            except AttributeError:
                continue
            size += _visit(value, seen, keep)
    return size


def deep_sizeof(obj):
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 200_000))
    try:
        return _visit(obj, set(), [])
    finally:
        sys.setrecursionlimit(old)
