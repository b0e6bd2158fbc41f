import sys


def deep_sizeof(obj):
    seen = set()
    keep = []
    stack = [obj]
    total = 0
    while stack:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        keep.append(o)
        total += sys.getsizeof(o)
        if isinstance(o, dict):
            stack.extend(o.keys())
            stack.extend(o.values())
        elif isinstance(o, (list, tuple, set, frozenset)):
            stack.extend(o)
        # Everything with attributes: follow them (classes and modules too).
        if hasattr(o, "__dict__"):
            attrs = vars(o)
            if isinstance(attrs, dict):
                stack.append(attrs)
            else:                       # a class's mappingproxy
                stack.extend(attrs.keys())
                stack.extend(attrs.values())
        for cls in type(o).__mro__:
            slots = vars(cls).get("__slots__", ())
            for name in [slots] if isinstance(slots, str) else slots:
                if name in ("__dict__", "__weakref__"):
                    continue
                if name.startswith("__") and not name.endswith("__"):
                    name = "_" + cls.__name__.lstrip("_") + name
                try:
                    stack.append(getattr(o, name))
                except AttributeError:
                    pass
    return total
