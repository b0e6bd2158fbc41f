"""Exercise "bytecode": comprehension vs map vs sum, and an opcode counter.

Fill in the four functions below.  Read ../README.md for the exact rules;
the grader imports this file and calls the functions, so keep the names and
signatures as they are, and do not print anything.
"""

import dis  # noqa: F401 -- you will need it for opcode_summary


def squares_comp(xs):
    """Return the list of the squares of the items of xs.

    Build it with a list comprehension.
    """
    raise NotImplementedError("squares_comp: use a list comprehension")


def squares_map(xs):
    """Return the list of the squares of the items of xs.

    Build it with the built-in map(); return a list, not a map object.
    """
    raise NotImplementedError("squares_map: use map()")


def total_sum(xs):
    """Return the sum of the squares of the items of xs, using the built-in sum()."""
    raise NotImplementedError("total_sum: use sum()")


def opcode_summary(func):
    """Return {opname: count} for the bytecode of func and every nested code object.

    Count Instruction.opname over dis.get_instructions(...) called with its
    default arguments, for func.__code__ and, recursively, for every code
    object found in co_consts.  Keep the names exactly as dis reports them.
    """
    raise NotImplementedError("opcode_summary")
