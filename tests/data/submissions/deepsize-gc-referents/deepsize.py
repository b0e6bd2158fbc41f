# The recipe most often found online: follow gc.get_referents(), skipping
# a blacklist of types.  It follows what the garbage collector traverses,
# which is not the statement's rule: a deque's items, a generator's frame,
# a cell's contents, an exception's args, a bound method's __self__, and
# the class of every instance.
import gc
import sys
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType

BLACKLIST = (type, ModuleType, FunctionType, BuiltinFunctionType, MethodType)


def deep_sizeof(obj):
    if isinstance(obj, BLACKLIST):
        return sys.getsizeof(obj)
    seen = set()
    size = 0
    objects = [obj]
    while objects:
        need_referents = []
        for o in objects:
            if not isinstance(o, BLACKLIST) and id(o) not in seen:
                seen.add(id(o))
                size += sys.getsizeof(o)
                need_referents.append(o)
        objects = gc.get_referents(*need_referents)
    return size
