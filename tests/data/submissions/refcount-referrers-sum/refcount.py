import gc
import sys


def count_refs(obj):
    """Count the references held by containers, each occurrence once."""
    total = 0
    for holder in gc.get_referrers(obj):
        if holder is sys._getframe():
            continue
        if isinstance(holder, dict):
            total += sum(1 for v in holder.values() if v is obj)
        elif isinstance(holder, (list, tuple)):
            total += sum(1 for v in holder if v is obj)
        else:
            total += 1
    return total
