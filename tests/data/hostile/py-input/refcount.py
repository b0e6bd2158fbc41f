def count_refs(obj):
    return int(input())
