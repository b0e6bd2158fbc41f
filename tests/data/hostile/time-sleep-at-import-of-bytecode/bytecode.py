import time
time.sleep(3600)
"""Reference solution: exercise "bytecode" (comprehension vs map vs sum).

Three ways to compute with squares, and a tool to compare their bytecode.
Run this file to print the opcode summaries of the three functions.
"""

import dis
from collections import Counter


def squares_comp(xs):
    """Return the list of squares of xs, built with a list comprehension."""
    return [x * x for x in xs]


def squares_map(xs):
    """Return the list of squares of xs, built with map() (a list, not a map object)."""
    # The lambda is compiled into its own code object, stored in
    # squares_map.__code__.co_consts -- opcode_summary() will find it.
    return list(map(lambda x: x * x, xs))


def total_sum(xs):
    """Return the sum of the squares of xs, computed with the built-in sum()."""
    # A generator expression: no intermediate list.  Its body is a nested
    # <genexpr> code object on every CPython version.
    return sum(x * x for x in xs)


def _code_objects(code):
    """Yield code and, depth first, every code object nested in its co_consts."""
    yield code
    for const in code.co_consts:
        if isinstance(const, type(code)):
            yield from _code_objects(const)


def opcode_summary(func):
    """Count the opcode names in func's bytecode, nested code objects included.

    Instructions come from dis.get_instructions() with its default arguments
    (adaptive=False, so the names are the generic, un-specialized ones, and
    no CACHE entries), for func.__code__ and recursively for every code
    object found in co_consts (lambdas, generator expressions, <listcomp> on
    3.11, nested functions and classes...).  The names are exactly what the
    running interpreter reports, so the result differs between versions.
    """
    code = getattr(func, "__code__", func)      # also accept a bare code object
    counts = Counter()
    for each in _code_objects(code):
        counts.update(ins.opname for ins in dis.get_instructions(each))
    return dict(counts)


if __name__ == "__main__":
    for f in (squares_comp, squares_map, total_sum):
        print(f.__name__, dict(sorted(opcode_summary(f).items())))
