import sys
import types


def deep_sizeof(obj, _path=None):
    # Guard against cycles with the chain of objects we are inside of.
    # Shared objects that are not ancestors are counted each time they are met.
    path = set() if _path is None else _path
    if id(obj) in path:
        return 0
    size = sys.getsizeof(obj)
    if isinstance(obj, (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
        return size
    path.add(id(obj))
    children = []
    if isinstance(obj, dict):
        children += list(obj.keys()) + list(obj.values())
    elif isinstance(obj, (list, tuple, set, frozenset)):
        children += list(obj)
    if isinstance(getattr(obj, "__dict__", None), dict):
        children.append(obj.__dict__)
    for cls in type(obj).__mro__:
        slots = vars(cls).get("__slots__", ())
        for name in [slots] if isinstance(slots, str) else slots:
            if name in ("__dict__", "__weakref__"):
                continue
            if name.startswith("__") and not name.endswith("__"):
                name = "_" + cls.__name__.lstrip("_") + name
            if hasattr(obj, name):
                children.append(getattr(obj, name))
    for child in children:
        size += deep_sizeof(child, path)
    path.discard(id(obj))
    return size
