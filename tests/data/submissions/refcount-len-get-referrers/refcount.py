import gc


def count_refs(obj):
    # "Who refers to obj?" -- one referrer per reference, surely.
    return len(gc.get_referrers(obj))
