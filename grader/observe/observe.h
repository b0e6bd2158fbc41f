/*
 * observe.h - what each check kind observes, inside the check child.
 *
 * One observer per kind (observe/NAME.c), the child's half of the kind
 * whose controller half is kinds/NAME.c: it runs the student's code on the
 * grader's inputs, measures what the kind is about from C, and records it
 * as JSON data for the controller's decider.  It never judges.
 *
 * The helpers below build the grader's inputs from JSON specs, find the
 * student's functions without running student code, and record what
 * student code returned or raised.  Never called in the controller.
 */
#ifndef GRADE_OBSERVE_H
#define GRADE_OBSERVE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <jansson.h>
#include <stdbool.h>

#include "kinds/check.h"

struct observer {
	/* With the student's module imported (borrowed; NULL for a code_only
	 * kind); fills 'obs', the kind's object in the observation. */
	void (*observe)(PyObject *module, const json_t *spec, json_t *obs);
	/* The observer reads only the compiled code (py/module.h): the
	 * student's module is not imported for it, so no student code runs
	 * and nothing it does at import time (a refused import, an exit)
	 * hides what the source says. */
	bool code_only;
};

/* The kind's observer; its 'observe' is NULL when the import is the whole
 * check. */
const struct observer *observer_of(enum check_kind kind);

/* Looks "module.name" up among the module's globals without running
 * student code (no module __getattr__).  Returns a borrowed reference, or
 * NULL after recording "missing" or "not_callable" in obs. */
PyObject *observe_function(PyObject *module, const char *qualified, json_t *obs);

/* Builds a Python value from its JSON form, including {"$new": ...}
 * constructors (fresh objects, lists of N items, bytearrays...).  Returns a
 * new reference, or NULL with no Python exception pending and 'err' set. */
PyObject *observe_build(const json_t *spec, char *err, size_t errlen);

/* Builds a tuple of positional arguments and a dict of keyword arguments
 * (NULL when kwargs is absent) from a spec's "args" and "kwargs".  Returns
 * 0, or -1 after recording "harness_error" in obs. */
int observe_build_args(const json_t *spec, json_t *obs, PyObject **args, PyObject **kwargs);

/* Records the pending Python exception (and clears it) under obs[key]. */
void observe_exception(json_t *obs, const char *key);

/* Records value's type name under "type" and its encoding under obs[key],
 * or why it cannot be encoded under "unencodable". */
void observe_value(json_t *obs, const char *key, PyObject *value);

/* Records a grader-side problem: obs["harness_error"] = text. */
void observe_harness_error(json_t *obs, const char *text);

#endif
