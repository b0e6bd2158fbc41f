"""Lesson 4 -- Memory: how big is an object, and where did the bytes go?

Read this file top to bottom, then run it:

    python3 internals_memory.py

Every claim is checked on the running interpreter with check(), which prints
"[ok] ..." or raises AssertionError (and still runs under `python -O`).  The
lesson targets CPython 3.11, 3.12 and 3.13.  The byte counts printed are
those of a 64-bit build; the checks compare sizes with each other rather
than with fixed numbers.

Topics:
  1. sys.getsizeof is shallow
  2. A deep size: following references with a visited set
  3. __slots__: what it saves per instance
  4. tracemalloc: snapshots, comparisons, current and peak memory
"""

import sys
import tracemalloc

PY = sys.version_info[:2]


def check(condition, claim):
    """Print the claim if it holds on this interpreter, raise if it does not."""
    if not condition:
        raise AssertionError("claim is false on Python %d.%d: %s" % (PY + (claim,)))
    print("  [ok] " + claim)


def section(title):
    print()
    print("=" * 72)
    print(title)
    print("=" * 72)


print("Python %s" % sys.version.split()[0])


# ==========================================================================
# 1. sys.getsizeof is shallow
# ==========================================================================
section("1. sys.getsizeof is shallow")

# sys.getsizeof(obj) asks the object's type for its own size (obj.__sizeof__())
# and adds the hidden header that precedes every object of a gc-managed
# (container) type: the collector's links, and on 3.11+ also the slots for
# an instance's __dict__ and weakref pointers.  "Its own size" means the
# memory the object itself owns:
# for a list, the object header plus the array of *pointers* to its items --
# not the items.  A list of a hundred 1000-character strings is under a
# kilobyte by getsizeof, because the strings are separate objects.

words = ["%04d" % i + "x" * 996 for i in range(100)]     # 100 distinct 1000-char strings
shallow = sys.getsizeof(words)
items = sum(sys.getsizeof(w) for w in words)
print("  getsizeof(list of 100 x 1000-char str) = %d bytes" % shallow)
print("  sum of getsizeof of the 100 strings      = %d bytes" % items)
check(shallow < 2000 and items > 100 * 1000,
      "getsizeof(list) counts the pointer array only; the strings themselves are 100 KB")

words[0] = "y" * 1000000
check(sys.getsizeof(words) == shallow,
      "making one element a megabyte larger does not change getsizeof(list)")

table = {i: "v" * 10000 for i in range(10)}
check(sys.getsizeof(table) < 10000,
      "same for dicts: getsizeof(dict) excludes its keys and values")

lst = []
check(sys.getsizeof(lst) > lst.__sizeof__() and sys.getsizeof(12345) == (12345).__sizeof__(),
      "getsizeof adds the gc header for container types (list) but not for ints")
print("  getsizeof([]) = %d, [].__sizeof__() = %d: the difference is the gc header"
      % (sys.getsizeof(lst), lst.__sizeof__()))


# ==========================================================================
# 2. A deep size
# ==========================================================================
section("2. A deep size: follow references, count each object once")

# To measure a structure we must follow references ourselves.  Two traps:
#   * shared references -- the same object reachable twice must be counted
#     once, so we remember the ids we have seen;
#   * cycles -- without that visited set, a list containing itself would be
#     followed forever.
# We use an explicit stack instead of recursion, so deeply nested data
# cannot hit the recursion limit.  This version follows only the built-in
# containers; exercise 4 (deepsize) extends it to instances' __dict__ and
# __slots__.


def deep_size(root):
    seen = set()
    total = 0
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))           # safe: every obj stays alive, it is reachable from root
        total += sys.getsizeof(obj)
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
    return total


def naive_size(obj):
    """Wrong on purpose: no visited set, so shared objects count repeatedly."""
    total = sys.getsizeof(obj)
    if isinstance(obj, (list, tuple)):
        total += sum(naive_size(item) for item in obj)
    return total


big = "z" * 100000
shared = [big, big, big]
print("  shared = [big, big, big] with big a 100 KB string")
print("  getsizeof: %d, naive deep size: %d, deep_size: %d"
      % (sys.getsizeof(shared), naive_size(shared), deep_size(shared)))
check(deep_size(shared) == sys.getsizeof(shared) + sys.getsizeof(big),
      "deep_size counts the shared string once")
check(naive_size(shared) == sys.getsizeof(shared) + 3 * sys.getsizeof(big),
      "a naive recursion counts it three times")

loop = [1, 2]
loop.append(loop)
check(deep_size(loop) == sys.getsizeof(loop) + sys.getsizeof(1) + sys.getsizeof(2),
      "a list containing itself is counted once and the walk terminates")

nested = {"name": "x" * 1000, "tags": ("a", "b"), "rows": [[i] for i in range(10)]}
print("  nested dict: getsizeof %d, deep_size %d" % (sys.getsizeof(nested), deep_size(nested)))
check(deep_size(nested) > sys.getsizeof(nested) + 1000, "the deep size of nested data is far larger")


# ==========================================================================
# 3. __slots__
# ==========================================================================
section("3. __slots__: what it saves per instance")

# An ordinary instance keeps its attributes in a per-instance dict
# (instance.__dict__).  Declaring __slots__ replaces the dict with fixed
# slots inside the object: no dict, no per-instance key table, and no way
# to add other attributes.
#
# 3.11+ narrowed the gap: an ordinary instance stores its attribute
# *values* inline and only creates a real dict object when something asks
# for __dict__ (vars(obj), obj.__dict__, some pickling paths).  So we
# measure both ways: getsizeof of the instance plus its (now materialized)
# __dict__, and the real allocation cost per instance with tracemalloc.


class PointDict:
    def __init__(self, x, y, z):
        self.x = x
        self.y = y
        self.z = z


class PointSlots:
    __slots__ = ("x", "y", "z")

    def __init__(self, x, y, z):
        self.x = x
        self.y = y
        self.z = z


p = PointDict(1, 2, 3)
s = PointSlots(1, 2, 3)
plain_total = sys.getsizeof(p) + sys.getsizeof(p.__dict__)
print("  PointDict:  getsizeof(obj) %d + getsizeof(obj.__dict__) %d = %d bytes"
      % (sys.getsizeof(p), sys.getsizeof(p.__dict__), plain_total))
print("  PointSlots: getsizeof(obj) %d bytes, no __dict__" % sys.getsizeof(s))
check(sys.getsizeof(s) < plain_total,
      "a slotted instance is smaller than an ordinary instance plus its __dict__")
check(not hasattr(s, "__dict__"), "a slotted instance has no __dict__")
try:
    s.w = 4
except AttributeError:
    refused = True
else:
    refused = False
check(refused, "and cannot grow new attributes: s.w = 4 raises AttributeError")

# Now the real cost, measured by tracemalloc (section 4 explains the API):
# the memory traced while creating N instances, divided by N (this includes
# the 8-byte list slot that holds each instance; the attribute values are
# the shared small int 0, which costs nothing).
N = 10000
started_here = not tracemalloc.is_tracing()
if started_here:
    tracemalloc.start()
try:
    before = tracemalloc.get_traced_memory()[0]
    plain = [PointDict(0, 0, 0) for _ in range(N)]
    after_plain = tracemalloc.get_traced_memory()[0]
    slotted = [PointSlots(0, 0, 0) for _ in range(N)]
    after_slotted = tracemalloc.get_traced_memory()[0]
    for obj in plain:
        obj.__dict__                 # ask for the dicts: they get created now
    after_dicts = tracemalloc.get_traced_memory()[0]
finally:
    if started_here:
        tracemalloc.stop()
per_plain = (after_plain - before) / N
per_slotted = (after_slotted - after_plain) / N
per_dict = (after_dicts - after_slotted) / N
print("  traced bytes per instance: PointDict %.0f, PointSlots %.0f, "
      "+%.0f for each materialized __dict__" % (per_plain, per_slotted, per_dict))
check(per_slotted < per_plain, "measured with tracemalloc, slotted instances cost less memory")
check(per_dict > 0, "asking for __dict__ allocates a real dict per instance (3.11+ creates it lazily)")
# Note the two views disagree about the dict: getsizeof(p.__dict__) said
# ~290 bytes, but materializing a dict costs ~64.  On 3.11+ the dict created
# for an instance *reuses* the attribute-values array the instance already
# had (and a key table shared by all instances of the class); getsizeof of
# the dict reports those arrays as if the dict owned them.  getsizeof
# answers "how big is this object's structure", tracemalloc "how much memory
# did this code allocate" -- pick the question you mean.
del plain, slotted


# ==========================================================================
# 4. tracemalloc
# ==========================================================================
section("4. tracemalloc: where was memory allocated?")

# tracemalloc hooks CPython's memory allocators.  Once started it records,
# for every live memory block, its size and the traceback (file, line) of
# the Python code that allocated it.
#
#   tracemalloc.start(nframe=1)     begin tracing (nframe frames per block)
#   tracemalloc.take_snapshot()     copy of all live traces right now
#   snap2.compare_to(snap1, "lineno")  StatisticDiff per source line, largest
#                                   change first (size_diff, count_diff...)
#   snapshot.filter_traces(filters) drop traces, e.g. tracemalloc's own
#   tracemalloc.get_traced_memory() (current, peak) bytes since start
#   tracemalloc.reset_peak()        set peak = current (3.9+)
#   tracemalloc.stop()              stop and forget all traces
#
# Taking a snapshot allocates memory itself (inside tracemalloc.py), so we
# filter those frames out, together with the import machinery.

OWN_FRAMES = (
    tracemalloc.Filter(False, tracemalloc.__file__),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap_external>"),
    tracemalloc.Filter(False, "<unknown>"),
)


def build_table():
    # about 1 MB in 1000 separate 1000-byte blocks, all from the next line
    return [bytes(1000) + str(i).encode() for i in range(1000)]


def churn():
    # allocate 2 MB and free it before returning
    block = bytearray(2 * 1000 * 1000)
    return len(block)


def lines_of(func):
    """(filename, first line, last line) of a function's source lines."""
    code = func.__code__
    lines = [line for _, _, line in code.co_lines() if line is not None]
    return code.co_filename, min(lines), max(lines)


started_here = not tracemalloc.is_tracing()
if started_here:
    tracemalloc.start()
try:
    check(tracemalloc.is_tracing(), "tracemalloc.is_tracing() is True after start()")

    first = tracemalloc.take_snapshot()
    table = build_table()
    second = tracemalloc.take_snapshot()
    stats = second.filter_traces(OWN_FRAMES).compare_to(first.filter_traces(OWN_FRAMES), "lineno")
    print("  top 3 differences between the snapshots, by source line:")
    for stat in [s for s in stats if s.size_diff][:3]:
        print("    %s" % stat)
    top = stats[0]
    frame = top.traceback[0]
    filename, first_line, last_line = lines_of(build_table)
    check(frame.filename == filename and first_line <= frame.lineno <= last_line,
          "the largest difference points into build_table()")
    check(top.size_diff >= 1000 * 1000 and top.count_diff >= 1000,
          "it grew by at least 1 MB in at least 1000 blocks")
    check(not any(s.traceback[0].filename == tracemalloc.__file__ for s in stats),
          "the filter removed tracemalloc's own allocations from the comparison")
    del first, second, stats

    # Current and peak.  The peak remembers the high-water mark, even for
    # memory that has already been freed again.
    tracemalloc.reset_peak()
    start, _ = tracemalloc.get_traced_memory()
    churn()
    current, peak = tracemalloc.get_traced_memory()
    print("  churn(): start %d, current %d, peak %d bytes" % (start, current, peak))
    check(peak - start >= 2 * 1000 * 1000, "the peak saw the 2 MB churn() allocated")
    check(current - start < 100 * 1000, "the current size is back near the start: it was freed")

    tracemalloc.reset_peak()
    _, new_peak = tracemalloc.get_traced_memory()
    check(new_peak < peak - 1000 * 1000,
          "reset_peak() (3.9+) drops the peak to the current size, to measure a new phase")
    del table
finally:
    if started_here:
        tracemalloc.stop()

if started_here:
    check(not tracemalloc.is_tracing() and tracemalloc.get_traced_memory() == (0, 0),
          "after stop(), nothing is traced and get_traced_memory() is (0, 0)")
else:
    print("  (tracemalloc was already tracing before this lesson: left running)")

print()
print("Lesson complete: every claim above held on Python %d.%d." % PY)
