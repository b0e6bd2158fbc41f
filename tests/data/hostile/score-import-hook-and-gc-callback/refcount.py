import gc
import sys


class Finder:
    def find_spec(self, name, path=None, target=None):
        return None


sys.meta_path.insert(0, Finder())
gc.callbacks.append(lambda phase, info: None)


def count_refs(obj):
    return 0
