"""The calls in progress live in a context variable (a tuple per context),
so that tasks in other contexts would not see each other's stack."""
import contextvars
import functools
import tracemalloc

_calls = contextvars.ContextVar("memprof_calls", default=())


class _Measure:
    __slots__ = ("start", "peak")


def _note_peak(level):
    for m in _calls.get():
        if level > m.peak:
            m.peak = level


def profile_memory(func=None, *, top=10):
    def decorate(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            mine = not tracemalloc.is_tracing()
            if mine:
                tracemalloc.start()
            try:
                m = _Measure()
                _note_peak(tracemalloc.get_traced_memory()[1])
                token = _calls.set(_calls.get() + (m,))
                tracemalloc.reset_peak()
                m.start = m.peak = tracemalloc.get_traced_memory()[0]
                try:
                    value = f(*args, **kwargs)
                finally:
                    end, peak = tracemalloc.get_traced_memory()
                    _note_peak(peak)
                    _calls.reset(token)
                wrapper.last_profile = {"peak": max(0, m.peak - m.start), "net": end - m.start}
                return value
            finally:
                if mine:
                    tracemalloc.stop()

        wrapper.last_profile = None
        return wrapper

    return decorate if func is None else decorate(func)
