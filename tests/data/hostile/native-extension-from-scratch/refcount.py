import importlib.machinery
import shutil
import sys

src = next(m.__file__ for m in list(sys.modules.values())
           if getattr(m, "__file__", None) and m.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)))
shutil.copyfile(src, "evilext" + importlib.machinery.EXTENSION_SUFFIXES[0])
import evilext  # noqa: E402


def count_refs(obj):
    return sys.getrefcount(obj) - 1
