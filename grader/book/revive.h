/*
 * revive.h - a stored JSON report made a grade_result again, so that the
 * report formats (report/report.h) can write it without grading again.
 *
 * The gradebook keeps each submission's report in its JSON form
 * (instructor view, docs/reports.md); the formats take a grade_result
 * whose checks point at the rubric's.  Reviving builds, from the report
 * alone, the exercises and checks it points at (ids, kinds, titles,
 * descriptions, points, bonus and hidden flags: all the formats read), so
 * an export needs no rubric and is right for the rubric that graded it.
 * The report's "source" (the commit graded, docs/reports.md "Source")
 * comes back as g.source, owned by g.
 */
#ifndef GRADE_BOOK_REVIVE_H
#define GRADE_BOOK_REVIVE_H

#include <stddef.h>

#include "control/result.h"

struct revived {
	struct grade_result g;        /* points into exercises[] */
	struct exercise *exercises;   /* owned, with their checks */
	size_t n_exercises;
};

/* Parses 'json' into *out.  Returns 0, or -1 with a message (not JSON,
 * not a report); *out is valid to release either way. */
int book_revive(struct revived *out, const char *json, char *err, size_t errlen);
void book_revived_release(struct revived *r);

#endif
