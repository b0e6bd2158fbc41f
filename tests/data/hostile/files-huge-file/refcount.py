import sys

with open("big.bin", "wb") as f:
    while True:
        f.write(b"x" * (1 << 20))


def count_refs(obj):
    return sys.getrefcount(obj) - 1
