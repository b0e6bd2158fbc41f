"""An example submission for the bytecode exercise, with two classic mistakes."""
import dis


def squares_comp(xs):
    return [x * x for x in xs]


def squares_map(xs):
    # Mistake: map() is lazy; this returns a map object, not a list.
    return map(lambda x: x * x, xs)


def total_sum(xs):
    return sum(x * x for x in xs)


def opcode_summary(func):
    # Mistake: only func.__code__ is counted, not the code objects nested in
    # its co_consts (the comprehension's, the lambda's, the generator's).
    counts = {}
    for instruction in dis.get_instructions(func):
        counts[instruction.opname] = counts.get(instruction.opname, 0) + 1
    return counts
