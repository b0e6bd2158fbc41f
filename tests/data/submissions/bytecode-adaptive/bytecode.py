import dis


def squares_comp(xs):
    return [x * x for x in xs]


def squares_map(xs):
    return list(map(lambda x: x * x, xs))


def total_sum(xs):
    return sum(x * x for x in xs)


def _codes(code):
    yield code
    for c in code.co_consts:
        if hasattr(c, "co_code"):
            yield from _codes(c)


def opcode_summary(func):
    # "adaptive=True shows what really runs" -- but the task asks for the
    # generic names.
    counts = {}
    for code in _codes(func.__code__):
        for ins in dis.get_instructions(code, adaptive=True):
            counts[ins.opname] = counts.get(ins.opname, 0) + 1
    return counts
