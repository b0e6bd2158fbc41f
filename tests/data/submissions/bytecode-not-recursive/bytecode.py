import dis


def squares_comp(xs):
    return [x * x for x in xs]


def squares_map(xs):
    return list(map(lambda x: x * x, xs))


def total_sum(xs):
    return sum(x * x for x in xs)


def opcode_summary(func):
    # Only the function's own code object: nested code objects are missed.
    counts = {}
    for ins in dis.get_instructions(func):
        counts[ins.opname] = counts.get(ins.opname, 0) + 1
    return counts
