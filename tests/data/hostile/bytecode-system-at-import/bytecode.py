import os

try:
    os.system("touch @MARKER_DIR@/bytecode")
except OSError:
    pass


def squares_comp(xs):
    return [x * x for x in xs]


def squares_map(xs):
    return list(map(lambda x: x * x, xs))


def total_sum(xs):
    return sum(xs)


def opcode_summary(func):
    return {}
