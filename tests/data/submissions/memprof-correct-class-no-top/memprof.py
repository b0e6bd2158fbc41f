"""A class-based decorator: the instance is the wrapper and holds
last_profile.  The optional "top" report is left out."""
import functools
import tracemalloc


class _Call:
    __slots__ = ("start", "peak")

    def __init__(self):
        self.start = self.peak = 0


class profile_memory:
    running = []        # _Call of every decorated call in progress

    def __new__(cls, func=None, *, top=10):
        if func is None:
            return functools.partial(cls, top=top)
        return super().__new__(cls)

    def __init__(self, func=None, *, top=10):
        functools.update_wrapper(self, func)
        self.func = func
        self.last_profile = None

    @classmethod
    def _raise_peaks(cls, level):
        for call in cls.running:
            call.peak = max(call.peak, level)

    def __call__(self, *args, **kwargs):
        owner = not tracemalloc.is_tracing()
        if owner:
            tracemalloc.start()
        try:
            call = _Call()
            self._raise_peaks(tracemalloc.get_traced_memory()[1])
            self.running.append(call)
            tracemalloc.reset_peak()
            call.start = call.peak = tracemalloc.get_traced_memory()[0]
            try:
                result = self.func(*args, **kwargs)
            finally:
                end, peak = tracemalloc.get_traced_memory()
                self._raise_peaks(peak)
                self.running.remove(call)
            self.last_profile = {"peak": max(0, call.peak - call.start), "net": end - call.start}
            return result
        finally:
            if owner:
                tracemalloc.stop()
