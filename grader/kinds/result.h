/*
 * result.h - the verdict on one check: a status, points and words.
 *
 * A result points at its check (borrowed: the rubric must outlive it) and
 * owns its strings.
 */
#ifndef GRADE_KINDS_RESULT_H
#define GRADE_KINDS_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include "kinds/check.h"

enum check_status {
	STATUS_PASS,
	STATUS_FAIL,       /* ran, and the answer is wrong */
	STATUS_ERROR,      /* could not run: syntax error, missing file, exception at import... */
	STATUS_TIMEOUT,    /* wall-clock or CPU limit */
	STATUS_MEMORY,     /* memory limit */
	STATUS_CRASH,      /* died: signal, early exit */
	STATUS_FORBIDDEN,  /* did something the sandbox forbids */
	STATUS_SKIPPED,    /* not run: a dependency failed, or not for this Python */
	STATUS_COUNT
};

const char *check_status_name(enum check_status s);

struct check_result {
	const struct check *check;   /* borrowed */
	enum check_status status;
	double score;
	double max_score;
	char *message;     /* what happened, one line */
	char *feedback;    /* the rubric's words for this outcome, or NULL */
	bool feedback_chosen;  /* the kind picked 'feedback' (maybe none) */
	char *output;      /* what the student's code printed, cut, or NULL */
	double seconds;    /* wall-clock time of the check child */
	bool shared;       /* decided in a child that served an earlier exercise first */
	bool harness_error;  /* the grader failed, not the student's code (--strict makes it fatal) */
	/* Where in the student's code to look (verdict_locate): the last
	 * traceback frame in a submission file, else the def line of the
	 * function under test, else the module's file with line 0.  NULL when
	 * the check passed or names no file.  Relative to the submission. */
	char *file;
	int line;
};

#endif
