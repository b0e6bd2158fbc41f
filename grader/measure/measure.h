/*
 * measure.h - what the measuring observers (alloc, leak, refcount balance)
 * share, inside the check child: a quiet interpreter for the measured
 * window, and leaving it as it was found.
 *
 * Several checks run in one check child, so a measuring observer must give
 * back the interpreter it got: gc enabled or not as before, tracemalloc
 * tracing or not as before (student code may start or stop it), the
 * allocator hook uninstalled.  measure_begin() notes that state and
 * quietens the interpreter; measure_end() restores it, on every path.
 */
#ifndef GRADE_MEASURE_H
#define GRADE_MEASURE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdbool.h>

struct measure_state {
	bool gc_enabled;   /* automatic collection was on */
	bool tracing;      /* tracemalloc was tracing */
};

/* Notes the state, collects garbage (what earlier checks left must not
 * count) and turns automatic collection off, so that a collection
 * triggered by an allocation count never lands inside a measured call. */
void measure_begin(struct measure_state *st);

/* Uninstalls the allocator hook if installed, turns automatic collection
 * back on if it was, starts or stops tracemalloc to match what
 * measure_begin() saw, and leaves no Python exception pending. */
void measure_end(const struct measure_state *st);

/* An object whose count is pinned (immortal objects, 3.12+: near 2^32):
 * its count never moves, so it says nothing about references kept. */
bool measure_immortal(PyObject *obj);

/* Reinstalls the allocator hook when student code removed it (see
 * allochook.h); returns whether it had been removed. */
bool measure_hook_removed(void);

#endif
