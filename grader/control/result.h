/*
 * result.h - what grading a submission produced.
 *
 * Results point at the rubric's checks and exercises (borrowed: the
 * rubric must outlive them) and own their strings.
 */
#ifndef GRADE_GRADE_RESULT_H
#define GRADE_GRADE_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include "kinds/result.h"
#include "rubric/rubric.h"
#include "sandbox/layers.h"

struct exercise_result {
	const struct exercise *exercise;   /* borrowed */
	struct check_result *checks;       /* one per rubric check, in order */
	size_t n_checks;
	double score;      /* bonus points included */
	double max_score;  /* bonus points never included */
	double bonus_score;  /* the part of 'score' that bonus checks gave (after weight and cap) */
	double bonus_max;    /* what the bonus checks could give (after weight and cap) */
	char *error;       /* why the exercise could not be graded at all, or NULL */
	int timeouts_waited;  /* check children that ran to their time limit */
};

struct grade_result {
	char *submission;
	char python[128];
	struct exercise_result *exercises;
	size_t n_exercises;
	double score;      /* the sum over exercises, bonus included */
	double max_score;  /* without bonus: score exceeds it only by bonus points */
	double bonus_score, bonus_max;
	double seconds;
	int timeouts_waited;  /* the exercises' sum */
	bool sandbox_known;              /* the caller filled 'sandbox' */
	struct sandbox_layers sandbox;   /* the isolation layers of this run's checks */
};

void grade_result_release(struct grade_result *g);

#endif
