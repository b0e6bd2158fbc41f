/*
 * verdict.h - from a check child's observations to a status and points.
 *
 * Runs in the controller only.  'result' is the supervisor's "result"
 * message (supervisor.h); nothing in it is trusted beyond being data: the
 * verdict compares it with the check's 'expect', which never left this
 * process.
 */
#ifndef GRADE_VERDICT_H
#define GRADE_VERDICT_H

#include <jansson.h>

#include "kinds/result.h"

void verdict_decide(const struct check *c, const json_t *result, struct check_result *out);

/* After a decision (kinds/locate.c): fills out->file and out->line from
 * the observation for a check that did not pass, and out->harness_error
 * when the grader, not the student's code, failed. */
void verdict_locate(const struct check *c, const json_t *result, struct check_result *out);

/* Fills 'out' for a check that could not run at all. */
void verdict_set(struct check_result *out, enum check_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
