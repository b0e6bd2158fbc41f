/*
 * check.h - one check as a rubric declares it, and the names of the kinds.
 *
 * A check is data: the rubric loader (rubric/) fills it from YAML, the
 * kinds (kind.h) decide its verdict from it, the controller (grade/) runs
 * it.  It keeps two JSON objects: 'spec' (the inputs the check child needs:
 * function names, arguments...) and 'expect' (what the controller compares
 * the child's observations against).  Only 'spec' ever leaves the
 * controller process.
 *
 * The kind names are also the vocabulary of a check request (base/wire.h):
 * the check child looks its observer up by the same name.
 *
 * Python-free: the controller, the loader and `grade lint` include it.
 */
#ifndef GRADE_KINDS_CHECK_H
#define GRADE_KINDS_CHECK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum check_kind {
	CHECK_IMPORT,    /* the module imports; what it prints */
	CHECK_CALL,      /* call a function, compare the result */
	CHECK_REFCOUNT,  /* answers against Py_REFCNT ground truth */
	CHECK_BYTECODE,  /* facts about bytecode; opcode summaries */
	CHECK_SOURCE,    /* forbidden or required imports and uses */
	CHECK_MEMPROF,   /* a tracemalloc decorator against the allocator hook */
	CHECK_GC,        /* the cyclic collector around a call */
	CHECK_ALLOC,     /* what one call allocates, against budgets */
	CHECK_LEAK,      /* what repeated calls leave behind (regrtest -R) */
	CHECK_KIND_COUNT
};

/* The kind's rubric name ("call"); "?" out of range. */
const char *check_kind_name(enum check_kind kind);
/* The kind named 'name', or -1. */
int check_kind_by_name(const char *name);

/* Resource limits; 0 means "inherit from the exercise, then the default". */
struct limits {
	double wall_seconds;
	double cpu_seconds;
	size_t memory_bytes;
	size_t output_bytes;
};

#define LIMITS_DEFAULT_WALL 5.0
#define LIMITS_DEFAULT_CPU 5.0
#define LIMITS_DEFAULT_MEMORY ((size_t)512 << 20)
#define LIMITS_DEFAULT_OUTPUT ((size_t)64 << 10)
/* An exercise's time budget (its key 'time_budget'): the time all its
 * checks may take together. */
#define EXERCISE_DEFAULT_TIME_BUDGET 6.0

/* Fills the zero fields of 'l' from 'parent'. */
void limits_inherit(struct limits *l, const struct limits *parent);

/* A conjunction of comparisons against the running Python's major.minor. */
struct version_cond {
	size_t count;
	struct { char op[3]; int major, minor; } terms[4];
};

bool version_cond_holds(const struct version_cond *cond, int major, int minor);

struct check {
	char *id;
	enum check_kind kind;
	double points;
	char *description;
	json_t *feedback;         /* object: pass, fail, error, ..., off_by {...} */
	char **depends_on;
	size_t n_depends;
	char **requires;          /* checks that must pass for this one to count at all; else it is
				   * skipped and leaves max_score (an optional feature not provided) */
	size_t n_requires;
	char *when_observed;      /* a path in the kind's observation ("profile.top") that must be there
				   * for the check to count, or NULL; else skipped, out of max_score */
	char *when_otherwise;     /* the reason given when it is not ("optional \"top\" not provided") */
	bool bonus;               /* extra credit: its points add to the score, never to max_score */
	bool hidden;              /* details withheld from the student's report */
	bool partial;             /* points in proportion to the cases passed */
	struct limits limits;     /* resolved: never zero after loading */
	struct version_cond python;
	char *python_text;        /* the condition as written, or NULL */
	json_t *spec;             /* sent to the check child */
	json_t *expect;           /* kept by the controller */
	int line, col;            /* 1-based position of the check */
};

/* Frees what the check owns (not the struct itself). */
void check_release(struct check *c);

#endif
