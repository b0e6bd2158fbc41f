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

/* The names rubrics may use are value_fixture_names and
 * value_builder_names (base/value.h). */

/* In the zygote, after pyhost_start(): defines the fixtures in a namespace
 * of their own, captures the originals and measures the reference-count
 * offset of the call path (pyhost.refcount_call_offset).  Returns 0, or -1
 * with err filled. */
int fixtures_start(char *err, size_t errlen);

/* The plain class !new instance builds (borrowed). */
PyObject *fixtures_object_class(void);

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
