def count_refs(obj):
    # bytes(n) is calloc'd: the address space fills a megabyte at a time
    # without faulting every page in, so the limit is reached in a few
    # milliseconds rather than in the second a 256 MiB memset can take on a
    # loaded machine (the attack is on the memory limit, not the clock).
    hoard = []
    while True:
        hoard.append(bytes(1 << 20))
