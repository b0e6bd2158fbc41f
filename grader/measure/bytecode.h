/*
 * bytecode.h - CPython bytecode read in C, out of student code's reach.
 *
 * bytecode_init() copies the running interpreter's opcode tables (names,
 * inline-cache sizes, the names of specialized instructions) from the
 * 'opcode' module into C memory while the zygote starts, before any
 * student code exists.  The walk decodes PyCode_GetCode(), which is
 * co_code: the generic, un-specialized instructions, exactly what
 * dis.get_instructions(code) (adaptive=False) decodes, CACHE entries
 * skipped.  A patched dis or opcode module, a dis.py shipped in a
 * submission, or thousands of calls that specialize the function cannot
 * change what it reports.
 *
 * Everything here needs the GIL; nothing leaves a Python error set.
 */
#ifndef GRADE_BYTECODE_H
#define GRADE_BYTECODE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <jansson.h>
#include <stdbool.h>

/* Nested code objects deeper than this are not visited (the compiler's
 * own nesting limit is far below it). */
#define BYTECODE_MAX_DEPTH 200

struct bytecode_insn {
	int op;
	const char *opname;   /* static: "LOAD_FAST" */
	int arg;              /* with EXTENDED_ARG prefixes applied */
	int offset;           /* in bytes, for PyCode_Addr2Line */
};

/* Called per instruction; a nonzero return stops the walk. */
typedef int (*bytecode_insn_fn)(PyCodeObject *code, const struct bytecode_insn *insn, void *payload);
/* Called per code object, depth 0 for the root. */
typedef int (*bytecode_code_fn)(PyCodeObject *code, int depth, void *payload);

/* Reads the opcode tables; 0, or -1 with err filled. */
int bytecode_init(char *err, size_t errlen);

/* Walks one code object's instructions in order.  Returns the visitor's
 * nonzero value, 0, or -1 when the code cannot be read. */
int bytecode_walk(PyCodeObject *code, bytecode_insn_fn visit, void *payload);

/* Visits code and, depth first, every code object in its co_consts (each
 * time it appears), as opcode_summary is specified to. */
int bytecode_each_code(PyCodeObject *code, bytecode_code_fn visit, void *payload);

/* {"OPNAME": count} of one code object: a new JSON object, or NULL. */
json_t *bytecode_counts(PyCodeObject *code);

/* The opcode's number on this interpreter, or -1. */
int bytecode_opcode(const char *name);
/* A generic instruction name of this interpreter (what dis reports). */
bool bytecode_is_generic_name(const char *name);
/* A specialized (adaptive) instruction name of this interpreter. */
bool bytecode_is_specialized_name(const char *name);

#endif
