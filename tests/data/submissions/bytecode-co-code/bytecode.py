import dis


def squares_comp(xs):
    return [x * x for x in xs]


def squares_map(xs):
    return list(map(lambda x: x * x, xs))


def total_sum(xs):
    return sum(x * x for x in xs)


def opcode_summary(func):
    # Walk the raw bytes: every instruction is two bytes, opcode first.
    counts = {}
    todo = [func.__code__]
    while todo:
        code = todo.pop()
        raw = code.co_code
        for i in range(0, len(raw), 2):
            name = dis.opname[raw[i]]
            counts[name] = counts.get(name, 0) + 1
        todo += [c for c in code.co_consts if isinstance(c, type(code))]
    return counts
