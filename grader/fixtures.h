/*
 * fixtures.h - grader-side Python objects that rubrics name: functions
 * passed to student code (!fixture NAME) and builders of case objects
 * (!build NAME: shared references, cycles, instances with __slots__...).
 *
 * They are defined in the zygote, before any student code exists, in a
 * namespace that is never put in sys.modules; check children inherit them
 * through fork.  Builtins whose results are ground truth (sys.getsizeof,
 * gc's functions and lists) are captured here too, so a student who
 * rebinds sys.getsizeof or gc.callbacks changes nothing the grader reads.
 */
#ifndef GRADE_FIXTURES_H
#define GRADE_FIXTURES_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdbool.h>

/* Names rubrics may use (for `grade lint`; no interpreter needed). */
extern const char *const fixture_names[];   /* !fixture NAME */
extern const char *const builder_names[];   /* !build NAME */

/* Defines the fixtures in 'ns' (the zygote's fixture namespace, which
 * already holds _sys) and captures the originals.  Returns 0 or -1. */
int fixtures_define(PyObject *ns);

/* A borrowed reference to fixture 'name', or NULL. */
PyObject *fixtures_get(const char *name);
/* The name of the fixture that obj is (identity), or NULL. */
const char *fixtures_name_of(PyObject *obj);
/* Calls builder 'name': a new reference to a fresh case object, or NULL
 * with a Python error set. */
PyObject *fixtures_build(const char *name);

/* Originals captured before student code (borrowed, never NULL after
 * fixtures_define succeeded). */
PyObject *fixtures_getsizeof(void);     /* sys.getsizeof */
PyObject *fixtures_gc(const char *name); /* gc.get_threshold, set_threshold, get_debug,
					   set_debug, callbacks, garbage */

#endif
