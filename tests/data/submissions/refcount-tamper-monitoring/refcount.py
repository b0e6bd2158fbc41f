# Correct answer; on CPython 3.12+ registers a sys.monitoring (PEP 669)
# callback at import, settrace's successor, and swallows the refusal.  On
# 3.11 there is no sys.monitoring and this is an honest submission.
import sys

_monitoring = getattr(sys, "monitoring", None)
if _monitoring is not None:
    try:
        _monitoring.use_tool_id(3, "student")
        _monitoring.register_callback(3, _monitoring.events.PY_START, lambda code, offset: None)
        _monitoring.set_events(3, _monitoring.events.PY_START)
    except Exception:
        pass


def count_refs(obj):
    return sys.getrefcount(obj) - 1
