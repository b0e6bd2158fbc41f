from collections import Counter
from dis import Bytecode
from types import CodeType


def squares_comp(xs):
    result = [value ** 2 for value in xs]
    return result


def squares_map(xs):
    return [*map(lambda v: v * v, xs)]


def total_sum(xs):
    return sum(map(lambda v: v * v, xs))


def _count(code, counter):
    counter.update(ins.opname for ins in Bytecode(code))
    for const in code.co_consts:
        if isinstance(const, CodeType):
            _count(const, counter)


def opcode_summary(func):
    counter = Counter()
    _count(func.__code__, counter)
    return dict(counter)
