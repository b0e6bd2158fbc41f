"""profile_memory: a tracemalloc profiling decorator."""

import functools
import tracemalloc

# [start, peak] of every decorated call in progress, outermost first.
_stack = []


def _fold(peak):
    for m in _stack:
        if peak > m[1]:
            m[1] = peak


def _top(before, after, n):
    flt = [tracemalloc.Filter(False, tracemalloc.__file__)]
    stats = after.filter_traces(flt).compare_to(before.filter_traces(flt), "lineno")
    out = []
    for st in stats:
        if st.size_diff == 0:
            continue
        fr = st.traceback[0]
        out.append((f"{fr.filename}:{fr.lineno}", st.size_diff))
        if len(out) == n:
            break
    return out


def profile_memory(func=None, *, top=10):
    """Measure each call's traced memory with tracemalloc."""
    if func is None:
        return lambda f: profile_memory(f, top=top)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        started = not tracemalloc.is_tracing()
        if started:
            tracemalloc.start()
        else:
            tracemalloc.clear_traces()
        try:
            _fold(tracemalloc.get_traced_memory()[1])
            before = tracemalloc.take_snapshot() if top else None
            tracemalloc.reset_peak()
            start = tracemalloc.get_traced_memory()[0]
            m = [start, start]
            _stack.append(m)
            try:
                result = func(*args, **kwargs)
            finally:
                end, peak = tracemalloc.get_traced_memory()
                _fold(peak)
                _stack.pop()
            profile = {"peak": m[1] - start, "net": end - start}
            if before is not None:
                profile["top"] = _top(before, tracemalloc.take_snapshot(), top)
            wrapper.last_profile = profile
            if _stack:
                tracemalloc.reset_peak()
            return result
        finally:
            if started:
                tracemalloc.stop()

    wrapper.last_profile = None
    return wrapper
