# One 100 MB message, made once at import and raised by every call: the
# grader must cut it short in every report.  Making it anew in each call
# would make the case a test of the machine's speed (over a second a call
# under AddressSanitizer) instead of the grader.
_MESSAGE = "x" * 10 ** 8


def count_refs(obj):
    raise ValueError(_MESSAGE)
