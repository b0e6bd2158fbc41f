/*
 * grade.h - grading one submission against a rubric.
 *
 * Runs every exercise of the rubric on the worker, in rubric order, and
 * every check of an exercise in order (after its dependencies).  Whatever
 * happens to one check or exercise is recorded in its result and grading
 * goes on: a hostile submission costs only its own points.  Time is
 * bounded three ways: each check's limits, a callable that hung is not
 * waited for again (hang.h), and the budgets (budget.h).
 */
#ifndef GRADE_GRADE_H
#define GRADE_GRADE_H

#include "control/result.h"
#include "rubric/rubric.h"
#include "control/worker.h"

/* The submission's time budget when the command line names none, in
 * seconds: a submission whose every function loops forever is graded in
 * about this long (README, docs/rubrics.md "Time budgets"). */
#define GRADE_DEFAULT_TIME_BUDGET 12.0

/* Grades 'dir' within 'time_budget' seconds of wall-clock time (0: no
 * budget; each exercise's own budget still holds): once it is spent, the
 * checks that remain are "timeout (budget)".  Returns 0 (whatever the
 * score), or -1 when the submission cannot be read at all (message in
 * err); *out is valid to release either way. */
int grade_submission(struct worker *w, const struct rubric *r, const char *dir, double time_budget,
		     struct grade_result *out, char *err, size_t errlen);

#endif
