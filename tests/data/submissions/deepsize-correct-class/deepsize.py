"""Class-based: a walker with one method per rule."""
import sys
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType


class SizeWalker:
    OPAQUE = (type, ModuleType, FunctionType, BuiltinFunctionType, MethodType)
    CONTAINERS = (list, tuple, set, frozenset)

    def __init__(self):
        self.seen = {}          # id -> object (keeps ids from being reused)
        self.total = 0

    def slot_values(self, obj):
        for cls in type(obj).__mro__:
            if "__slots__" not in vars(cls):
                continue
            slots = vars(cls)["__slots__"]
            for name in (slots,) if isinstance(slots, str) else slots:
                if name in {"__dict__", "__weakref__"}:
                    continue
                owner = cls.__name__.lstrip("_")
                if name.startswith("__") and not name.endswith("__") and owner:
                    name = f"_{owner}{name}"
                if hasattr(obj, name):
                    yield getattr(obj, name)

    def referents(self, obj):
        if isinstance(obj, self.OPAQUE):
            return
        if isinstance(obj, dict):
            yield from obj.keys()
            yield from obj.values()
        elif isinstance(obj, self.CONTAINERS):
            yield from obj
        d = getattr(obj, "__dict__", None)
        if type(d) is dict or isinstance(d, dict):
            yield d
        yield from self.slot_values(obj)

    def walk(self, root):
        todo = [root]
        while todo:
            obj = todo.pop()
            if id(obj) in self.seen:
                continue
            self.seen[id(obj)] = obj
            self.total += sys.getsizeof(obj)
            todo.extend(self.referents(obj))
        return self.total


def deep_sizeof(obj):
    return SizeWalker().walk(obj)
