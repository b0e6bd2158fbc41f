/*
 * hang.h - a student callable that did not return costs its limit once
 * per exercise.
 *
 * When a check times out, the supervisor's result says which student
 * callable the child was inside (base/phase.h: "phase").  The controller
 * remembers it for the rest of the exercise: a later check that would
 * call the same callable (kind_calls()) is not run, and is reported at
 * once as a timeout that names the check which waited; a module whose
 * import did not return blocks every later check of the exercise.
 *
 * What the page says is the child's claim: it counts only when it names
 * the check that timed out, and its callable is only compared with the
 * rubric's own names.  Python-free.
 */
#ifndef GRADE_CONTROL_HANG_H
#define GRADE_CONTROL_HANG_H

#include <jansson.h>

#include "base/phase.h"
#include "kinds/check.h"
#include "kinds/result.h"

struct hang {
	char *callable;      /* "module.name", or the module whose import hung */
	enum phase_in in;
	char *check;         /* the check that waited */
	double waited;       /* the limit it waited, in seconds */
};

struct hang_list {
	struct hang *items;
	size_t n;
};

#define HANG_LIST_INIT { NULL, 0 }

/* After check 'c' timed out with 'result' (the supervisor's message) after
 * waiting 'waited' seconds: remembers the callable its phase names, and
 * names it in cr's message.  Nothing happens when the phase is absent or
 * names another check. */
void hang_note(struct hang_list *l, const struct check *c, const json_t *result, double waited,
	       struct check_result *cr);

/* The hang that stops check 'c' from running, or NULL. */
const struct hang *hang_blocking(const struct hang_list *l, const struct check *c);

/* Decides a check 'h' stops: a timeout, no points, the cause named. */
void hang_verdict(const struct hang *h, struct check_result *cr);

void hang_list_release(struct hang_list *l);

#endif
