import sys


def count_refs(obj):
    x = []
    for _ in range(10 ** 6):
        x = [x]
    return x
