/* Helpers for kind tests that observe and decide in the test's own
 * embedded interpreter (pyhost_start), on small student modules. */
#ifndef GRADE_TESTS_KINDTEST_H
#define GRADE_TESTS_KINDTEST_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <jansson.h>

#include "kinds/result.h"

/* Starts the grader's interpreter (a suite's .init). */
void kindtest_start(void);

/* Compiles and executes source as module 'name'; a new reference. */
PyObject *kindtest_module(const char *name, const char *source);

/* Observes and decides one check of 'kind' on mod, asserting that the
 * observer left the interpreter as it found it (allocator hook, gc,
 * tracemalloc, no exception pending).  Steals spec and expect.  Returns
 * the status; *msg gets the message (caller frees), *obs (if not NULL) the
 * observation (caller decrefs). */
enum check_status kindtest_grade(enum check_kind kind, PyObject *mod, json_t *spec, json_t *expect, char **msg,
				 json_t **obs);

#endif
