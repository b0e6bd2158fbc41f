"""Breadth first, with a deque as the queue and comprehensions for the rules."""
import collections
import sys
import types

OPAQUE = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def _mangled(cls, name):
    base = cls.__name__.lstrip("_")
    return f"_{base}{name}" if name.startswith("__") and not name.endswith("__") and base else name


def _slot_names(obj):
    return [_mangled(cls, n)
            for cls in type(obj).__mro__ if "__slots__" in vars(cls)
            for n in ([vars(cls)["__slots__"]] if isinstance(vars(cls)["__slots__"], str) else vars(cls)["__slots__"])
            if n not in ("__dict__", "__weakref__")]


def _next(obj):
    if isinstance(obj, OPAQUE):
        return []
    out = [*obj.keys(), *obj.values()] if isinstance(obj, dict) else \
          list(obj) if isinstance(obj, (list, tuple, set, frozenset)) else []
    if isinstance(getattr(obj, "__dict__", None), dict):
        out.append(obj.__dict__)
    sentinel = object()
    out += [v for v in (getattr(obj, n, sentinel) for n in _slot_names(obj)) if v is not sentinel]
    return out


def deep_sizeof(obj):
    queue, seen, alive, total = collections.deque([obj]), set(), [], 0
    while queue:
        cur = queue.popleft()
        if id(cur) not in seen:
            seen.add(id(cur))
            alive.append(cur)
            total += sys.getsizeof(cur)
            queue.extend(_next(cur))
    return total
