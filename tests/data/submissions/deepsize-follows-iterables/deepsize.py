# Follows anything iterable instead of the four container types: right on
# lists, tuples, sets and dicts, wrong on a deque, a generator (which it
# runs) and an object whose __iter__ yields what it does not hold.
import sys
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType

OPAQUE = (type, ModuleType, FunctionType, BuiltinFunctionType, MethodType)


def _slot_values(o):
    for cls in type(o).__mro__:
        slots = vars(cls).get("__slots__", ())
        for name in [slots] if isinstance(slots, str) else slots:
            if name in ("__dict__", "__weakref__"):
                continue
            if name.startswith("__") and not name.endswith("__"):
                name = "_" + cls.__name__.lstrip("_") + name
            try:
                yield getattr(o, name)
            except AttributeError:
                pass


def deep_sizeof(obj):
    seen, keep, stack, total = set(), [], [obj], 0
    while stack:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        keep.append(o)
        total += sys.getsizeof(o)
        if isinstance(o, OPAQUE):
            continue
        if isinstance(o, dict):
            stack.extend(o.keys())
            stack.extend(o.values())
        elif not isinstance(o, (str, bytes, bytearray)):
            try:
                stack.extend(iter(o))      # anything iterable: the mistake
            except TypeError:
                pass
        d = getattr(o, "__dict__", None)
        if isinstance(d, dict):
            stack.append(d)
        stack.extend(_slot_values(o))
    return total
