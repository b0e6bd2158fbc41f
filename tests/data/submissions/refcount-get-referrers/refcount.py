import gc as collector


def count_refs(obj):
    """Count who refers to obj (plus the parameter binding)."""
    return len(collector.get_referrers(obj)) + 1
