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
