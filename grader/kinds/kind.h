/*
 * kind.h - the check kinds, on the controller's side: one table entry and
 * one file (kinds/NAME.c) each.
 *
 * A kind is three things that must agree: the rubric keys it takes (and
 * whether each goes to the check child, 'spec', or stays with the
 * controller, 'expect'), what the check child observes (observe/NAME.c),
 * and how the controller decides from those observations (here).
 *
 * The observation a child sends back holds the kind's own object under the
 * kind's name: {"import": {...}, "call": {...}}.  'decide' receives it
 * after verdict.c has checked the envelope (timeouts, crashes, tampering,
 * import failures).
 *
 * Python-free: the rubric loader reads the key tables, the controller the
 * deciders; neither runs Python.
 *
 * Adding a kind: an entry in enum check_kind and its name (check.h/.c),
 * kinds/NAME.c defining 'const struct kind_def kind_NAME' and its row in
 * kinds.c, observe/NAME.c and its row in observe/observers.c,
 * docs/rubrics.md.
 */
#ifndef GRADE_KINDS_KIND_H
#define GRADE_KINDS_KIND_H

#include <jansson.h>
#include <stdbool.h>

#include "kinds/check.h"
#include "kinds/result.h"

enum key_type {
	KEY_STRING,
	KEY_NUMBER,
	KEY_BOOL,
	KEY_INT_LIST,
	KEY_STRING_LIST,
	KEY_VALUE,       /* a Python value (see base/value.h), tags allowed */
	KEY_VALUE_LIST,
	KEY_VALUE_MAP,   /* str -> Python value (keyword arguments) */
	KEY_OUTPUT,      /* "exact text", or {regex: ...} / {contains: ...} */
	KEY_FUNCTION,    /* "module.name" */
	KEY_MODULE,      /* "name" */
	KEY_SIZE,        /* "64KiB", "1MiB", 4096: bytes, stored as an integer */
	KEY_ANY,         /* any YAML: plain JSON, for kinds that validate it themselves */
};

/* TO_NAMES: a mapping kept by the controller whose keys (names of things
 * to look at, such as attributes) also go to the child, as a list. */
enum key_dest { TO_SPEC, TO_EXPECT, TO_NAMES };

struct key_schema {
	const char *name;
	enum key_type type;
	enum key_dest dest;
	bool required;
	const char *choices;  /* for strings: "a|b|c", or NULL */
};

/* The keys of every kind that calls one student function with arguments
 * the grader builds: put first in the kind's key table. */
#define KIND_CALL_KEYS \
	{ "function", KEY_FUNCTION, TO_SPEC, true, NULL }, \
	{ "args", KEY_VALUE_LIST, TO_SPEC, false, NULL }, \
	{ "kwargs", KEY_VALUE_MAP, TO_SPEC, false, NULL }

/* The last rows of a key table: what the check prints, and the end. */
#define KIND_STDOUT_KEY { "stdout", KEY_OUTPUT, TO_EXPECT, false, NULL }
#define KIND_KEYS_END { NULL, 0, 0, 0, NULL }

/* A kind's definition from its parts, named after it: NAME_keys,
 * decide_NAME and the validate function given (or NULL). */
#define KIND_DEF(NAME, VALIDATE) \
	const struct kind_def kind_##NAME = { .name = #NAME, .keys = NAME##_keys, .validate = VALIDATE, .decide = decide_##NAME }

struct kind_def {
	const char *name;                /* the same as check_kind_name() */
	const struct key_schema *keys;   /* terminated by { NULL } */
	/* Rules across keys, checked when the rubric loads: NULL when the check
	 * is well formed, else what is wrong (reported at the check). */
	const char *(*validate)(const json_t *spec, const json_t *expect);
	/* 'kobs' is the kind's object from the observation (never NULL: an
	 * empty object when the child sent none), 'result' the whole
	 * supervisor result (output, times...). */
	void (*decide)(const struct check *c, const json_t *result, const json_t *kobs, struct check_result *out);
	/* Whether the check calls the student's 'callable' ("module.name");
	 * NULL: it calls its 'function', if it has one.  A callable that did
	 * not return is not called again (control/grade.c). */
	bool (*calls)(const json_t *spec, const char *callable);
};

/* The kind's definition; never NULL for kind < CHECK_KIND_COUNT. */
const struct kind_def *kind_def(enum check_kind kind);

/* Whether check 'c' would call the student's 'callable' (the kind's
 * 'calls'). */
bool kind_calls(const struct check *c, const char *callable);

#endif
