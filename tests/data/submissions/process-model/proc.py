# Not a student's answer: a probe of the process model (tests/data/rubrics/process.yaml).
import os
import time

print("hello from proc")

_calls = 0


def calls_so_far():
    """How many times this function ran in this process, this call included."""
    global _calls
    _calls += 1
    return _calls


def crash_unless_fresh():
    """Crashes in a process that has already served a check."""
    if _calls:
        os.abort()
    return "fresh"


def burn(seconds):
    """Uses about 'seconds' of CPU time."""
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass
    return "done"


def sleep_forever():
    while True:
        time.sleep(1)


def cpus():
    """How many CPUs this process may run on (the processes of a submission share one)."""
    return len(os.sched_getaffinity(0))
