/*
 * grade.h - grading one submission against a rubric.
 *
 * Runs every exercise of the rubric on the worker, in rubric order, and
 * every check of an exercise in order (after its dependencies).  Whatever
 * happens to one check or exercise is recorded in its result and grading
 * goes on: a hostile submission costs only its own points.
 */
#ifndef GRADE_GRADE_H
#define GRADE_GRADE_H

#include "control/result.h"
#include "rubric/rubric.h"
#include "control/worker.h"

/* Returns 0 (whatever the score), or -1 when the submission cannot be
 * read at all (message in err); *out is valid to release either way. */
int grade_submission(struct worker *w, const struct rubric *r, const char *dir, struct grade_result *out,
		     char *err, size_t errlen);

#endif
