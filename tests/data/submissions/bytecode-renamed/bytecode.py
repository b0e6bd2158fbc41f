import dis
import re


def squares_comp(xs):
    return [x * x for x in xs]


def squares_map(xs):
    return list(map(lambda x: x * x, xs))


def total_sum(xs):
    return sum(x * x for x in xs)


def _normalize(name):
    # "Jumps are jumps": merge the directional variants into one name.
    return re.sub(r"_(FORWARD|BACKWARD)", "", name)


def opcode_summary(func):
    counts = {}
    todo = [func.__code__]
    while todo:
        code = todo.pop()
        for ins in dis.get_instructions(code):
            name = _normalize(ins.opname)
            counts[name] = counts.get(name, 0) + 1
        todo.extend(c for c in code.co_consts if isinstance(c, type(code)))
    return counts
