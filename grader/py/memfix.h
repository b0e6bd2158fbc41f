/*
 * memfix.h - grader-side fixtures for the memory kinds (memprof, alloc,
 * leak), made in the zygote before any student code exists.
 *
 * Workloads: Python functions with known memory behaviour, compiled as
 * "grade_workloads.py" into a dict of their own (never in sys.modules),
 * whose builtins are a copy taken at start-up, so student code that
 * patches builtins cannot change what they do.
 *
 * tracemalloc's C functions (_tracemalloc.is_tracing, start, stop,
 * get_traced_memory, reset_peak, _get_object_traceback), captured as the
 * built-in function objects themselves: student code can rebind
 * tracemalloc.get_traced_memory or shadow the module, not change these.
 */
#ifndef GRADE_MEMFIX_H
#define GRADE_MEMFIX_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdbool.h>

/* Called once by the zygote, after pyhost_start().  Returns 0, or -1 with
 * err set. */
int memfix_start(char *err, size_t errlen);

/* A workload or a captured function by name; borrowed, NULL if unknown. */
PyObject *memfix_get(const char *name);

/* Calls a captured _tracemalloc function with no arguments.  Returns a new
 * reference, or NULL with the exception cleared. */
PyObject *memfix_tm(const char *name);
/* _tracemalloc.is_tracing(), read through the captured function. */
bool memfix_tracing(void);
/* Traced memory (current, peak) through the captured function; 0/0 when
 * not tracing. */
void memfix_traced(long long *current, long long *peak);

/* The line of grade_workloads.py where 'keep' allocates its block. */
int memfix_keep_line(void);

#endif
