import json
import sys

sys.setrecursionlimit(10 ** 8)


def count_refs(obj):
    x = []
    for _ in range(200000):
        x = [x]
    return len(json.dumps(x))
