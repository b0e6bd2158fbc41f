"""Lesson 1 -- CPython bytecode: what the interpreter actually runs.

Read this file top to bottom, then run it:

    python3 internals_bytecode.py

Every claim the text makes is also *checked* on the interpreter that runs the
file.  A check prints "[ok] ..." when the claim holds and raises
AssertionError when it does not, so if you run this on a CPython whose
behaviour differs from what the text says, the lesson fails loudly instead of
teaching you something false.  (We use an explicit check() helper rather than
bare `assert` so the checks still run under `python -O`.)

The lesson is written for CPython 3.11, 3.12 and 3.13.  Where the three
versions differ, the code branches on sys.version_info and the comments say
what changed and why.

Topics:
  1. dis: reading a disassembly
  2. LOAD_FAST vs LOAD_GLOBAL, and what the difference costs
  3. Constant folding and its limits
  4. Comprehensions: a hidden function on 3.11, inlined on 3.12+ (PEP 709)
  5. The specializing adaptive interpreter (PEP 659, 3.11+)
"""

import dis
import sys
import time

PY = sys.version_info[:2]


# --------------------------------------------------------------------------
# Small helpers used throughout the lesson.
# --------------------------------------------------------------------------

def check(condition, claim):
    """Print the claim if it holds on this interpreter, raise if it does not."""
    if not condition:
        raise AssertionError("claim is false on Python %d.%d: %s" % (PY + (claim,)))
    print("  [ok] " + claim)


def section(title):
    print()
    print("=" * 72)
    print(title)
    print("=" * 72)


def opnames(code_or_func, adaptive=False):
    """The opcode names of one code object, as dis reports them."""
    return [ins.opname for ins in dis.get_instructions(code_or_func, adaptive=adaptive)]


def code_of(func):
    return func.__code__


def nested_code_objects(func):
    """Code objects stored as constants of func's code (lambdas, genexprs...)."""
    return [c for c in code_of(func).co_consts if hasattr(c, "co_code")]


print("Python %s" % sys.version.split()[0])
if not (3, 11) <= PY <= (3, 13):
    print("note: this lesson was written for CPython 3.11-3.13; "
          "some claims may not hold on %d.%d" % PY)


# ==========================================================================
# 1. dis: reading a disassembly
# ==========================================================================
section("1. dis: reading a disassembly")

# The compiler turns each function body into a *code object*
# (func.__code__).  Its co_code attribute holds the bytecode: a sequence of
# 2-byte "code units" (opcode, argument).  The dis module decodes it.


def add(a, b):
    return a + b


dis.dis(add)

# How to read the output: each line is one instruction --
#   source line | offset | OPNAME | argument | (argument meaning)
#
# * RESUME (3.11+) is a no-op marker at the start of every function; the
#   interpreter uses it for tracing and to check for pending signals.
# * LOAD_FAST pushes a local variable onto the value stack.  3.13 fuses two
#   consecutive loads into one LOAD_FAST_LOAD_FAST "superinstruction" at
#   compile time, so on 3.13 you see that instead of two LOAD_FASTs.
# * BINARY_OP (3.11+) replaced the separate BINARY_ADD, BINARY_MULTIPLY...
#   opcodes of 3.10 and earlier: its argument says which operator.
# * RETURN_VALUE returns the top of the stack.

ops = opnames(add)
check(ops[0] == "RESUME", "every function starts with RESUME (3.11+)")
check("BINARY_OP" in ops, "a + b compiles to the generic BINARY_OP instruction")
check(any(op.startswith("LOAD_FAST") for op in ops),
      "parameters are read with LOAD_FAST (or a fused LOAD_FAST_LOAD_FAST on 3.13)")
if PY >= (3, 13):
    check("LOAD_FAST_LOAD_FAST" in ops,
          "3.13 emits the LOAD_FAST_LOAD_FAST superinstruction for 'a + b'")
check(ops[-1] in ("RETURN_VALUE", "RETURN_CONST"), "the function ends by returning")


# ==========================================================================
# 2. LOAD_FAST vs LOAD_GLOBAL
# ==========================================================================
section("2. LOAD_FAST vs LOAD_GLOBAL")

# Local variables live in a fixed-size array in the frame; the compiler knows
# each local's index, so LOAD_FAST i is "push frame->localsplus[i]".
#
# A global (or builtin) name is not known at compile time.  LOAD_GLOBAL looks
# the name up in the module's globals dict, then in the builtins dict.  Since
# 3.11 its argument also encodes whether to push a NULL first (for a call),
# which is why dis shows "LOAD_GLOBAL 1 (NULL + len)".

SCALE = 3


def uses_global(x):
    return x * SCALE          # SCALE is a module global -> LOAD_GLOBAL


def uses_local(x, scale=3):
    return x * scale          # scale is a parameter -> LOAD_FAST


def uses_builtin(x):
    return len(x)             # len is a builtin -> LOAD_GLOBAL too


print("uses_global:")
dis.dis(uses_global)
print("uses_local:")
dis.dis(uses_local)

check("LOAD_GLOBAL" in opnames(uses_global), "a module global is read with LOAD_GLOBAL")
check("LOAD_GLOBAL" not in opnames(uses_local)
      and any(op.startswith("LOAD_FAST") for op in opnames(uses_local)),
      "a local/parameter is read with LOAD_FAST, never LOAD_GLOBAL")
check("LOAD_GLOBAL" in opnames(uses_builtin),
      "builtins (len, print...) are also found with LOAD_GLOBAL: globals first, then builtins")

# What does the difference cost?  We time two loops that do nothing but load
# a name ten times per iteration.  We take the *best* of several runs (the
# least disturbed by other processes), and we only print the ratio.
#
# Before 3.11 LOAD_GLOBAL did two dict lookups per execution and "cache the
# global in a local" was a real micro-optimisation.  Since 3.11 the
# specializing interpreter (section 5) rewrites a warm LOAD_GLOBAL into
# LOAD_GLOBAL_MODULE / LOAD_GLOBAL_BUILTIN, which checks a dict "version" and
# reads a cached index -- so the gap is now small, often 0-30%.
#
# Timing is never exact, so the only thing asserted is a deliberately safe
# rule: the global loop is not dramatically (2x) *faster* than the local
# loop.  The printed ratio is for you to look at.

G = 1


def load_global_loop(n):
    for _ in range(n):
        G; G; G; G; G; G; G; G; G; G          # noqa: E702 -- 10 x LOAD_GLOBAL


def load_fast_loop(n):
    L = 1
    for _ in range(n):
        L; L; L; L; L; L; L; L; L; L          # noqa: E702 -- 10 x LOAD_FAST


def best_time(func, n=20000, repeat=7):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        func(n)
        best = min(best, time.perf_counter() - t0)
    return best


check(opnames(load_global_loop).count("LOAD_GLOBAL") >= 10,
      "the global loop body really executes LOAD_GLOBAL")
check(opnames(load_fast_loop).count("LOAD_GLOBAL") == 1,          # just 'range'
      "the local loop body executes no LOAD_GLOBAL (the one left is for 'range')")

t_global = best_time(load_global_loop)
t_fast = best_time(load_fast_loop)
print("  best of 7, 200,000 loads each: LOAD_GLOBAL %.2f ms, LOAD_FAST %.2f ms "
      "(ratio %.2f)" % (t_global * 1e3, t_fast * 1e3, t_global / t_fast))
check(t_global >= 0.5 * t_fast,
      "the LOAD_GLOBAL loop is not 2x faster than the LOAD_FAST loop (safe timing rule)")


# ==========================================================================
# 3. Constant folding
# ==========================================================================
section("3. Constant folding and its limits")

# Before generating bytecode, CPython's AST optimizer (Python/ast_opt.c on
# 3.11-3.13) evaluates operations on constants and stores the *result* in
# co_consts.  It refuses when the result could be large, so that compiling a
# file can never allocate huge objects:
#   * int results estimated to need more than 128 bits (for a ** b: when
#     bits(a) * b > 128, roughly),
#   * str/bytes results longer than 4096 items,
#   * tuples built by multiplication, e.g. (0,) * n, longer than 256 items.
# Only immutable results can become constants: a tuple of constants is
# folded, a list never is (each evaluation must produce a new list).


def folded_power():
    return 2 ** 10


def folded_str():
    return "ab" * 3 + "cd"


def power_2_64():
    return 2 ** 64            # bits(2) * 64 = 128: still folded


def power_2_65():
    return 2 ** 65            # 2 * 65 = 130 bits > 128: computed at run time


def long_str_ok():
    return "a" * 4096


def long_str_too_long():
    return "a" * 4097


def a_tuple():
    return (1, 2, 3)


def a_list():
    return [1, 2, 3]


def tuple_with_list():
    return (1, 2, [3])


def membership(x):
    return x in [1, 2, 3], x in {1, 2, 3}


print("folded_power:")
dis.dis(folded_power)
print("power_2_65:")
dis.dis(power_2_65)
print("a_list:")
dis.dis(a_list)

check(1024 in code_of(folded_power).co_consts and "BINARY_OP" not in opnames(folded_power),
      "2 ** 10 is folded: 1024 is a constant and no BINARY_OP runs")
check("abababcd" in code_of(folded_str).co_consts,
      "'ab' * 3 + 'cd' is folded into 'abababcd'")
check(2 ** 64 in code_of(power_2_64).co_consts,
      "2 ** 64 (a 65-bit result) is still folded")
check(2 ** 65 not in code_of(power_2_65).co_consts and "BINARY_OP" in opnames(power_2_65),
      "2 ** 65 is NOT folded: the power is computed each call")
check("a" * 4096 in code_of(long_str_ok).co_consts,
      "'a' * 4096 is folded (4096 characters is the limit)")
check("a" * 4097 not in code_of(long_str_too_long).co_consts
      and "BINARY_OP" in opnames(long_str_too_long),
      "'a' * 4097 is NOT folded")
check((1, 2, 3) in code_of(a_tuple).co_consts and opnames(a_tuple).count("LOAD_CONST") <= 1,
      "a tuple of constants is a single constant: one LOAD_CONST")
list_ops = opnames(a_list)
check("BUILD_LIST" in list_ops and "LIST_EXTEND" in list_ops
      and (1, 2, 3) in code_of(a_list).co_consts,
      "a list literal is built at run time: BUILD_LIST then LIST_EXTEND from a tuple constant")
check("BUILD_TUPLE" in opnames(tuple_with_list),
      "(1, 2, [3]) is not folded: it contains a mutable list")
check((1, 2, 3) in code_of(membership).co_consts
      and frozenset({1, 2, 3}) in code_of(membership).co_consts,
      "'x in [1, 2, 3]' uses a tuple constant, 'x in {1, 2, 3}' a frozenset constant")


# ==========================================================================
# 4. Comprehensions
# ==========================================================================
section("4. Comprehension bytecode: 3.11 vs 3.12+ (PEP 709)")

# Up to 3.11 a list/set/dict comprehension was compiled as a hidden nested
# function: the comprehension's body lives in its own code object named
# <listcomp>, created with MAKE_FUNCTION and called once, with the iterator
# as its only argument.  That gave the comprehension its own scope (the loop
# variable does not leak) at the cost of a function object and a frame per
# evaluation.
#
# PEP 709 (3.12) *inlines* list, set and dict comprehensions: the body is
# compiled into the enclosing function.  Isolation is kept by saving and
# restoring the loop variable with LOAD_FAST_AND_CLEAR / STORE_FAST.  There
# is no <listcomp> code object, no MAKE_FUNCTION, no extra frame -- and a
# traceback from inside a comprehension no longer shows a <listcomp> line.
#
# Generator expressions are NOT inlined on any version: a generator needs its
# own frame that can be suspended, so <genexpr> stays a nested code object.


def comp(xs):
    return [x * x for x in xs]


def genexpr(xs):
    return list(x * x for x in xs)


def who_runs_the_comprehension():
    # The name of the code object executing the comprehension body.
    return [sys._getframe().f_code.co_name for _ in range(1)][0]


print("comp:")
dis.dis(comp)

comp_nested = nested_code_objects(comp)
comp_ops = opnames(comp)
if PY >= (3, 12):
    check(comp_nested == [], "3.12+: a list comprehension has no nested code object")
    check("MAKE_FUNCTION" not in comp_ops, "3.12+: no MAKE_FUNCTION for a list comprehension")
    check("LOAD_FAST_AND_CLEAR" in comp_ops and "LIST_APPEND" in comp_ops,
          "3.12+: the loop is inlined (LOAD_FAST_AND_CLEAR saves x, LIST_APPEND builds)")
    check(who_runs_the_comprehension() == "who_runs_the_comprehension",
          "3.12+: the comprehension body runs in the enclosing function's frame")
else:
    check(len(comp_nested) == 1 and comp_nested[0].co_name == "<listcomp>",
          "3.11: the comprehension body is a nested <listcomp> code object")
    check("MAKE_FUNCTION" in comp_ops,
          "3.11: MAKE_FUNCTION builds a function from it on every call")
    check("LIST_APPEND" in opnames(comp_nested[0]),
          "3.11: BUILD_LIST / LIST_APPEND live inside <listcomp>")
    check(who_runs_the_comprehension() == "<listcomp>",
          "3.11: the comprehension body runs in its own <listcomp> frame")

gen_nested = nested_code_objects(genexpr)
check(len(gen_nested) == 1 and gen_nested[0].co_name == "<genexpr>"
      and "MAKE_FUNCTION" in opnames(genexpr),
      "generator expressions stay nested <genexpr> code objects on every version")
check(comp([1, 2, 3]) == genexpr([1, 2, 3]) == [1, 4, 9], "and both compute the same list")


# ==========================================================================
# 5. Specialization (PEP 659)
# ==========================================================================
section("5. The specializing adaptive interpreter (3.11+)")

# Since 3.11, once a function has run a few times ("warm-up"), the
# interpreter rewrites generic instructions in place into *specialized*
# variants for the types it actually saw: BINARY_OP on two ints becomes
# BINARY_OP_ADD_INT, LOAD_GLOBAL becomes LOAD_GLOBAL_MODULE or
# LOAD_GLOBAL_BUILTIN, and so on.  Each specialized instruction checks its
# assumption (a "guard") and de-optimizes back to the generic form if it
# keeps failing.  The rewritten bytecode is internal:
#
#   * dis.dis(f) / dis.get_instructions(f) show the generic instructions by
#     default (adaptive=False);
#   * dis.dis(f, adaptive=True) shows the current, specialized ones;
#   * f.__code__.co_code always returns the un-specialized bytecode, so code
#     that reads co_code sees the same bytes on every run.
#
# The inline CACHE entries that follow some instructions hold the
# specialization data (dict versions, cached indexes, counters); pass
# show_caches=True on 3.11/3.12 to see them (3.13 ignores that flag).


def add_ints(a, b):
    return a + b


def global_and_builtin(x):
    return len(x) + SCALE


before = opnames(add_ints, adaptive=True)
tracing = sys.gettrace() is not None or sys.getprofile() is not None
for i in range(1000):                    # warm-up: far more than needed
    add_ints(i, 1)
    global_and_builtin("abc")

after = opnames(add_ints, adaptive=True)
print("add_ints after warm-up, adaptive=True:")
dis.dis(add_ints, adaptive=True)
print("  adaptive view before warm-up:", before)
print("  adaptive view after warm-up: ", after)
print("  global_and_builtin after warm-up:", opnames(global_and_builtin, adaptive=True))

if tracing:
    # A tracer or profiler (coverage, a debugger) can keep the interpreter on
    # its instrumented path; we do not make claims about specialization then.
    print("  (a trace/profile function is active: specialization claims skipped)")
else:
    check("BINARY_OP_ADD_INT" in after,
          "after warm-up, adaptive=True shows BINARY_OP specialized to BINARY_OP_ADD_INT")
    gb = opnames(global_and_builtin, adaptive=True)
    check("LOAD_GLOBAL_BUILTIN" in gb and "LOAD_GLOBAL_MODULE" in gb,
          "warm LOAD_GLOBALs become LOAD_GLOBAL_BUILTIN (len) and LOAD_GLOBAL_MODULE (SCALE)")

check("BINARY_OP_ADD_INT" not in opnames(add_ints),
      "with the default adaptive=False, dis shows the generic BINARY_OP")

raw = code_of(add_ints).co_code
raw_names = [dis.opname[raw[i]] for i in range(0, len(raw), 2)]
check("BINARY_OP" in raw_names and not any(n.startswith("BINARY_OP_") for n in raw_names),
      "co_code stays un-specialized: it holds BINARY_OP, not BINARY_OP_ADD_INT")
if PY < (3, 13):
    # On 3.11/3.12, LOAD_FAST__LOAD_FAST is a *runtime* superinstruction
    # (created by specialization); 3.13 made LOAD_FAST_LOAD_FAST a real
    # compiler instruction, which is why it appears in co_code there.
    check("LOAD_FAST__LOAD_FAST" not in raw_names,
          "3.11/3.12: the runtime superinstruction LOAD_FAST__LOAD_FAST never appears in co_code")

print()
print("Lesson complete: every claim above held on Python %d.%d." % PY)
