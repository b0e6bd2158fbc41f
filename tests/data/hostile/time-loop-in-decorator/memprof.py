def profile_memory(func=None, *, top=10):
    while True:
        pass
    return func
