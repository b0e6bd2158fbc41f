"""Lesson 2 -- Reference counting: who holds a reference, and when it dies.

Read this file top to bottom, then run it:

    python3 internals_refcount.py

Every claim is checked on the running interpreter with check(), which prints
"[ok] ..." or raises AssertionError (and, unlike a bare assert, still runs
under `python -O`).  The lesson targets CPython 3.11, 3.12 and 3.13 and
branches on sys.version_info where they differ.

Every CPython object starts with a reference count (ob_refcnt).  Creating a
reference (binding a name, storing into a container, pushing onto the
interpreter's value stack) increments it; dropping one decrements it; when
it reaches zero the object is deallocated *immediately*.  That immediacy is
a CPython implementation detail -- PyPy, for instance, has no refcounts --
and so is everything in this lesson.

Topics:
  1. sys.getrefcount and its "+1" observer reference
  2. What a function call adds: the parameter binding
  3. Containers, names and del
  4. Weak references do not keep objects alive
  5. Interning: small ints and identifier-like strings
  6. Immortal objects (PEP 683, 3.12+)
"""

import sys
import weakref

PY = sys.version_info[:2]

# Absolute counts below are those of CPython 3.11-3.13.  (3.14 lets the
# interpreter *borrow* some references without counting them, so the numbers
# can be lower there; the relative claims -- "+1 for a list slot" -- still
# hold.)  KNOWN_COUNTS guards the absolute-number checks.
KNOWN_COUNTS = (3, 11) <= PY <= (3, 13)


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


class Thing:
    """A plain class whose instances can be weakly referenced."""


print("Python %s" % sys.version.split()[0])


# ==========================================================================
# 1. sys.getrefcount and the observer reference
# ==========================================================================
section("1. sys.getrefcount reports one more than you expect")

# sys.getrefcount(obj) returns obj's reference count -- but to call it you
# must pass obj as an argument, and that argument is itself a reference
# (the value pushed for the call).  So the result is always one higher than
# the count "at rest".  The docs say so: "The count returned is generally one
# higher than you might expect, because it includes the (temporary)
# reference as an argument to getrefcount()."


def demo_observer():
    x = Thing()                  # one reference: the local variable x
    n = sys.getrefcount(x)
    print("  x = Thing(); sys.getrefcount(x) ->", n)
    if KNOWN_COUNTS:
        check(n == 2, "a fresh object bound to one name reports 2: x itself + getrefcount's argument")
    print("  sys.getrefcount(Thing()) ->", sys.getrefcount(Thing()))
    if KNOWN_COUNTS:
        check(sys.getrefcount(Thing()) == 1,
              "a temporary that nothing else holds reports 1: only the argument")


demo_observer()


# ==========================================================================
# 2. What a function call adds
# ==========================================================================
section("2. A function call adds one reference: the parameter binding")

# When you pass x to a function, the callee's parameter is a new reference
# to the same object, alive for as long as the call runs.
#
# Since 3.11, a call between Python functions *moves* the argument from the
# caller's value stack into the callee's frame: the caller pushed one
# reference (LOAD_FAST x) and that very reference becomes the parameter.  So
# inside the callee the count is exactly "caller's references + 1".  (On
# 3.10 and earlier the caller's stack kept its own reference while the
# callee ran, and the same probe below reported one more.)


def probe(obj):
    """Return sys.getrefcount as seen from inside a function."""
    return sys.getrefcount(obj)


def demo_call():
    x = Thing()
    outside = sys.getrefcount(x)       # x + argument
    inside = probe(x)                  # x + parameter obj + argument
    print("  outside the call: %d, inside probe(x): %d" % (outside, inside))
    check(inside == outside + 1, "inside a call the count is one higher: the parameter binding")
    if KNOWN_COUNTS:
        check(inside == 3, "3 = the caller's name x + the parameter obj + getrefcount's argument")
        check(probe(Thing()) == 2,
              "probe(Thing()) reports 2: the parameter + the argument, nothing else")
    # So "the reference count while my function runs, minus only the
    # observer reference" is sys.getrefcount(obj) - 1 evaluated inside that
    # function -- the subject of exercise 2 (count_refs).


demo_call()


# ==========================================================================
# 3. Containers, names and del
# ==========================================================================
section("3. Every name and container slot is a reference")


def demo_containers():
    x = Thing()
    base = sys.getrefcount(x)
    y = x                                       # a second name
    check(sys.getrefcount(x) == base + 1, "binding a second name adds 1")
    box = [x, x, x]                             # three list slots
    check(sys.getrefcount(x) == base + 4, "a list holding x three times adds 3 more")
    table = {x: x}                              # a dict key and a dict value
    check(sys.getrefcount(x) == base + 6, "a dict holding x as key and value adds 2 more")
    del y, box, table
    check(sys.getrefcount(x) == base, "del-ing the name and the containers gives them all back")

    # When the count reaches zero, the object is freed at once -- no garbage
    # collector involved.  A weak reference lets us watch it happen.
    died = []
    probe_ref = weakref.ref(x, lambda ref: died.append(True))
    del x
    check(died == [True] and probe_ref() is None,
          "dropping the last reference deallocates immediately (the weakref callback ran)")


demo_containers()


# ==========================================================================
# 4. Weak references
# ==========================================================================
section("4. Weak references do not add strong references")

# A weakref.ref points at an object without owning it.  It does not touch
# ob_refcnt; the object keeps a list of its weak references instead, and
# clears them when it dies.


def demo_weakref():
    x = Thing()
    base = sys.getrefcount(x)
    r = weakref.ref(x)
    proxy = weakref.proxy(x)
    check(sys.getrefcount(x) == base, "creating a weakref and a proxy leaves the refcount unchanged")
    check(weakref.getweakrefcount(x) == 2, "the object knows it has 2 weak references")
    check(r() is x, "calling the weakref returns the object while it is alive")
    strong = r()                                # calling it makes a strong reference
    check(sys.getrefcount(x) == base + 1, "the result of r() is an ordinary strong reference")
    del strong, x
    check(r() is None, "once the last strong reference is gone, r() returns None")
    try:
        proxy.anything
    except ReferenceError:
        dead = True
    else:
        dead = False
    check(dead, "and using a dead proxy raises ReferenceError")
    check(weakref.getweakrefcount(Thing()) == 0, "a fresh object has no weak references")


demo_weakref()


# ==========================================================================
# 5. Interning
# ==========================================================================
section("5. Interning: why `is` sometimes works on equal values")

# CPython keeps a single shared object for some values, so two "different"
# computations can return the very same object:
#
# * Small ints: -5 .. 256 are preallocated; every int in that range is the
#   shared object.  Larger ints are created fresh.
# * Strings: the compiler interns string constants that look like
#   identifiers (letters, digits, underscores) -- names must be interned
#   anyway for fast attribute and global lookup.  Other constants are not
#   interned, although equal constants *within one code object* are merged.
#   Strings built at run time are never interned automatically, but
#   sys.intern(s) returns the canonical interned copy.
#
# None of this is a language guarantee: compare values with ==, and use
# `is` only for singletons such as None.


def compile_const(text):
    """Evaluate a string literal in its own, separate compilation."""
    return eval(compile(repr(text), "<const>", "eval"))


def demo_interning():
    check(int("256") is int("256"), "int('256') is int('256'): 256 is a cached small int")
    check(int("-5") is int("-5"), "-5 is the smallest cached int")
    check(int("257") is not int("257"), "int('257') is not int('257'): 257 is created fresh each time")
    check(int("-6") is not int("-6"), "-6 is not cached either")

    a = compile_const("hello_world")
    b = compile_const("hello_world")
    check(a is b, "identifier-like string constants from separate compilations are the same object")
    c = compile_const("hello world!")
    d = compile_const("hello world!")
    check(c == d and c is not d, "'hello world!' (space, '!') is not interned: equal but distinct")

    e = "hello world!"
    f = "hello world!"
    check(e is f, "...but equal constants inside one code object share one co_consts entry")

    built = "".join(["hello", "_", "world"])
    check(built == a and built is not a, "a string built at run time is a new object")
    check(sys.intern(built) is a, "sys.intern(built) returns the interned 'hello_world' object")


demo_interning()


# ==========================================================================
# 6. Immortal objects
# ==========================================================================
section("6. Immortal objects (PEP 683, 3.12+)")

# Objects such as None, True, False, small ints and many statically
# allocated strings are shared by every thread and every part of the
# program.  Updating their refcount on every use costs memory traffic and
# would be a data race without the GIL.  PEP 683 (3.12) made them
# *immortal*: their refcount is set to a huge value (2**32 - 1 on 64-bit
# 3.12/3.13) and Py_INCREF/Py_DECREF leave it alone, so sys.getrefcount
# returns that constant no matter how many references exist.
#
# On 3.11 None is an ordinary object with a (large, changing) refcount.


def demo_immortal():
    before = sys.getrefcount(None)
    many = [None] * 1000
    after = sys.getrefcount(None)
    print("  sys.getrefcount(None): before %d, with 1000 more references %d" % (before, after))
    if PY >= (3, 12):
        check(before == after, "3.12+: None is immortal, its refcount does not change")
        check(before >= 2 ** 30, "3.12+: the immortal refcount is a huge sentinel value")
        check(sys.getrefcount(True) == sys.getrefcount(False) == before,
              "3.12+: True and False carry the same immortal refcount")
        check(sys.getrefcount(7) == before, "3.12+: small ints are immortal too")
    else:
        check(after - before == 1000, "3.11: None's refcount grows by exactly 1000")
    del many

    # Interned strings: immortal on 3.12; 3.13 made strings interned at run
    # time mortal again (they can be freed when no longer used), while
    # strings interned by the interpreter itself stay immortal.
    runtime = sys.intern("".join(["never_seen_before_", str(id(demo_immortal))]))
    count = sys.getrefcount(runtime)
    print("  refcount of a string passed through sys.intern at run time:", count)
    if PY == (3, 12):
        check(count >= 2 ** 30, "3.12: interned strings are immortal")
    elif PY >= (3, 13):
        check(count < 1000, "3.13: a string interned at run time is mortal again")
    else:
        check(count < 1000, "3.11: interned strings are ordinary, mortal objects")

    # Ordinary objects are never immortal.
    x = Thing()
    check(sys.getrefcount(x) < 1000, "an ordinary object has an ordinary, small refcount")


demo_immortal()

print()
print("Lesson complete: every claim above held on Python %d.%d." % PY)
