"""Lesson 3 -- The cyclic garbage collector.

Read this file top to bottom, then run it:

    python3 internals_gc.py

Every claim is checked on the running interpreter with check(), which prints
"[ok] ..." or raises AssertionError (and still runs under `python -O`).  The
lesson targets CPython 3.11, 3.12 and 3.13.

Reference counting (lesson 2) frees an object the moment its count drops to
zero.  It cannot free a *cycle*: objects that refer to each other keep each
other's counts above zero even when nothing else can reach them.  The gc
module is CPython's second line of defence: a generational collector that
periodically looks for groups of container objects reachable only from
each other, and frees them.

This lesson changes global gc settings (enabled flag, thresholds, debug
flags, callbacks) while it runs, and restores every one of them at the end,
even if a check fails.

Topics:
  1. Cycles: what reference counting cannot free
  2. Which objects the collector tracks
  3. Generations: get_count, get_threshold, get_stats
  4. gc.collect() and its return value
  5. gc.callbacks: watching collections happen
  6. gc.disable / gc.enable
  7. __del__ in cycles: the truth since PEP 442 (Python 3.4)
  8. When gc.garbage still fills: DEBUG_SAVEALL and legacy tp_del finalizers
"""

import gc
import sys
import weakref

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


class Node:
    """A plain object that can point at another one (and be weakly referenced)."""

    def __init__(self, name):
        self.name = name
        self.other = None


def make_cycle(name="pair"):
    """Build a <-> b, return a weak reference to a; nothing else keeps them."""
    a = Node(name + ".a")
    b = Node(name + ".b")
    a.other = b
    b.other = a
    return weakref.ref(a)


class Recorder:
    """A gc callback that records (phase, info) for every collection."""

    def __init__(self):
        self.events = []

    def __call__(self, phase, info):
        self.events.append((phase, dict(info)))

    def stops(self):
        return [info for phase, info in self.events if phase == "stop"]


# ==========================================================================
# The lesson body.  Everything runs inside lesson(), called from a
# try/finally at the bottom that restores the gc state.
# ==========================================================================

def lesson():
    print("Python %s" % sys.version.split()[0])

    # ----------------------------------------------------------------------
    section("1. Cycles: what reference counting cannot free")
    # ----------------------------------------------------------------------
    # With the collector switched off, a cycle outlives its last outside
    # reference: each object still holds a reference to the other.
    gc.disable()
    alive = make_cycle("demo")
    check(alive() is not None,
          "with gc disabled, an unreachable cycle stays in memory (refcounts never reach 0)")
    check(sys.getrefcount(alive()) - 1 >= 1,
          "the cycle's members still have a refcount of at least 1: each other's reference")
    gc.collect()                      # an explicit collect works even while disabled
    check(alive() is None, "gc.collect() finds the cycle and frees it (even while gc is disabled)")
    gc.enable()

    # ----------------------------------------------------------------------
    section("2. Which objects the collector tracks")
    # ----------------------------------------------------------------------
    # Only *containers* can take part in a cycle, so only they are tracked
    # (linked into a generation list).  Atomic objects such as ints and str
    # never are.  As an optimisation, dicts holding only atomic values, and
    # tuples of atomic values, are untracked too (a dict becomes tracked as
    # soon as it holds a container).
    check(not gc.is_tracked(42) and not gc.is_tracked("text"),
          "ints and strings are never tracked: they cannot refer to anything")
    check(gc.is_tracked([]) and gc.is_tracked(Node("n")),
          "lists and instances of Python classes are tracked")
    check(not gc.is_tracked({"a": 1}) and gc.is_tracked({"a": []}),
          "a dict of atomic values is untracked until it holds a container")

    # ----------------------------------------------------------------------
    section("3. Generations")
    # ----------------------------------------------------------------------
    # Most objects die young, so the collector splits tracked objects into
    # three generations and looks at the young ones most often:
    #
    #   * generation 0 is collected when (allocations - deallocations of
    #     tracked objects) since the last collection exceeds threshold0
    #     (700 on 3.11/3.12; 3.13 raised the default to 2000);
    #   * survivors move to generation 1, collected after threshold1
    #     generation-0 collections; then generation 2 after threshold2
    #     generation-1 collections (and, for the oldest generation, only when
    #     it has grown by more than 25% since the last full collection, so
    #     big programs do not spend all their time in full collections).
    #
    # gc.get_count() is the current counters, gc.get_threshold() the
    # thresholds, gc.get_stats() per-generation totals since start-up.
    print("  gc.get_count()     ->", gc.get_count())
    print("  gc.get_threshold() ->", gc.get_threshold())
    for generation, stats in enumerate(gc.get_stats()):
        print("  gc.get_stats()[%d] -> %s" % (generation, stats))

    check(len(gc.get_count()) == 3 and len(gc.get_threshold()) == 3,
          "three generations: get_count() and get_threshold() are 3-tuples")
    stats = gc.get_stats()
    check(len(stats) == 3
          and all(set(s) >= {"collections", "collected", "uncollectable"} for s in stats),
          "get_stats() gives one dict per generation with collections/collected/uncollectable")

    gc.disable()                      # keep automatic collections out of the measurement
    gc.collect()
    count_before = gc.get_count()[0]
    keep = [[] for _ in range(200)]   # 200 new tracked lists (+ the outer list)
    count_after = gc.get_count()[0]
    print("  generation-0 count before/after allocating 200 lists: %d -> %d"
          % (count_before, count_after))
    check(count_after - count_before >= 200,
          "allocating tracked containers increases the generation-0 counter")
    full_before = gc.get_stats()[2]["collections"]
    gc.collect()
    check(gc.get_stats()[2]["collections"] == full_before + 1,
          "gc.collect() with no argument is a full collection: generation 2's counter goes up by 1")
    check(gc.get_count()[0] < 100, "and a collection resets the generation-0 counter")
    del keep
    gc.enable()

    # ----------------------------------------------------------------------
    section("4. gc.collect() and its return value")
    # ----------------------------------------------------------------------
    # gc.collect(generation=2) returns the number of *unreachable objects it
    # found*: those it freed plus those it could not free ("uncollectable",
    # section 8).  Here that is 20 nodes in 10 two-node cycles.  (It counts
    # objects, not cycles, and it includes any other garbage that happened
    # to be pending, hence >= rather than ==.)
    gc.collect()                      # start from a clean slate
    recorder = Recorder()
    gc.callbacks.append(recorder)
    try:
        gc.disable()
        refs = [make_cycle("c%d" % i) for i in range(10)]
        found = gc.collect()
        gc.enable()
    finally:
        gc.callbacks.remove(recorder)
    last = recorder.stops()[-1]
    print("  gc.collect() returned %d; the 'stop' callback reported %s" % (found, last))
    check(all(r() is None for r in refs), "all 10 cycles were freed")
    check(found >= 20, "gc.collect() returned at least 20: it counts unreachable objects")
    check(found == last["collected"] + last["uncollectable"],
          "the return value is exactly collected + uncollectable, as the callback reports")

    # ----------------------------------------------------------------------
    section("5. gc.callbacks: watching collections")
    # ----------------------------------------------------------------------
    # Every callable in the list gc.callbacks is called twice per
    # collection: callback("start", info) before and callback("stop", info)
    # after.  info is a dict with "generation" (which generation is being
    # collected), "collected" and "uncollectable" (0 at "start").  Use them
    # for monitoring; do not allocate heavily or raise inside them.
    recorder = Recorder()
    gc.callbacks.append(recorder)
    try:
        gc.collect(0)                 # a young-generation collection
        gc.collect()                  # a full collection
    finally:
        gc.callbacks.remove(recorder)
    for phase, info in recorder.events:
        print("  %-5s %s" % (phase, info))
    phases = [phase for phase, _ in recorder.events]
    check(phases == ["start", "stop", "start", "stop"],
          "each collection calls the callback with 'start' then 'stop'")
    check([info["generation"] for _, info in recorder.events] == [0, 0, 2, 2],
          "info['generation'] says which generation was collected")
    check(all(set(info) >= {"generation", "collected", "uncollectable"}
              for _, info in recorder.events),
          "info has the keys generation, collected, uncollectable")
    check(recorder.events[0][1]["collected"] == 0,
          "at 'start' nothing has been collected yet")

    # ----------------------------------------------------------------------
    section("6. gc.disable / gc.enable")
    # ----------------------------------------------------------------------
    # gc.disable() stops *automatic* collections only.  Reference counting
    # keeps working (most objects are freed as usual) and gc.collect() still
    # works on demand.  Programs sometimes disable gc around an allocation-
    # heavy phase that creates no cycles, or run gc.collect() at moments of
    # their choosing instead.  We use a small threshold to make automatic
    # collections frequent, and restore the real thresholds afterwards.
    gc.set_threshold(100, 10, 10)
    recorder = Recorder()
    gc.callbacks.append(recorder)
    try:
        gc.disable()
        check(not gc.isenabled(), "gc.isenabled() is False after gc.disable()")
        junk = []
        for _ in range(2000):
            junk.append([])           # 2000 tracked containers, 20x the threshold
        automatic_while_disabled = len(recorder.events)
        gc.enable()
        check(gc.isenabled(), "gc.isenabled() is True after gc.enable()")
        for _ in range(2000):
            junk.append([])
        automatic_while_enabled = len(recorder.stops())
    finally:
        gc.callbacks.remove(recorder)
    del junk
    print("  automatic collections: %d while disabled, %d after enable"
          % (automatic_while_disabled, automatic_while_enabled))
    check(automatic_while_disabled == 0, "while disabled, no automatic collection ran")
    check(automatic_while_enabled >= 1,
          "once enabled, crossing the threshold triggers collections automatically")

    # ----------------------------------------------------------------------
    section("7. __del__ in cycles: collected since Python 3.4 (PEP 442)")
    # ----------------------------------------------------------------------
    # Before Python 3.4, a cycle containing an object with __del__ was
    # uncollectable: the collector could not know in which order to run the
    # finalizers, so it gave up and parked the whole cycle in gc.garbage.
    # Many tutorials (and older course notes) still say "__del__ in a cycle
    # leaks into gc.garbage".
    #
    # PEP 442 ("Safe object finalization", Python 3.4) changed that: the
    # collector first calls the finalizers (tp_finalize, which is __del__ for
    # Python classes) of all unreachable objects, each exactly once; then it
    # checks that the finalizers did not resurrect anything; then it frees
    # the cycle normally.  gc.garbage stays empty.
    finalized = []

    class WithDel:
        def __init__(self, name):
            self.name = name
            self.partner = None

        def __del__(self):
            finalized.append(self.name)

    garbage_before = len(gc.garbage)
    a, b = WithDel("a"), WithDel("b")
    a.partner, b.partner = b, a
    wa = weakref.ref(a)
    del a, b
    found = gc.collect()
    print("  gc.collect() -> %d, finalizers run: %s, gc.garbage: %s"
          % (found, sorted(finalized), gc.garbage[garbage_before:]))
    check(sorted(finalized) == ["a", "b"], "both __del__ methods ran")
    check(wa() is None, "the cycle was freed")
    check(len(gc.garbage) == garbage_before, "nothing was added to gc.garbage")

    # Resurrection: a finalizer may store self somewhere reachable.  The
    # collector notices and leaves the objects alone -- and, per PEP 442,
    # will never call that __del__ again, even when the object dies later.
    saved = []
    calls = []

    class Phoenix:
        def __init__(self):
            self.me = self            # a one-object cycle

        def __del__(self):
            calls.append(1)
            saved.append(self)        # resurrect

    Phoenix()
    gc.collect()
    check(len(saved) == 1 and calls == [1], "a finalizer that resurrects its object keeps it alive")
    survivor = weakref.ref(saved[0])
    saved[0].me = None                # break the cycle...
    saved.clear()                     # ...and drop the last reference
    check(survivor() is None and calls == [1],
          "when it finally dies, __del__ is not called a second time (finalizers run once)")

    # ----------------------------------------------------------------------
    section("8. When gc.garbage still fills")
    # ----------------------------------------------------------------------
    # (a) gc.set_debug(gc.DEBUG_SAVEALL): a debugging aid.  Every unreachable
    #     object the collector finds is appended to gc.garbage instead of
    #     being freed, so you can inspect what your program leaks into
    #     cycles.  You must clean up yourself (and turn the flag off).
    saved_debug = gc.get_debug()
    garbage_before = len(gc.garbage)
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        loop = ["I am a self-referencing list"]
        loop.append(loop)
        marker = id(loop)
        del loop
        found = gc.collect()
        kept = gc.garbage[garbage_before:]
        check(found >= 1 and any(id(o) == marker for o in kept),
              "with DEBUG_SAVEALL the unreachable list is saved in gc.garbage, not freed")
    finally:
        gc.set_debug(saved_debug)
        for obj in gc.garbage[garbage_before:]:
            if isinstance(obj, list):
                obj.clear()           # break the cycle before dropping it
        del gc.garbage[garbage_before:]
        kept = None
    check(len(gc.garbage) == garbage_before, "(cleaned up: debug flags restored, gc.garbage emptied)")

    # (b) Legacy finalizers.  PEP 442 added the tp_finalize slot; the old C
    #     slot tp_del ("legacy finalizer") still exists for C extension types
    #     written before 3.4.  No Python class gets a tp_del, but an object of
    #     such a C type is treated the old way: if it is part of an
    #     unreachable cycle, the collector will not guess an order, moves it
    #     (and everything reachable from it) to gc.garbage, and counts it as
    #     "uncollectable" in gc.collect() and in the callback info.  The fix
    #     is the same as before 3.4: break the cycle by hand, or port the
    #     type to tp_finalize.
    #
    #     CPython's test helper module _testcapi can give a class a tp_del
    #     (with_tp_del).  It is not always installed, so the demonstration
    #     is skipped when it is missing.
    try:
        import _testcapi
        with_tp_del = _testcapi.with_tp_del
    except (ImportError, AttributeError):
        with_tp_del = None
    if with_tp_del is None:
        print("  (_testcapi.with_tp_del is not available here: legacy finalizer demo skipped)")
        return

    class Legacy:
        def __init__(self, partner=None):
            self.partner = partner if partner is not None else Legacy(self)

        def __tp_del__(self):         # becomes the C-level tp_del slot
            pass

    Legacy = with_tp_del(Legacy)
    garbage_before = len(gc.garbage)
    recorder = Recorder()
    gc.callbacks.append(recorder)
    try:
        Legacy()                      # two objects in a cycle, immediately unreachable
        found = gc.collect()
    finally:
        gc.callbacks.remove(recorder)
    stranded = gc.garbage[garbage_before:]
    info = recorder.stops()[-1]
    print("  gc.collect() -> %d, stop info %s, new in gc.garbage: %s"
          % (found, info, [type(o).__name__ for o in stranded]))
    try:
        check(sum(isinstance(o, Legacy) for o in stranded) == 2,
              "a cycle of objects with a legacy tp_del finalizer lands in gc.garbage")
        check(info["uncollectable"] >= 2,
              "the collector reports them as uncollectable")
        check(found == info["collected"] + info["uncollectable"],
              "and gc.collect() still returns collected + uncollectable")
    finally:
        for obj in stranded:          # break the cycle by hand, then release
            if isinstance(obj, Legacy):
                obj.partner = None
        del gc.garbage[garbage_before:]
        stranded = None
    check(len(gc.garbage) == garbage_before, "(cleaned up: cycle broken by hand, gc.garbage emptied)")


# ==========================================================================
# Run the lesson, restoring all the gc state it touches.
# ==========================================================================

_saved_enabled = gc.isenabled()
_saved_threshold = gc.get_threshold()
_saved_debug = gc.get_debug()
_saved_callbacks = list(gc.callbacks)
try:
    lesson()
finally:
    gc.set_threshold(*_saved_threshold)
    gc.set_debug(_saved_debug)
    gc.callbacks[:] = _saved_callbacks
    if _saved_enabled:
        gc.enable()
    else:
        gc.disable()

check(gc.isenabled() == _saved_enabled and gc.get_threshold() == _saved_threshold
      and gc.get_debug() == _saved_debug and gc.callbacks == _saved_callbacks,
      "gc state restored: enabled flag, thresholds, debug flags and callbacks as before")
print()
print("Lesson complete: every claim above held on Python %d.%d." % PY)
