"""rubrics/memprof.yaml (20 checks) as pytest tests, one test per check.

Each test does what grade's memprof observer does (grader/observe/memprof.c)
on the same workloads (grader/py/memfix.c, compiled here under the same file
name so that keep's allocation line is grade_workloads.py:6):

1. the truth: the bare workload after two warm-up calls and gc.collect(),
   measured once under tracemalloc (grade: an allocator hook in C);
2. the student's decorator applied to a fresh copy of the workload;
3. the caller: idle, or tracing with 4 MiB of its own data in one block,
   300 small objects and an earlier peak of 8 x size;
4. the call, then the aspects of ``verify`` in grade's order
   (grader/kinds/memprof.c), numbers within max(4 KiB, 2%).

tracemalloc is read through the _tracemalloc functions bound when this file
is imported, so a student who rebinds tracemalloc.is_tracing changes nothing.
"""
import gc
import types

import _tracemalloc
import pytest

from conftest import import_check, load, student_call

SIZE = 1000000             # the workload's size (rubric default)
CALLER_DATA = 4 << 20      # a tracing caller's big block
CALLER_SMALL_OBJECTS = 300 # and its small objects (grade's CALLER_SMALL_OBJECTS)
SPIKE_FACTOR = 8           # the caller's peak before the call, in sizes
RECURSE_DEPTH = 3

tm_is_tracing = _tracemalloc.is_tracing
tm_start = _tracemalloc.start
tm_stop = _tracemalloc.stop
tm_traced = _tracemalloc.get_traced_memory
tm_reset_peak = _tracemalloc.reset_peak
tm_object_traceback = _tracemalloc._get_object_traceback

# grader/py/memfix.c, line for line.
WORKLOADS = '''\
# Workloads with known memory behaviour, for the memory check kinds.
_last = [None, None]

def keep(size, *, tag=None):
    """Returns a fresh block of size bytes (the caller keeps it)."""
    block = bytearray(size)
    _last[0] = block
    _last[1] = tag
    return block

def churn(size):
    """Allocates size bytes and frees them before returning."""
    block = bytearray(size)
    del block

def noop():
    """Allocates nothing."""
    return None

def fail(exc):
    """Raises the exception it is given."""
    block = bytearray(100000)
    raise exc

def nested_before(inner, size):
    """Peaks at 2*size before calling inner(size), holding size//4."""
    tmp = bytearray(2 * size)
    del tmp
    held = bytearray(size // 4)
    inner(size)
    return len(held)

def nested_during(inner, size):
    """Holds size//4 while inner(size) churns: the peak is inside."""
    held = bytearray(size // 4)
    inner(size)
    return len(held)

def recurse(self_fn, depth, size):
    """Holds size bytes per level, depth levels down through self_fn."""
    block = bytearray(size)
    if depth > 0:
        self_fn(self_fn, depth - 1, size)
    return depth

def caller_data(size, n):
    """The caller's own traced data: one big block, n small ones."""
    return [bytearray(size)] + [bytes(100) for _ in range(n)]

def spike(size):
    """A high peak before the measured call."""
    block = bytearray(size)
    del block
'''
WL = {"__name__": "_grade_workloads"}
exec(compile(WORKLOADS, "grade_workloads.py", "exec"), WL)
KEEP_SITE = "grade_workloads.py:6"


def fresh(name):
    """A fresh copy of a workload function (what the decorator does to it
    stays with this test)."""
    f = WL[name]
    copy = types.FunctionType(f.__code__, f.__globals__)
    if f.__kwdefaults__:
        copy.__kwdefaults__ = dict(f.__kwdefaults__)
    return copy


def workload_args(wl, inner, exc, tag):
    if wl == "keep":
        return (SIZE,), {"tag": tag}
    if wl == "churn":
        return (SIZE,), {}
    if wl == "noop":
        return (), {}
    if wl == "fail":
        return (exc,), {}
    if wl == "recurse":
        return (inner, RECURSE_DEPTH, SIZE), {}
    return (inner, SIZE), {}


def measure(fn, args, kwargs):
    """(peak, net) of fn(*args, **kwargs): two warm-up calls, a collection,
    one call traced; the result is held while reading, as the caller holds it."""
    for _ in range(2):
        try:
            fn(*args, **kwargs)
        except Exception:
            pass
    gc.collect()
    tm_start()
    base = tm_traced()[0]
    tm_reset_peak()
    try:
        r = fn(*args, **kwargs)
    except Exception:
        r = None
    cur, peak = tm_traced()
    tm_stop()
    del r
    return peak - base, cur - base


def tolerance(truth):
    return max(4096, abs(truth) // 50)


def number_problem(profile, key, truth, caller, what):
    v = profile.get(key, _MISSING)
    if v is _MISSING:
        return f'last_profile has no "{key}" key'
    if type(v) is float:
        return f'last_profile["{key}"] is {v:g}, a float: report whole bytes as an int'
    if type(v) is not int:
        return f'last_profile["{key}"] is a {type(v).__name__}, not an int'
    if abs(v - truth) <= tolerance(truth):
        return None
    level, cpeak = caller
    if level and abs(v - level - truth) <= tolerance(truth):
        return (f'{what}["{key}"] is {v} but the call\'s own is {truth}: it includes the {level} '
                "bytes the caller had traced before the call (no baseline)")
    if cpeak and key == "peak" and v >= cpeak - level - tolerance(cpeak):
        return (f'{what}["peak"] is {v} but the call\'s own is {truth}: it includes a peak the caller '
                "reached before the call (tracemalloc.reset_peak() was not called at the start)")
    diff = v - truth
    return f'{what}["{key}"] is {v}, the grader measured {truth}: {abs(diff)} bytes too ' + (
        "many" if diff > 0 else "few")


_MISSING = object()


def profile_shape(dec, what):
    lp = getattr(dec, "last_profile", _MISSING)
    if lp is _MISSING:
        return None, f"{what}: the decorated callable has no last_profile attribute after a call"
    if lp is None:
        return None, f"{what}: last_profile is still None after a call that returned normally"
    if type(lp) is not dict:
        return None, f"{what}: last_profile is a {type(lp).__name__}, not a dict"
    return lp, None


def top_problem(profile, limit, truth_net):
    top = profile.get("top", _MISSING)
    if top is _MISSING:
        return 'last_profile has no "top" list'
    if not isinstance(top, list):
        return f'last_profile["top"] is a {type(top).__name__}, not a list'
    if len(top) > limit:
        return f'last_profile["top"] has {len(top)} entries, at most {limit} were asked for'
    prev = None
    for e in top:
        if not (isinstance(e, (tuple, list)) and len(e) == 2 and isinstance(e[0], str)
                and type(e[1]) is int):
            return 'last_profile["top"] entries must be ("path:lineno", size_diff) pairs'
        if "tracemalloc.py" in e[0]:
            return 'last_profile["top"] lists tracemalloc\'s own frames'
        if prev is not None and abs(e[1]) > prev:
            return 'last_profile["top"] is not sorted largest change first'
        prev = abs(e[1])
    if limit == 0:
        return None
    if not top:
        return 'last_profile["top"] is empty although the call kept a 1 MB allocation'
    where, size = top[0]
    if size < 0 and abs(-size - truth_net) <= tolerance(truth_net):
        return f'last_profile["top"] starts with {where}, {size}: compare_to the wrong way round'
    if not where.endswith(KEEP_SITE) or abs(size - truth_net) > tolerance(truth_net):
        return (f'last_profile["top"] starts with ({where}, {size}); expected the allocating '
                f"line {KEEP_SITE} with about {truth_net} bytes")
    return None


def run(student, stdout, workload, verify, caller="idle", top=None, quiet=False, optional_top=False):
    """One memprof check.  Fails the test with grade's message when wrong."""
    decorator = student.profile_memory
    tracing = caller == "tracing"
    nested, recursive = workload.startswith("nested"), workload == "recurse"
    assert not (not tracing and tm_is_tracing()), "tracemalloc was already tracing before the check"
    fn = fresh(workload)
    exc, tag = ValueError("raised by the workload"), object()
    bare_inner = fresh("recurse" if recursive else "churn") if nested or recursive else None
    data = sample = result = None
    started = False
    call = f"the decorated {workload}()" + (" (caller tracing)" if tracing else "")
    try:
        # 1. the truth
        truth_peak, truth_net = measure(fn, *workload_args(workload, bare_inner, exc, tag))
        if nested:
            inner_truth = measure(bare_inner, (SIZE,), {})
        # 2. decorate (bare, or decorator(top=N))
        try:
            dec = student_call(decorator(top=top) if top is not None else decorator, fn)
            inner_dec = dec if recursive else (
                student_call(decorator(top=top) if top is not None else decorator, fresh("churn"))
                if nested else None)
        except Exception as e:
            pytest.fail(f"decorating {workload}() raised {type(e).__name__}: {e}")
        args, kwargs = workload_args(workload, inner_dec, exc, tag)
        # 3. the caller
        level = cpeak = 0
        if tracing:
            if not tm_is_tracing():
                tm_start()
                started = True
            data = WL["caller_data"](CALLER_DATA, CALLER_SMALL_OBJECTS)
            WL["spike"](SPIKE_FACTOR * SIZE)
            sample = data[0]
            level, cpeak = tm_traced()
        # 4. the call
        stdout.take()
        raised = False
        try:
            result = student_call(dec, *args, **kwargs)
        except Exception as e:
            if workload != "fail":
                pytest.fail(f"calling {call} raised {type(e).__name__}: {e}")
            raised = e
        tracing_after = tm_is_tracing()
        traces_kept = tracing and tm_object_traceback(sample) is not None
        printed = stdout.take()

        # behaviour, in grade's order
        if "raises" in verify:
            assert raised, f"the function's exception was swallowed: {call} returned a " \
                           f"{type(result).__name__} instead of raising"
            assert raised is exc, f"{call} raised {type(raised).__name__}, not the function's own exception"
        if "tracing" in verify:
            assert not (tracing and not tracing_after), \
                f"tracemalloc.stop() was called although the caller was tracing ({call})"
            assert not (not tracing and tracing_after), \
                f"tracemalloc was still tracing after {call}: stop what you started (in a finally)"
        if "traces" in verify and tracing:
            assert traces_kept, f"the caller's traces were lost during {call}"
        if "returns" in verify and not raised:
            kept = WL["_last"][0]
            assert not (type(result) is tuple and len(result) == 2 and kept is not None
                        and result[0] is kept), \
                f"{call} returned a (result, ...) tuple instead of the function's own return value"
            if workload == "keep":
                same = result is kept
            elif nested:
                same = type(result) is int and result == SIZE // 4
            elif recursive:
                same = type(result) is int and result == RECURSE_DEPTH
            else:
                same = result is None
            assert same, f"{call} returned a {type(result).__name__}, not the very object the function returned"
            if workload == "keep":
                assert WL["_last"][1] is tag, f"{call} did not pass the keyword argument through"
        if "metadata" in verify:
            assert getattr(dec, "__name__", None) == fn.__name__, \
                f"__name__ of the decorated function is {getattr(dec, '__name__', None)!r}: use functools.wraps"
            assert getattr(dec, "__doc__", None) == fn.__doc__, "__doc__ is not the function's: use functools.wraps"
            assert getattr(dec, "__wrapped__", None) is fn, "__wrapped__ is not the original function"
        # the numbers
        if not raised and {"peak", "net", "top", "inner"} & set(verify):
            profile, problem = profile_shape(dec, call)
            assert problem is None, problem
            if optional_top and "top" not in profile:
                pytest.skip('not graded: the optional "top" report is not provided')
            for key, truth in (("peak", truth_peak), ("net", truth_net)):
                if key in verify:
                    problem = number_problem(profile, key, truth, (level, cpeak), "last_profile")
                    assert problem is None, problem
            if "inner" in verify:
                ip, problem = profile_shape(inner_dec, "the inner decorated call")
                assert problem is None, problem
                for key, truth in zip(("peak", "net"), inner_truth):
                    problem = number_problem(ip, key, truth, (level, cpeak), "the inner last_profile")
                    assert problem is None, problem
            if "top" in verify:
                problem = top_problem(profile, top if top is not None else 10, truth_net)
                assert problem is None, problem
        if quiet:
            assert printed == "", "the call printed something; it must print nothing"
    finally:
        # leave tracemalloc as the check found it, release the workloads' record
        result = data = sample = None
        WL["_last"][0] = WL["_last"][1] = None
        if tm_is_tracing() and (started or not tracing):
            tm_stop()


@pytest.fixture
def student(submission_dir):
    return load(submission_dir, "memprof")


def test_imports(submission_dir, stdout):
    import_check(submission_dir, "memprof", stdout)


def test_churn_numbers(student, stdout):
    run(student, stdout, "churn", ["peak", "net"], quiet=True)


def test_keep_numbers(student, stdout):
    run(student, stdout, "keep", ["net", "peak"])


def test_noop_numbers(student, stdout):
    run(student, stdout, "noop", ["peak", "net"])


def test_same_object(student, stdout):
    run(student, stdout, "keep", ["returns"])


def test_same_exception(student, stdout):
    run(student, stdout, "fail", ["raises"])


def test_metadata(student, stdout):
    run(student, stdout, "keep", ["metadata"])


def test_stops_what_it_started(student, stdout):
    run(student, stdout, "churn", ["tracing"])


def test_stops_after_exception(student, stdout):
    run(student, stdout, "fail", ["tracing"])


def test_caller_still_tracing(student, stdout):
    run(student, stdout, "keep", ["tracing"], caller="tracing")


def test_caller_traces_kept(student, stdout):
    run(student, stdout, "churn", ["tracing", "traces"], caller="tracing")


def test_caller_tracing_numbers(student, stdout):
    run(student, stdout, "churn", ["peak", "net"], caller="tracing")


def test_caller_tracing_noop(student, stdout):
    run(student, stdout, "noop", ["peak", "net"], caller="tracing")


def test_caller_tracing_keep(student, stdout):
    run(student, stdout, "keep", ["net", "returns"], caller="tracing")


def test_caller_tracing_exception(student, stdout):
    run(student, stdout, "fail", ["raises", "tracing", "traces"], caller="tracing")


def test_nested_inner(student, stdout):
    run(student, stdout, "nested_during", ["inner", "peak", "returns"])


def test_nested_earlier_peak(student, stdout):
    run(student, stdout, "nested_before", ["peak", "inner"])


def test_recursive(student, stdout):
    run(student, stdout, "recurse", ["peak", "returns", "tracing"])


def test_top_lines(student, stdout):
    """Optional in the statement: skipped when last_profile has no "top"."""
    run(student, stdout, "keep", ["top"], optional_top=True)


def test_top_n(student, stdout):
    """Bonus: @profile_memory(top=2)."""
    run(student, stdout, "keep", ["top", "net"], top=2)
