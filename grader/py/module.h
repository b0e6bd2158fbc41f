/*
 * module.h - the student files of an exercise, compiled but not run.
 *
 * The supervisor reads and compiles an exercise's files before it forks a
 * check child (compiling runs no student code); a child handed a new
 * exercise compiles the sources it is sent.  The check child then knows
 * the current exercise's modules: the harness imports them, and observers
 * of code-only kinds read their code objects without importing anything.
 */
#ifndef GRADE_PY_MODULE_H
#define GRADE_PY_MODULE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <jansson.h>
#include <stddef.h>

struct compiled_module {
	char *name;        /* "refcount" */
	char *file;        /* "refcount.py" */
	PyObject *code;    /* strong, or NULL when compiling failed */
	json_t *error;     /* the SyntaxError (or "missing"), or NULL */
	char *source;      /* the bytes compiled (owned), kept for a switch; NULL in a child */
	size_t source_len;
};

/* Frees n modules and the array (NULL is fine). */
void module_release_all(struct compiled_module *mods, size_t n);

/* Makes mods[0..n) the current exercise's modules (borrowed: the caller
 * keeps them alive while they are current). */
void module_set_current(const struct compiled_module *mods, size_t n);

/* The current exercise's module called 'name', or NULL. */
const struct compiled_module *module_find(const char *name);

/* The code object compiled for 'name' before any of the exercise's student
 * code ran (borrowed; NULL when the file is missing or did not compile),
 * and its file name in *file (if not NULL). */
PyObject *module_compiled(const char *name, const char **file);

#endif
