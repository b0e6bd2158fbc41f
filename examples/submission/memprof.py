"""An example submission for the memprof exercise, with a classic mistake."""
import functools
import tracemalloc


def profile_memory(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        tracemalloc.start()
        tracemalloc.reset_peak()
        start, _ = tracemalloc.get_traced_memory()
        try:
            result = func(*args, **kwargs)
            end, peak = tracemalloc.get_traced_memory()
            wrapper.last_profile = {"peak": peak - start, "net": end - start}
            return result
        finally:
            # Mistake: stops tracing even when the caller was already tracing,
            # which also throws away the caller's traces.
            tracemalloc.stop()

    wrapper.last_profile = None
    return wrapper
