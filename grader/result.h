/*
 * result.h - what grading a submission produced.
 *
 * Results point at the rubric's checks and exercises (borrowed: the
 * rubric must outlive them) and own their strings.
 */
#ifndef GRADE_RESULT_H
#define GRADE_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include "rubric.h"
#include "sandbox.h"

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
};

struct exercise_result {
	const struct exercise *exercise;   /* borrowed */
	struct check_result *checks;       /* one per rubric check, in order */
	size_t n_checks;
	double score;
	double max_score;
	char *error;       /* why the exercise could not be graded at all, or NULL */
};

struct grade_result {
	char *submission;
	char python[128];
	struct exercise_result *exercises;
	size_t n_exercises;
	double score;
	double max_score;
	double seconds;
	bool sandbox_known;              /* the caller filled 'sandbox' */
	struct sandbox_layers sandbox;   /* the isolation layers of this run's checks */
};

void grade_result_release(struct grade_result *g);

#endif
