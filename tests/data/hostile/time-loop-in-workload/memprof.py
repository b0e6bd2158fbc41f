import functools

def profile_memory(func=None, *, top=10):
    if func is None:
        return functools.partial(profile_memory, top=top)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        while True:
            try:
                func(*args, **kwargs)
            except Exception:
                pass
    wrapper.last_profile = None
    return wrapper
