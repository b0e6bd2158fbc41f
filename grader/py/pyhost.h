/*
 * pyhost.h - the embedded CPython of the zygote and its check children.
 *
 * pyhost_start() initializes CPython once, in the zygote, isolated (no
 * environment variables, no site, no user site, no signal handlers, hash
 * seed 0, no .pyc writing), with the audit hook added first, and imports
 * what checks need.  The zygote then makes the grader's own objects
 * (fixtures.h, memfix.h, measure/bytecode.h) and calls pyhost_freeze(), so
 * that forked children share the heap copy-on-write.  Everything else here
 * runs in a check child.
 *
 * Functions returning PyObject * say whether the reference is new or
 * borrowed.  None of them prints a Python error: errors become data
 * (struct py_exception), because PyErr_Print exits on SystemExit.
 */
#ifndef GRADE_PYHOST_H
#define GRADE_PYHOST_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <jansson.h>
#include <stdbool.h>

struct pyhost_info {
	char version[128];      /* sys.version's first line */
	int major, minor, micro;
	long hexversion;
	/* Py_REFCNT(obj) seen inside f(obj) by "sys.getrefcount(obj) - 1",
	 * minus Py_REFCNT(obj) just before PyObject_CallOneArg(f, obj). */
	long refcount_call_offset;
	char stdlib_dir[512];   /* for the sandbox's read-only paths */
	char platstdlib_dir[512];
};

/* Filled by pyhost_start(); read-only afterwards (children inherit it). */
extern struct pyhost_info pyhost;

/* Returns 0, or -1 with err filled.  pyhost.refcount_call_offset is set by
 * fixtures_start(). */
int pyhost_start(char *err, size_t errlen);

/* Collects garbage and gc.freeze()s what survives: children forked later
 * neither scan nor copy those pages.  Last, before the zygote forks. */
void pyhost_freeze(void);

/* What an exception was, as plain data. */
struct py_exception {
	char type[96];          /* "ZeroDivisionError", "mymodule.MyError" */
	char message[1024];     /* str(exc), cut */
	char file[160];         /* innermost frame in a student file, or "" */
	int line;               /* its line, or 0 */
	int col;                /* SyntaxError offset, or 0 */
	bool system_exit;
	bool memory_error;
	bool recursion_error;
	bool base_exception;    /* not an Exception subclass (KeyboardInterrupt...) */
	char exit_code[64];     /* SystemExit.code as text */
};

/* Takes the pending exception (clearing it) into *out. */
void pyhost_take_exception(struct py_exception *out);
json_t *py_exception_to_json(const struct py_exception *e);

/* Compiles source text as file 'filename'.  Returns a new reference to the
 * code object, or NULL with *error set (caller owns the JSON). */
PyObject *pyhost_compile(const char *source, size_t len, const char *filename, json_t **error);

/* Executes a compiled module as 'name' and registers it in sys.modules.
 * Returns a new reference to the module, or NULL with *exc filled. */
PyObject *pyhost_exec_module(const char *name, PyObject *code, const char *filename,
			     struct py_exception *exc);

/* In a check child: sets sys.stdin/stdout/stderr to the text streams on
 * fds 0/1/2 that pyhost_start() made once (stdout and stderr line
 * buffered, never written in the zygote).  The grader keeps its own
 * references, so pyhost_flush_stdio() works whatever the student does to
 * sys.  Returns 0, or -1. */
int pyhost_setup_stdio(void);
void pyhost_flush_stdio(void);


#endif
