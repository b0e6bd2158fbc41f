/*
 * report.h - writing a grade_result for people and machines.
 *
 * Formats are documented in docs/reports.md.  With 'instructor' false the
 * report is the student's: hidden checks show their status and points but
 * no message, feedback or output.
 */
#ifndef GRADE_REPORT_H
#define GRADE_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "control/result.h"

struct report_options {
	bool instructor;
	bool color;
};

void report_text(FILE *out, const struct grade_result *g, const struct report_options *opt);
/* Returns a new JSON reference. */
json_t *report_json(const struct grade_result *g, const struct report_options *opt);

#endif
