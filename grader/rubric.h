/*
 * rubric.h - YAML rubrics (libyaml) loaded into memory.
 *
 * A rubric file describes one exercise (the key 'exercise') or a course
 * that lists exercise files (the key 'course').  docs/rubrics.md documents
 * the format.  Every problem is reported through a diag_list as
 * "file:line:col: message" with the line quoted; loading keeps going after
 * an error so one run reports every problem it can.
 *
 * Each check keeps two JSON objects: 'spec' (the inputs the check child
 * needs: function names, arguments...) and 'expect' (what the controller
 * compares the child's observations against).  Only 'spec' ever leaves the
 * controller process.
 */
#ifndef GRADE_RUBRIC_H
#define GRADE_RUBRIC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

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

const char *check_kind_name(enum check_kind kind);

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
	bool hidden;              /* details withheld from the student's report */
	bool partial;             /* points in proportion to the cases passed */
	struct limits limits;     /* resolved: never zero after loading */
	struct version_cond python;
	char *python_text;        /* the condition as written, or NULL */
	json_t *spec;             /* sent to the check child */
	json_t *expect;           /* kept by the controller */
	int line, col;            /* 1-based position of the check */
};

struct exercise {
	char *id;
	char *title;
	char *path;               /* the rubric file */
	char **files;             /* files the submission must provide */
	size_t n_files;
	double weight;            /* the exercise's score is scaled to this many points; 0 = sum of checks */
	struct limits limits;
	struct check *checks;
	size_t n_checks;
};

struct rubric {
	char *title;
	struct exercise *exercises;
	size_t n_exercises;
};

#define RUBRIC_INIT { NULL, NULL, 0 }

/* Loads a rubric file, or a directory (its course.yaml, else every *.yaml
 * in name order).  Returns 0, or -1 with the problems in diags; *out is
 * always left valid to release. */
int rubric_load(struct rubric *out, const char *path, struct diag_list *diags);
void rubric_release(struct rubric *r);

/* The exercise's maximum score (weight, or the sum of its checks' points). */
double exercise_max_score(const struct exercise *ex);

/* Parses "2s", "500ms", "1.5" (seconds).  Returns 0 or -1. */
int parse_duration(const char *s, double *out);
/* Parses "256MiB", "64KiB", "1GiB", "1000" (bytes).  Returns 0 or -1. */
int parse_size(const char *s, size_t *out);
/* Parses ">=3.12", "<3.13", "3.11", ">=3.11, <3.13".  Returns 0 or -1. */
int parse_version_cond(const char *s, struct version_cond *out);

#endif
