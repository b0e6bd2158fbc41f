def count_refs(obj):
    hoard = []
    while True:
        hoard.append(bytearray(1 << 20))
