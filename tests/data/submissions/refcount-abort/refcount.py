import os
import sys

def count_refs(obj):
    os.abort()
