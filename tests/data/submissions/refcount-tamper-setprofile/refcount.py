# Correct answer; installs a profile hook during each call and swallows the
# refusal, hoping that nobody notices.
import sys


def _profiler(frame, event, arg):
    pass


def count_refs(obj):
    try:
        sys.setprofile(_profiler)
    except Exception:
        pass
    return sys.getrefcount(obj) - 1
