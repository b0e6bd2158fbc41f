import dis
import io


def squares_comp(xs):
    return [x * x for x in xs]


def squares_map(xs):
    return list(map(lambda x: x * x, xs))


def total_sum(xs):
    return sum(x * x for x in xs)


def opcode_summary(func):
    # Parse what dis.dis prints: "offset OPNAME arg (argrepr)".
    out = io.StringIO()
    dis.dis(func, file=out)
    counts = {}
    for line in out.getvalue().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].isdigit():
            counts[parts[1]] = counts.get(parts[1], 0) + 1
    return counts
