/*
 * pyvalue.h - Python objects <-> tagged JSON, inside the check child.
 *
 * The encoding is described in value.h.  Encoding never runs Python code
 * defined by the student: only exact built-in types are looked into (with
 * PyDict_Next and friends), everything else becomes {"$object": name}.
 * Depth and size are bounded so that a result nested a million deep or a
 * huge int cannot exhaust the C stack or the frame limit.
 *
 * All functions need the GIL.  None of them leaves a Python error set.
 */
#ifndef GRADE_PYVALUE_H
#define GRADE_PYVALUE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <jansson.h>

#define PYVALUE_MAX_DEPTH 100
#define PYVALUE_MAX_ITEMS 100000

/* Encodes obj (borrowed) into *out (new JSON reference).  Returns 0, or -1
 * with a reason in err ("nested more than 100 levels deep"...). */
int pyvalue_encode(PyObject *obj, json_t **out, char *err, size_t errlen);

/* Builds a grader object for a {"$new": spec}, {"$fixture": "name"} or
 * {"$build": "name"} argument.  'tag' is "$new", "$fixture" or "$build",
 * 'spec' the value under it.  Returns a new reference, or NULL with err
 * filled. */
typedef PyObject *(*pyvalue_new_fn)(const char *tag, const json_t *spec, void *payload, char *err,
				    size_t errlen);

/* Decodes an encoded value into a new Python object; $new, $fixture and
 * $build go to make_new (may be NULL: then they are an error).  Returns
 * NULL with err filled. */
PyObject *pyvalue_decode(const json_t *v, pyvalue_new_fn make_new, void *payload, char *err,
			 size_t errlen);

/* The name of an object's type, for messages: "int", "mymodule.MyInt". */
void pyvalue_type_name(PyObject *obj, char *out, size_t outlen);

#endif
