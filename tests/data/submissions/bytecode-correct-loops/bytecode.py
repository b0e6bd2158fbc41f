"""Loop-heavy: plain dict counting, an explicit worklist, no Counter."""
import dis
import types


def squares_comp(xs):
    return [x ** 2 for x in xs]


def squares_map(xs):
    def square(v):
        return v * v
    return list(map(square, xs))


def total_sum(xs):
    return sum([x * x for x in xs])


def opcode_summary(func):
    counts = {}
    worklist = [func.__code__]
    while worklist:
        code = worklist.pop(0)
        for instruction in dis.get_instructions(code):
            name = instruction.opname
            if name in counts:
                counts[name] += 1
            else:
                counts[name] = 1
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                worklist.append(const)
    return counts
