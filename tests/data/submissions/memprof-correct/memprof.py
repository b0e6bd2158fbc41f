"""Reference solution: exercise "memprof" (a tracemalloc profiling decorator).

    @profile_memory
    def build():
        return [bytes(1000) for _ in range(1000)]

    data = build()
    build.last_profile   # {'peak': 1...., 'net': 1...., 'top': [('/path/x.py:3', 1...), ...]}

Design notes
------------
* Tracing state.  If tracemalloc is not tracing when the decorated function
  is called, the wrapper starts it and stops it again in a `finally`.  If it
  is already tracing (someone else's measurement, or an enclosing decorated
  call), the wrapper never stops it and never clears traces; it only uses
  tracemalloc.reset_peak() so that the peak it reads belongs to this call.

* Nested calls.  reset_peak() is global: an inner decorated call resets the
  peak that an enclosing decorated call is still accumulating.  To keep the
  outer measurement right, every call in progress has a _Measurement on the
  module-level stack _active, and whenever the wrapper is about to reset the
  peak -- or has just read one -- it first "folds" the peak it saw into
  every measurement on the stack (_fold).  So an outer call's peak is always
  at least the highest level any inner call reached.

* Profiler overhead.  The optional "top" report needs two snapshots, and a
  snapshot is traced memory too.  The wrapper keeps that out of the numbers:
  the "before" snapshot is taken before the start level is read (so it is
  part of the baseline, not of the call), the peak is reset after taking it,
  and the "after" snapshot is taken after the end level and peak are read.
  An inner call's "before" snapshot stays alive while the inner function
  runs; its size is remembered (overhead) and subtracted when the inner
  peak is folded into the enclosing measurements.

* Not thread-safe: tracemalloc's peak is process-wide, so concurrent
  decorated calls in several threads would see each other's allocations.
"""

import functools
import tracemalloc

__all__ = ["profile_memory"]

# tracemalloc's own frames (snapshots are built in tracemalloc.py) and the
# import machinery are not the profiled function's doing.
_FILTERS = (
    tracemalloc.Filter(False, tracemalloc.__file__),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap_external>"),
    tracemalloc.Filter(False, "<unknown>"),
)


class _Measurement:
    """Bookkeeping for one decorated call in progress (absolute byte levels)."""

    __slots__ = ("start", "peak", "overhead")

    def __init__(self):
        self.start = 0       # traced memory when the wrapped function was called
        self.peak = 0        # highest traced memory seen during the call
        self.overhead = 0    # memory held by this call's "before" snapshot


# Decorated calls in progress, outermost first.
_active = []


def _fold(absolute_peak):
    """Record a traced-memory high-water mark in every call in progress.

    absolute_peak was read while the innermost call's snapshot (and those of
    every call between it and an outer one) were alive; each outer call sees
    the level minus the snapshots of the calls nested inside it.
    """
    nested_overhead = 0
    for measurement in reversed(_active):
        level = absolute_peak - nested_overhead
        if level > measurement.peak:
            measurement.peak = level
        nested_overhead += measurement.overhead


def _code_lines(*code_objects):
    """{(filename, lineno)} of every line of the given code objects."""
    return {(code.co_filename, line)
            for code in code_objects
            for _, _, line in code.co_lines() if line is not None}


def _top_lines(before, after, limit, skip_lines):
    """The `limit` largest per-line differences between two snapshots.

    Returns [("path:lineno", size_diff), ...], largest change first, without
    tracemalloc's own frames, without lines whose size did not change, and
    without this module's own bookkeeping lines (skip_lines).
    """
    stats = after.filter_traces(_FILTERS).compare_to(before.filter_traces(_FILTERS), "lineno")
    top = []
    for stat in stats:
        if len(top) >= limit:
            break
        frame = stat.traceback[0]
        if stat.size_diff == 0 or (frame.filename, frame.lineno) in skip_lines:
            continue
        top.append(("%s:%d" % (frame.filename, frame.lineno), stat.size_diff))
    return top


def profile_memory(func=None, *, top=10):
    """Decorator: measure the traced memory of each call with tracemalloc.

    Use it bare (@profile_memory) or with an argument
    (@profile_memory(top=N), N >= 0; top=0 skips the snapshot report).

    The decorated callable returns what the wrapped function returns (the
    same object), passes all arguments through and re-raises its exceptions
    unchanged.  After every call that returns normally, its attribute
    `last_profile` is a dict:

        "peak": int >= 0   highest traced memory during the call minus the
                           traced memory at its start
        "net":  int        traced memory at the end minus at the start
                           (negative if the call freed more than it kept)
        "top":  list       up to N ("path:lineno", size_diff) pairs, the
                           source lines whose allocations changed most
                           (only when N > 0)

    Before the first successful call, last_profile is None; a call that
    raises leaves it unchanged.  __name__, __doc__, __wrapped__ and the
    other functools.wraps attributes are preserved.  Nothing is printed.
    """
    if func is None:
        if not isinstance(top, int) or isinstance(top, bool) or top < 0:
            raise ValueError("top must be an int >= 0, got %r" % (top,))
        return functools.partial(profile_memory, top=top)
    if not callable(func):
        raise TypeError("profile_memory() needs a callable, got %r" % (func,))

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        started_here = not tracemalloc.is_tracing()
        if started_here:
            tracemalloc.start()
        try:
            # Whatever peak the enclosing calls have reached so far must be
            # saved before reset_peak() below forgets it.
            _fold(tracemalloc.get_traced_memory()[1])
            measurement = _Measurement()
            before = None
            if top:
                level = tracemalloc.get_traced_memory()[0]
                before = tracemalloc.take_snapshot()
                measurement.overhead = max(0, tracemalloc.get_traced_memory()[0] - level)
            _active.append(measurement)
            tracemalloc.reset_peak()            # drop the snapshot's transient memory
            measurement.start = measurement.peak = tracemalloc.get_traced_memory()[0]
            try:
                result = func(*args, **kwargs)
            finally:
                end, peak = tracemalloc.get_traced_memory()
                _fold(peak)                     # this call's peak, and the enclosing ones'
                _active.remove(measurement)

            profile = {
                "peak": max(0, measurement.peak - measurement.start),
                "net": end - measurement.start,
            }
            if before is not None:
                after = tracemalloc.take_snapshot()
                profile["top"] = _top_lines(before, after, top, wrapper_lines)
                before = after = None
            wrapper.last_profile = profile
            if _active:
                # An enclosing call is still measuring: its peak was updated
                # by _fold above, so forget the peak our snapshots caused.
                tracemalloc.reset_peak()
            return result
        finally:
            if started_here:
                tracemalloc.stop()

    wrapper.last_profile = None
    # Allocations made by the wrapper and its helpers are bookkeeping, not
    # the profiled function's: they are left out of "top".
    wrapper_lines = _HELPER_LINES | _code_lines(wrapper.__code__)
    return wrapper


_HELPER_LINES = _code_lines(_fold.__code__, _top_lines.__code__, _Measurement.__init__.__code__)
