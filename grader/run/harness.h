/*
 * harness.h - what runs inside a check child.
 *
 * The supervisor starts a child (sandboxed: sandbox.h) that serves the
 * checks of one exercise in sequence.  For each check the supervisor
 * writes a request to the child's request descriptor (base/wire.h,
 * WIRE_REQUEST, on WIRE_FD_REQUEST):
 *
 *     nonce (16 bytes) | length (4 bytes, big-endian) | JSON {"kind", "spec"}
 *
 * and the child answers with one frame on its result descriptor
 * (WIRE_RESULT, on WIRE_FD_RESULT):
 *
 *     nonce | length (4 bytes, big-endian) | JSON observation | nonce
 *
 * A child may serve the checks of several exercises of one submission.
 * Between two exercises the supervisor writes, in the same framing, a
 * switch the child does not answer:
 *
 *     nonce | length | JSON {"switch": [{"name", "file", "error"} or
 *                                       {"name", "file", "source": n}, ...]}
 *     | the n bytes of each source, in order
 *
 * The child compiles the sources, forgets the previous exercise's modules
 * (out of sys.modules, kept alive so that no student code runs) and
 * points fd 1 at the import output again.
 *
 * The supervisor draws a fresh nonce per check and sends the next request
 * only after the previous answer: student code, which runs only while a
 * check runs, never sees a later check's inputs, and bytes it writes to the
 * result descriptor cannot pass for the grader's frame.  No student code
 * runs between checks: the child waits in C for the next request.
 */
#ifndef GRADE_HARNESS_H
#define GRADE_HARNESS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/phase.h"
#include "py/module.h"

struct harness_io {
	int stdout_call_fd;    /* fd 1 is switched to it once the first import is done */
	int stdout_import_fd;  /* ...and back to this one when an exercise is switched in */
	int result_fd;
	int request_fd;
	const char *module_dir;   /* the scratch copy of the submission, appended to sys.path */
	json_t *sandbox;          /* the layers applied, sent with the child's first observation (borrowed), or NULL */
	struct phase_page *phase; /* where the child says which student callable it is in (base/phase.h), or NULL */
	const char *fatal;        /* set when the sandbox could not be entered: every check reports it and no
				   * student code runs */
};

/* Serves check requests until the request descriptor ends, then _exit()s. */
_Noreturn void harness_serve(const struct compiled_module *modules, size_t n_modules, const struct harness_io *io);

#endif
