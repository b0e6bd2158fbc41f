def count_refs(obj):
    return float("nan")
