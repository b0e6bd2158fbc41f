def count_refs(obj):
    return 2 ** 100000
