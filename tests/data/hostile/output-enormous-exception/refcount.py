def count_refs(obj):
    raise ValueError("x" * 10 ** 8)
