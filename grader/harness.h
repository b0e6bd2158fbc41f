/*
 * harness.h - what runs inside a check child.
 *
 * The supervisor forks a child per check; the child calls harness_run(),
 * which never returns.  The child reads nothing from the controller but
 * its own request (handed over in memory by the fork), runs the student's
 * module and the check, and writes one frame to the result descriptor:
 *
 *     nonce (16 bytes) | length (4 bytes, big-endian) | JSON | nonce
 *
 * The nonce was drawn by the supervisor just before the fork and is known
 * to no Python object, so bytes that student code writes to the result
 * descriptor cannot pass for the grader's frame.
 */
#ifndef GRADE_HARNESS_H
#define GRADE_HARNESS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <jansson.h>
#include <stddef.h>

#define HARNESS_NONCE_LEN 16

/* A student file compiled by the supervisor before any fork. */
struct compiled_module {
	char *name;        /* "refcount" */
	char *file;        /* "refcount.py" */
	PyObject *code;    /* strong, or NULL when compiling failed */
	json_t *error;     /* the SyntaxError (or "missing"), or NULL */
};

struct harness_io {
	int stdout_call_fd;    /* fd 1 is switched to it once imports are done */
	int result_fd;
	unsigned char nonce[HARNESS_NONCE_LEN];
	const char *submission_dir;
};

/* Runs the check described by the JSON request text and _exit()s. */
_Noreturn void harness_run(const char *request, size_t len, const struct compiled_module *modules,
			   size_t n_modules, const struct harness_io *io);

#endif
