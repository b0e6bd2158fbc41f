def count_refs(obj):
    while True:
        pass
    return 1
