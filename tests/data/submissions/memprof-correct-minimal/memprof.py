"""A small profiler: a stack of the calls in progress, folded before each
reset_peak(); no optional "top" report."""
import functools
import tracemalloc

_in_progress = []   # [start, peak] of each decorated call running, outermost first


def _fold(level):
    for call in _in_progress:
        if level > call[1]:
            call[1] = level


def profile_memory(func=None, *, top=10):
    if func is None:
        return lambda f: profile_memory(f, top=top)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        started = not tracemalloc.is_tracing()
        if started:
            tracemalloc.start()
        try:
            call = [0, 0]
            _fold(tracemalloc.get_traced_memory()[1])
            _in_progress.append(call)
            tracemalloc.reset_peak()
            call[0] = call[1] = tracemalloc.get_traced_memory()[0]
            try:
                result = func(*args, **kwargs)
            finally:
                end, peak = tracemalloc.get_traced_memory()
                _fold(peak)
                _in_progress.remove(call)
            wrapper.last_profile = {"peak": max(0, call[1] - call[0]), "net": end - call[0]}
            return result
        finally:
            if started:
                tracemalloc.stop()

    wrapper.last_profile = None
    return wrapper
