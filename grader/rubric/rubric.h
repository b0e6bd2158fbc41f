/*
 * rubric.h - YAML rubrics (libyaml) loaded into memory.
 *
 * A rubric file describes one exercise (the key 'exercise') or a course
 * that lists exercise files (the key 'course').  docs/rubrics.md documents
 * the format.  Every problem is reported through a diag_list as
 * "file:line:col: message" with the line quoted; loading keeps going after
 * an error so one run reports every problem it can.
 *
 * The checks themselves are described in kinds/check.h; the keys each kind
 * takes, in its file under kinds/ (kind.h).  Python-free: `grade lint`
 * loads rubrics without an interpreter.
 */
#ifndef GRADE_RUBRIC_H
#define GRADE_RUBRIC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/diag.h"
#include "kinds/check.h"

struct exercise {
	char *id;
	char *title;
	char *path;               /* the rubric file */
	char **files;             /* files the submission must provide */
	size_t n_files;
	double weight;            /* the exercise's score is scaled to this many points; 0 = sum of checks */
	bool has_bonus_cap;
	double bonus_cap;         /* with has_bonus_cap: the most bonus points it adds (after weight) */
	struct limits limits;
	double time_budget;       /* seconds of wall-clock time for all its checks (never 0 after loading) */
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

/* Parses "2s", "500ms", "1.5" (seconds).  Returns 0 or -1. */
int parse_duration(const char *s, double *out);
/* Parses "256MiB", "64KiB", "1GiB", "1000" (bytes).  Returns 0 or -1. */
int parse_size(const char *s, size_t *out);
/* Parses ">=3.12", "<3.13", "3.11", ">=3.11, <3.13".  Returns 0 or -1. */
int parse_version_cond(const char *s, struct version_cond *out);

#endif
