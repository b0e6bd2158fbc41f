def profile_memory(func=None, *, top=10):
    import time
    time.sleep(3600)
    return func
