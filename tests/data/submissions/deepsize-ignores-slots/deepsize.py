import sys
import types

SKIP = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def slot_names(cls):
    slots = cls.__dict__.get("__slots__", ())
    if isinstance(slots, str):
        slots = [slots]
    for name in slots:
        if name in ("__dict__", "__weakref__"):
            continue
        if name.startswith("__") and not name.endswith("__") and cls.__name__.lstrip("_"):
            name = "_" + cls.__name__.lstrip("_") + name
        yield name


def deep_sizeof(obj):
    seen = {}                      # id -> object: keeps everything alive while walking
    todo = [obj]
    total = 0
    while todo:
        o = todo.pop()
        if id(o) in seen:
            continue
        seen[id(o)] = o
        total += sys.getsizeof(o)
        if isinstance(o, SKIP):
            continue
        if isinstance(o, dict):
            for k, v in o.items():
                todo.append(k)
                todo.append(v)
        elif isinstance(o, (list, tuple, set, frozenset)):
            todo.extend(o)
        d = getattr(o, "__dict__", None)
        if isinstance(d, dict):
            todo.append(d)
    return total
