/*
 * observe.h - helpers for kinds' observers, inside the check child.
 *
 * They build the grader's inputs from JSON specs, find the student's
 * functions without running student code, and record what student code
 * returned or raised as data in the observation.  Never called in the
 * controller.
 */
#ifndef GRADE_OBSERVE_H
#define GRADE_OBSERVE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <jansson.h>

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
