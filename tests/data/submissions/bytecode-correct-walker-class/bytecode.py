"""Class-based: a walker object over the tree of code objects, returning
the Counter itself (a dict subclass)."""
import collections
import dis
import inspect


class _CodeWalker:
    def __init__(self, root):
        self.root = root

    def __iter__(self):
        pending = collections.deque([self.root])
        while pending:
            code = pending.popleft()
            yield code
            pending.extend(c for c in code.co_consts if inspect.iscode(c))


def squares_comp(xs):
    return [value * value for value in xs]


def squares_map(xs):
    return list(map(lambda value: value * value, xs))


def total_sum(xs):
    return sum(value * value for value in xs)


def opcode_summary(func):
    return collections.Counter(
        ins.opname for code in _CodeWalker(func.__code__) for ins in dis.get_instructions(code))
