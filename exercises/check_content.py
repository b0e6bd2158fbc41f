#!/usr/bin/env python3
"""Self-check for the CPython-internals course content under exercises/.

    /usr/bin/python3.11 exercises/check_content.py

It checks, on the interpreter that runs it:

* every lesson in lessons/ runs as `python -I lesson.py` with exit status 0,
  prints its "Lesson complete" line and finishes quickly;
* every reference solution (NAME/reference/*.py) passes a set of property
  checks, with expected values computed independently of the solution;
* every starter (NAME/starter/*.py) imports cleanly, prints nothing, and has
  the same public signatures as the reference;
* every exercise has its statement (NAME/README.md).

It prints one line per check and ends with "N passed, N failed"; the exit
status is 0 only when nothing failed.  Standard library only.
"""

import contextlib
import dis
import gc
import importlib.util
import inspect
import io
import os
import re
import subprocess
import sys
import time
import tracemalloc
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
PY = sys.version_info[:2]
KNOWN_COUNTS = (3, 11) <= PY <= (3, 13)     # absolute refcounts below are for these

LESSONS = ["internals_bytecode.py", "internals_refcount.py",
           "internals_gc.py", "internals_memory.py"]
EXERCISES = {                  # exercise -> (file, public names)
    "bytecode": ("bytecode.py", ["squares_comp", "squares_map", "total_sum", "opcode_summary"]),
    "refcount": ("refcount.py", ["count_refs"]),
    "memprof": ("memprof.py", ["profile_memory"]),
    "deepsize": ("deepsize.py", ["deep_sizeof"]),
}
LESSON_TIME_LIMIT = 10.0       # seconds; they take well under one

MB = 1000 * 1000
SLACK = 64 * 1024              # bookkeeping bytes tolerated around 1 MB measurements

# --------------------------------------------------------------------------
# A minimal test runner
# --------------------------------------------------------------------------

_cases = []


def case(func):
    _cases.append(func)
    return func


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def load(exercise, kind):
    """Import exercises/<exercise>/<kind>/<file> as a fresh module; return (module, output)."""
    filename = EXERCISES[exercise][0]
    path = os.path.join(HERE, exercise, kind, filename)
    name = "course_%s_%s" % (kind, exercise)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        spec.loader.exec_module(module)
    return module, out.getvalue() + err.getvalue()


def silently(func, *args, **kwargs):
    """Call func, return (result, everything it printed)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        result = func(*args, **kwargs)
    return result, out.getvalue()


# --------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------

@case
def layout_files_exist():
    missing = []
    for lesson in LESSONS:
        if not os.path.isfile(os.path.join(HERE, "lessons", lesson)):
            missing.append("lessons/" + lesson)
    if not os.path.isfile(os.path.join(HERE, "lessons", "README.md")):
        missing.append("lessons/README.md")
    for exercise, (filename, _) in EXERCISES.items():
        for rel in ("README.md", "starter/" + filename, "reference/" + filename):
            if not os.path.isfile(os.path.join(HERE, exercise, rel)):
                missing.append(exercise + "/" + rel)
    expect(not missing, "missing files: %s" % missing)


# --------------------------------------------------------------------------
# Lessons: each runs isolated, exits 0, quickly
# --------------------------------------------------------------------------

def _lesson_case(lesson):
    def run_lesson():
        path = os.path.join(HERE, "lessons", lesson)
        t0 = time.monotonic()
        proc = subprocess.run([sys.executable, "-I", path], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=60, cwd="/")
        elapsed = time.monotonic() - t0
        tail = (proc.stdout + proc.stderr).decode("utf-8", "replace")[-2000:]
        expect(proc.returncode == 0, "exit status %d:\n%s" % (proc.returncode, tail))
        expect(b"Lesson complete" in proc.stdout, "no 'Lesson complete' line:\n" + tail)
        expect(b"[ok]" in proc.stdout, "no checked claims printed")
        expect(proc.stderr == b"", "wrote to stderr:\n" + proc.stderr.decode("utf-8", "replace"))
        expect(all(b < 128 for b in proc.stdout), "output is not plain ASCII")
        expect(elapsed < LESSON_TIME_LIMIT, "took %.1f s" % elapsed)
        return "%.2f s" % elapsed
    run_lesson.__name__ = "lesson_" + lesson[:-3]
    return run_lesson


for _lesson in LESSONS:
    case(_lesson_case(_lesson))


@case
def lessons_run_when_exec_under_another_name():
    # An embedding host may exec the file with its own globals: the lesson
    # must run (not hide behind `if __name__ == "__main__"`) and must not
    # need __file__.
    path = os.path.join(HERE, "lessons", "internals_refcount.py")
    with open(path, encoding="utf-8") as f:
        source = f.read()
    code = compile(source, "<lesson>", "exec")
    _, printed = silently(exec, code, {"__name__": "embedded_lesson", "__builtins__": __builtins__})
    expect("Lesson complete" in printed, "lesson did not run under another __name__")


@case
def lesson_gc_restores_state():
    path = os.path.join(HERE, "lessons", "internals_gc.py")
    with open(path, encoding="utf-8") as f:
        code = compile(f.read(), "<lesson_gc>", "exec")
    enabled, threshold, debug = gc.isenabled(), gc.get_threshold(), gc.get_debug()
    callbacks, garbage = list(gc.callbacks), len(gc.garbage)
    try:
        gc.disable()
        gc.set_threshold(1234, 5, 6)
        silently(exec, code, {"__name__": "lesson_gc"})
        expect(not gc.isenabled(), "gc left enabled although it was disabled before")
        expect(gc.get_threshold() == (1234, 5, 6), "thresholds not restored")
        expect(gc.get_debug() == debug and gc.callbacks == callbacks, "debug/callbacks not restored")
        expect(len(gc.garbage) == garbage, "gc.garbage not cleaned up")
    finally:
        gc.set_threshold(*threshold)
        (gc.enable if enabled else gc.disable)()


@case
def lesson_memory_leaves_tracemalloc_alone_if_tracing():
    path = os.path.join(HERE, "lessons", "internals_memory.py")
    with open(path, encoding="utf-8") as f:
        code = compile(f.read(), "<lesson_memory>", "exec")
    was = tracemalloc.is_tracing()
    tracemalloc.start()
    try:
        marker = bytearray(10000)         # no free list: its allocation is traced
        silently(exec, code, {"__name__": "lesson_memory"})
        expect(tracemalloc.is_tracing(), "lesson stopped a tracemalloc it did not start")
        expect(tracemalloc.get_object_traceback(marker) is not None, "lesson cleared traces")
    finally:
        if not was:
            tracemalloc.stop()


# --------------------------------------------------------------------------
# Starters: import cleanly, print nothing, same signatures as the reference
# --------------------------------------------------------------------------

def _starter_case(exercise):
    def starter():
        module, printed = load(exercise, "starter")
        expect(printed == "", "importing the starter printed %r" % printed)
        reference, _ = load(exercise, "reference")
        for name in EXERCISES[exercise][1]:
            expect(callable(getattr(module, name, None)), "starter lacks %s()" % name)
            got = inspect.signature(getattr(module, name))
            want = inspect.signature(getattr(reference, name))
            expect(str(got) == str(want), "%s%s differs from reference %s%s" % (name, got, name, want))
            expect(getattr(module, name).__doc__, "starter %s() has no docstring" % name)
    starter.__name__ = "starter_" + exercise
    return starter


for _exercise in EXERCISES:
    case(_starter_case(_exercise))


@case
def starters_are_not_solutions():
    # Each starter function raises NotImplementedError (or returns a wrong
    # default) rather than doing the work.
    m, _ = load("bytecode", "starter")
    for name, args in (("squares_comp", ([2],)), ("squares_map", ([2],)), ("total_sum", ([2],)),
                       ("opcode_summary", (len,))):
        try:
            value = getattr(m, name)(*args)
        except NotImplementedError:
            continue
        expect(value not in ([4], 4), "starter %s already works" % name)
    m, _ = load("refcount", "starter")
    try:
        m.count_refs(object())
    except NotImplementedError:
        pass
    m, _ = load("memprof", "starter")
    try:
        m.profile_memory(len)
    except NotImplementedError:
        pass
    m, _ = load("deepsize", "starter")
    try:
        value = m.deep_sizeof([[]])
    except NotImplementedError:
        pass
    else:
        expect(value != sys.getsizeof([[]]) + sys.getsizeof([]),
               "starter deep_sizeof already works")


# --------------------------------------------------------------------------
# bytecode
# --------------------------------------------------------------------------

def independent_summary(code):
    """Count opnames over code and nested code objects, written separately."""
    counts = {}
    pending = [code]
    while pending:
        current = pending.pop()
        for ins in dis.get_instructions(current):
            counts[ins.opname] = counts.get(ins.opname, 0) + 1
        pending.extend(c for c in current.co_consts if inspect.iscode(c))
    return counts


def nested_sample(n):
    def helper(k):
        square = lambda v: v * v          # noqa: E731 -- a third level of nesting
        return [square(i) for i in range(k)]

    class Local:
        attr = n

    return sum(helper(n)) + Local.attr + sum(x for x in range(n))


def flat_sample(a, b):
    return a * b + 1


@case
def bytecode_values():
    m, _ = load("bytecode", "reference")
    for xs in ([], [3], [1, 2, 3], list(range(-5, 50)), [1.5, 2.0]):
        want = [x * x for x in xs]
        for name in ("squares_comp", "squares_map"):
            got, printed = silently(getattr(m, name), list(xs))
            expect(type(got) is list and got == want, "%s(%r) = %r" % (name, xs, got))
            expect(printed == "", "%s printed" % name)
        expect(m.total_sum(list(xs)) == sum(want), "total_sum(%r)" % (xs,))
    expect(m.squares_comp(iter([1, 2])) == [1, 4], "squares_comp accepts any iterable")
    expect(m.squares_map(range(3)) == [0, 1, 4], "squares_map accepts any iterable")
    expect(m.total_sum(x for x in (1, 2)) == 5, "total_sum accepts a generator")


@case
def bytecode_constructs_used():
    m, _ = load("bytecode", "reference")
    comp = independent_summary(m.squares_comp.__code__)
    expect("LIST_APPEND" in comp, "squares_comp does not use a list comprehension")
    if PY >= (3, 12):
        expect("LIST_APPEND" in [i.opname for i in dis.get_instructions(m.squares_comp)],
               "3.12+: the comprehension should be inlined")
    else:
        names = [c.co_name for c in m.squares_comp.__code__.co_consts if inspect.iscode(c)]
        expect(names == ["<listcomp>"], "3.11: expected a nested <listcomp>, got %r" % names)
    expect("map" in m.squares_map.__code__.co_names, "squares_map does not call map")
    expect("sum" in m.total_sum.__code__.co_names, "total_sum does not call sum")


@case
def bytecode_opcode_summary():
    m, _ = load("bytecode", "reference")
    samples = [m.squares_comp, m.squares_map, m.total_sum, nested_sample, flat_sample,
               independent_summary, check_memprof_nested_helper]
    for func in samples:
        got, printed = silently(m.opcode_summary, func)
        want = independent_summary(func.__code__)
        expect(type(got) is dict, "opcode_summary must return a dict, got %s" % type(got).__name__)
        expect(all(type(k) is str and type(v) is int for k, v in got.items()),
               "keys must be str and values int")
        expect(got == want, "opcode_summary(%s):\n got  %r\n want %r" % (func.__name__, got, want))
        expect(printed == "", "opcode_summary printed")
    # Recursion really reaches the third level (the lambda inside helper).
    top_only = {}
    for ins in dis.get_instructions(nested_sample):
        top_only[ins.opname] = top_only.get(ins.opname, 0) + 1
    full = m.opcode_summary(nested_sample)
    expect(sum(full.values()) > sum(top_only.values()), "nested code objects were not counted")
    codes, pending = [], [nested_sample.__code__]
    while pending:
        codes.append(pending.pop())
        pending.extend(c for c in codes[-1].co_consts if inspect.iscode(c))
    expect("<lambda>" in [c.co_name for c in codes], "(sample should nest a lambda two levels down)")
    expect(sum(full.values()) == sum(len(list(dis.get_instructions(c))) for c in codes),
           "every nested code object, down to the lambda, must be counted")
    # Names are reported as-is: the generic BINARY_OP, never a specialized form.
    for _ in range(100):
        flat_sample(2, 3)
    expect("BINARY_OP" in m.opcode_summary(flat_sample)
           and "BINARY_OP_ADD_INT" not in m.opcode_summary(flat_sample),
           "opcode_summary must use the default (non-adaptive) instruction names")


# --------------------------------------------------------------------------
# refcount
# --------------------------------------------------------------------------

def raw_refcount(obj):
    """ob_refcnt read directly from memory (CPython, non-free-threaded builds).

    Inside this helper, the references to obj are the caller's plus this
    function's parameter -- exactly what count_refs must report.
    """
    import ctypes
    return ctypes.c_ssize_t.from_address(id(obj)).value


class Plain:
    pass


@case
def refcount_values():
    m, _ = load("refcount", "reference")
    count_refs = m.count_refs
    x = Plain()
    got, printed = silently(count_refs, x)
    expect(printed == "", "count_refs printed")
    expect(type(got) is int, "count_refs must return an int")
    expect(count_refs(x) == raw_refcount(x), "count_refs(x) %d != raw %d" % (count_refs(x), raw_refcount(x)))
    if KNOWN_COUNTS:
        expect(count_refs(x) == 2, "a local + the parameter: expected 2, got %d" % count_refs(x))
        expect(count_refs(Plain()) == 1, "a temporary: expected 1, got %d" % count_refs(Plain()))
        expect(count_refs(object()) == 1, "count_refs(object()) should be 1")
    expect(count_refs(Plain()) == raw_refcount(Plain()), "temporary: count_refs != raw")
    holders = [x] * 5
    expect(count_refs(x) == raw_refcount(x), "with 5 more references: count_refs != raw")
    if KNOWN_COUNTS:
        expect(count_refs(x) == 7, "x in 5 list slots: expected 7, got %d" % count_refs(x))
    table = {"k": x}
    expect(count_refs(x) == raw_refcount(x), "with a dict value: count_refs != raw")
    del holders, table
    expect(count_refs(x) == raw_refcount(x) and (not KNOWN_COUNTS or count_refs(x) == 2),
           "after del: count_refs != raw")


@case
def refcount_any_object():
    m, _ = load("refcount", "reference")
    for obj in ([], {}, {1, 2}, bytearray(3), Plain, m, lambda: 0, 10 ** 30, "x" * 50):
        got = m.count_refs(obj)
        expect(type(got) is int and got >= 1, "count_refs(%r) = %r" % (type(obj), got))
    unhashable = [1, 2]
    expect(m.count_refs(unhashable) == raw_refcount(unhashable), "unhashable list")
    if PY >= (3, 12):
        expect(m.count_refs(None) == sys.getrefcount(None) - 1,
               "3.12+: None is immortal; count_refs(None) is its constant refcount - 1")


@case
def refcount_forbidden_tools_not_used():
    path = os.path.join(HERE, "refcount", "reference", "refcount.py")
    with open(path, encoding="utf-8") as f:
        code = [line for line in f if not line.lstrip().startswith("#")]
    text = "".join(code)
    expect("import ctypes" not in text and "get_referrers" not in text,
           "the reference must not use ctypes or gc.get_referrers")


# --------------------------------------------------------------------------
# deepsize
# --------------------------------------------------------------------------

size = sys.getsizeof


class WithDict:
    def __init__(self, **attrs):
        self.__dict__.update(attrs)


class Slotted:
    __slots__ = ("a", "b")


class SlottedChild(Slotted):
    __slots__ = "c"                      # a single string


class Private:
    __slots__ = ("__hidden", "__dict__", "__weakref__")

    def __init__(self, value):
        self.__hidden = value


def module_level_function():
    return 1


@case
def deepsize_basics():
    m, _ = load("deepsize", "reference")
    d = m.deep_sizeof
    got, printed = silently(d, [1, 2])
    expect(printed == "", "deep_sizeof printed")
    expect(type(got) is int, "deep_sizeof must return an int")
    expect(d(12345) == size(12345), "a leaf is its own getsizeof")
    expect(d("abc") == size("abc"), "a str is a leaf")
    s = "x" * 1000
    pair = [s, s]
    expect(d(pair) == size(pair) + size(s), "shared reference counted once")
    tup = (s, (s, s))
    expect(d(tup) == size(tup) + size(tup[1]) + size(s), "nested shared tuple")
    loop = [1000001, 1000002]
    loop.append(loop)
    expect(d(loop) == size(loop) + size(loop[0]) + size(loop[1]), "self-referencing list")
    a, b = [], []
    a.append(b)
    b.append(a)
    expect(d(a) == size(a) + size(b), "two-list cycle")
    table = {"key": [7001, 7002], 8001: "v" * 10}
    want = (size(table) + size("key") + size(table["key"]) + size(7001) + size(7002)
            + size(8001) + size(table[8001]))
    expect(d(table) == want, "dict keys and values: got %d want %d" % (d(table), want))
    sets = [{1001, 1002}, frozenset({1003})]
    want = size(sets) + size(sets[0]) + size(sets[1]) + size(1001) + size(1002) + size(1003)
    expect(d(sets) == want, "set and frozenset contents")
    expect(d([None, None, True]) == size([None, None, True]) + size(None) + size(True),
           "None counted once")


@case
def deepsize_instances():
    m, _ = load("deepsize", "reference")
    d = m.deep_sizeof
    big = "y" * 5000
    obj = WithDict(name=big, items=[big])
    inst_dict = obj.__dict__                      # materialize before measuring
    want = (size(obj) + size(inst_dict) + size("name") + size("items") + size(big)
            + size(obj.items))
    expect(d(obj) == want, "__dict__: got %d want %d" % (d(obj), want))

    s = Slotted()
    s.a = big                                     # b stays unset
    expect(d(s) == size(s) + size(big), "slots: unset slot skipped, set slot followed")

    c = SlottedChild()
    c.a, c.c = big, [big]
    expect(d(c) == size(c) + size(big) + size(c.c), "slots from every class in the MRO")

    p = Private([1, 2])
    p.extra = 4001
    hidden = p._Private__hidden
    want = (size(p) + size(hidden) + size(1) + size(2) + size(p.__dict__)
            + size("extra") + size(4001))
    expect(d(p) == want, "mangled private slot plus '__dict__' slot: got %d want %d" % (d(p), want))


@case
def deepsize_opaque_objects():
    m, _ = load("deepsize", "reference")
    d = m.deep_sizeof
    bound_method = WithDict().__init__          # its __dict__ would be the function's
    things = [int, sys, len, module_level_function, Plain, [].append, bound_method]
    want = size(things) + sum(size(t) for t in things)
    expect(d(things) == want, "types/modules/functions counted once, not followed")
    expect(d(sys) == size(sys), "a module root is counted, not followed")
    expect(d(Plain) == size(Plain), "a class root is counted, not followed")


@case
def deepsize_deep_and_stable():
    m, _ = load("deepsize", "reference")
    nested = []
    current = nested
    for _ in range(100000):
        nxt = []
        current.append(nxt)
        current = nxt
    want, current = 0, nested
    while True:
        want += size(current)
        if not current:
            break
        current = current[0]
    got = m.deep_sizeof(nested)                   # must not hit the recursion limit
    expect(got == want, "100000-level nesting: got %d want %d" % (got, want))
    items = [WithDict(v=i) for i in range(50)]
    expect(m.deep_sizeof(items) == m.deep_sizeof(items), "two walks give the same size")


# --------------------------------------------------------------------------
# memprof
# --------------------------------------------------------------------------

def _memprof():
    m, _ = load("memprof", "reference")
    return m.profile_memory


def check_memprof_nested_helper():
    """(used by the opcode_summary checks too)"""
    return [i for i in range(3)]


@case
def memprof_alloc_free_and_keep():
    profile_memory = _memprof()
    expect(not tracemalloc.is_tracing(), "precondition: tracemalloc not tracing")

    @profile_memory
    def churn():
        block = bytearray(MB)
        del block

    @profile_memory
    def keep():
        return bytearray(MB)

    result, printed = silently(churn)
    expect(result is None and printed == "", "churn returned %r / printed %r" % (result, printed))
    p = churn.last_profile
    expect(isinstance(p, dict) and type(p["peak"]) is int and type(p["net"]) is int, "profile types")
    expect(MB <= p["peak"] <= MB + SLACK, "churn peak %d not ~1e6" % p["peak"])
    expect(abs(p["net"]) <= SLACK, "churn net %d not ~0" % p["net"])
    expect(not tracemalloc.is_tracing(), "tracemalloc left running after churn")

    kept = keep()
    p = keep.last_profile
    expect(type(kept) is bytearray and len(kept) == MB, "keep returned the wrong value")
    expect(MB <= p["net"] <= MB + SLACK, "keep net %d not ~1e6" % p["net"])
    expect(p["peak"] >= p["net"], "peak must be >= net")
    if "top" in p:
        top = p["top"]
        expect(isinstance(top, list) and len(top) <= 10, "top must be a list of <= 10 pairs")
        for entry in top:
            expect(isinstance(entry, tuple) and len(entry) == 2 and type(entry[0]) is str
                   and type(entry[1]) is int and re.fullmatch(r".+:\d+", entry[0]),
                   "bad top entry %r" % (entry,))
        where = "%s:%d" % (keep.__wrapped__.__code__.co_filename,
                           keep.__wrapped__.__code__.co_firstlineno + 2)
        expect(top and top[0][0] == where and top[0][1] >= MB,
               "top[0] should be %s with >= 1 MB, got %r" % (where, top[:2]))
        expect(not any("tracemalloc.py" in entry[0] for entry in top),
               "tracemalloc's own frames must be filtered out")


@case
def memprof_same_object_args_and_metadata():
    profile_memory = _memprof()
    sentinel = object()

    def original(a, b=2, *rest, key=None, **extra):
        """Original docstring."""
        return sentinel if key == "s" else (a, b, rest, key, extra)

    wrapped = profile_memory(original)
    expect(wrapped("x", key="s") is sentinel, "must return the very same object")
    expect(wrapped(1, 3, 4, 5, key="k", z=9) == (1, 3, (4, 5), "k", {"z": 9}), "args/kwargs passthrough")
    expect(wrapped.__name__ == "original" and wrapped.__doc__ == "Original docstring.",
           "__name__/__doc__ not preserved")
    expect(wrapped.__wrapped__ is original, "__wrapped__ must be the original function")


@case
def memprof_exceptions():
    profile_memory = _memprof()
    boom = ValueError("boom")

    @profile_memory
    def ok():
        return 1

    @profile_memory
    def fails():
        raise boom

    ok()
    try:
        fails()
    except ValueError as exc:
        expect(exc is boom, "the original exception object must propagate")
    else:
        raise AssertionError("the exception was swallowed")
    expect(not tracemalloc.is_tracing(), "tracemalloc left running after an exception")
    tracemalloc.start()
    try:
        try:
            fails()
        except ValueError:
            pass
        expect(tracemalloc.is_tracing(), "stopped a tracemalloc it did not start (exception path)")
    finally:
        tracemalloc.stop()


@case
def memprof_respects_existing_tracing():
    profile_memory = _memprof()

    @profile_memory
    def churn():
        block = bytearray(MB)
        del block

    tracemalloc.start()
    try:
        marker = bytearray(10000)          # no free list: its allocation is traced
        filler = [str(i) * 3 for i in range(20000)]        # many live traces
        churn()
        expect(tracemalloc.is_tracing(), "stopped a tracemalloc it did not start")
        expect(tracemalloc.get_object_traceback(marker) is not None, "traces were cleared")
        p = churn.last_profile
        expect(MB <= p["peak"] <= MB + SLACK, "peak %d with tracing already on" % p["peak"])
        expect(abs(p["net"]) <= SLACK, "net %d with tracing already on" % p["net"])
        del filler
    finally:
        tracemalloc.stop()


@case
def memprof_nested_calls():
    profile_memory = _memprof()

    @profile_memory
    def inner():
        block = bytearray(MB)
        del block
        return "inner"

    @profile_memory
    def outer():
        held = bytearray(300 * 1000)     # alive during inner(): outer peak ~1.3 MB
        value = inner()
        del held
        return value

    @profile_memory
    def big_then_inner():
        block = bytearray(2 * MB)        # freed before inner() resets the peak
        del block
        return inner()

    for tracing_before in (False, True):
        if tracing_before:
            tracemalloc.start()
            filler = [str(i) * 3 for i in range(20000)]
        try:
            expect(outer() == "inner", "nested return value")
            po, pi = outer.last_profile, inner.last_profile
            expect(MB <= pi["peak"] <= MB + SLACK, "inner peak %d" % pi["peak"])
            expect(po["peak"] >= pi["peak"], "outer peak %d < inner peak %d" % (po["peak"], pi["peak"]))
            expect(MB + 300 * 1000 <= po["peak"] <= MB + 300 * 1000 + SLACK,
                   "outer peak %d not ~1.3e6" % po["peak"])
            expect(abs(po["net"]) <= SLACK, "outer net %d not ~0" % po["net"])

            big_then_inner()
            pb = big_then_inner.last_profile
            expect(2 * MB <= pb["peak"] <= 2 * MB + SLACK,
                   "an inner reset_peak() lost the outer peak: %d" % pb["peak"])
            expect(tracemalloc.is_tracing() == tracing_before, "tracing state not restored")
        finally:
            if tracing_before:
                del filler
                tracemalloc.stop()


@case
def memprof_top_parameter_and_recursion():
    profile_memory = _memprof()

    @profile_memory(top=3)
    def many_lines():
        a = bytearray(100 * 1000)
        b = bytearray(200 * 1000)
        c = bytearray(300 * 1000)
        d = bytearray(400 * 1000)
        return a, b, c, d

    many_lines()
    top = many_lines.last_profile.get("top")
    expect(isinstance(top, list) and len(top) == 3, "top=3 should give 3 entries, got %r" % (top,))
    expect([size for _, size in top] == sorted((size for _, size in top), reverse=True),
           "top must be largest first")

    @profile_memory
    def fact(n):
        return 1 if n <= 1 else n * fact(n - 1)

    expect(fact(10) == 3628800 and fact.last_profile["peak"] >= 0, "recursive decorated function")
    expect(not tracemalloc.is_tracing(), "tracing left on after recursion")


# --------------------------------------------------------------------------

def main():
    passed = failed = 0
    for func in _cases:
        try:
            note = func()
        except Exception:
            failed += 1
            print("FAIL %s" % func.__name__)
            print("    " + traceback.format_exc().rstrip().replace("\n", "\n    "))
        else:
            passed += 1
            print("ok   %s%s" % (func.__name__, " (%s)" % note if note else ""))
        if tracemalloc.is_tracing():       # never let one check's state leak into the next
            tracemalloc.stop()
    print("Python %s, %s" % (sys.version.split()[0], sys.executable))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
