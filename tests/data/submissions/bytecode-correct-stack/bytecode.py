"""Iterative walk with an explicit stack; inspect.iscode; a named helper for map."""
import dis
import inspect


def square(x):
    return x * x


def squares_comp(xs):
    return [x * x for x in xs]


def squares_map(xs):
    return list(map(square, xs))


def total_sum(xs):
    return sum([x * x for x in xs])


def opcode_summary(func):
    counts = {}
    stack = [func.__code__]
    while stack:
        code = stack.pop()
        for instruction in dis.get_instructions(code):
            counts[instruction.opname] = counts.get(instruction.opname, 0) + 1
        stack.extend(c for c in code.co_consts if inspect.iscode(c))
    return counts
