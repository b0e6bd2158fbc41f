"""An example submission for the deepsize exercise, with a classic mistake."""
import sys


def deep_sizeof(obj):
    # Mistake: no memory of what was already counted, so an object reachable
    # twice is counted twice (and a cycle would never end).
    total = sys.getsizeof(obj)
    if isinstance(obj, dict):
        for key, value in obj.items():
            total += deep_sizeof(key) + deep_sizeof(value)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for item in obj:
            total += deep_sizeof(item)
    if hasattr(obj, "__dict__") and not isinstance(obj, type):
        total += deep_sizeof(vars(obj))
    return total
