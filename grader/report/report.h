/*
 * report.h - writing a grade_result for people and machines: one file per
 * format (report/NAME.c), one row each in report.c's table.
 *
 * Formats are documented in docs/reports.md.  With 'instructor' false the
 * report is the student's: hidden checks show their status and points but
 * no message, feedback or output (report_hides()).
 */
#ifndef GRADE_REPORT_REPORT_H
#define GRADE_REPORT_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "control/result.h"

struct report_options {
	bool instructor;   /* show hidden checks' details */
	bool color;        /* terminal colours (text) */
	bool one_line;     /* one of several reports in one stream (JSON Lines) */
};

struct report_format {
	const char *name;  /* as --format and --report take it */
	bool one_submission;  /* a file holds one submission's report (a document, not a stream) */
	/* Writes g's report to out.  Returns 0, or -1 when out failed. */
	int (*write)(FILE *out, const struct grade_result *g, const struct report_options *opt);
};

/* The format called 'name', or NULL. */
const struct report_format *report_format_by_name(const char *name);
/* "text or json": the names, for messages. */
void report_format_names(char *buf, size_t len);

/* The report as a new string (caller frees), or NULL when it cannot be
 * written. */
char *report_format_string(const struct report_format *f, const struct grade_result *g,
			   const struct report_options *opt);

/* The JSON report as a new reference (also what report_format_json
 * writes). */
json_t *report_json(const struct grade_result *g, const struct report_options *opt);

/* Helpers the formats share. */
/* Points as people write them: 2, 1.5, 0.33. */
void report_points(char *buf, size_t len, double v);
/* A score for JSON: an integer when whole, else rounded to 3 decimals (new reference). */
json_t *report_number(double v);
/* Whether the check's details are withheld from this report. */
bool report_hides(const struct check_result *cr, const struct report_options *opt);

/* The factors that turn a check's points into its exercise's points, for
 * formats that give each check its share (classroom, gradescope):
 * 'regular' for the regular checks (the weight), 'bonus' for bonus checks
 * (weight, then the cap shared out). */
void report_exercise_factors(const struct exercise_result *e, double *regular, double *bonus);
/* Each test's share in 'tests' (objects with a number under 'key':
 * "score", "max_score") is rounded to 3 decimals (report_number), and
 * consumers add the shares up: what the rounding left over goes to the
 * test with the largest value, so that the sum is 'total' as the JSON
 * report states it. */
void report_settle_rounding(json_t *tests, const char *key, double total);

/* Student-controlled text made safe for every format (report/clean.c): a
 * new string of valid UTF-8 holding only XML 1.0 characters (others become
 * U+FFFD), at most 'max' bytes (0: no limit) plus a "[... cut: N more
 * bytes]" marker when cut.  NULL reads as "". */
char *report_clean(const char *s, size_t max);
char *report_clean_n(const char *s, size_t len, size_t max);

/* How much of each student-controlled text a CI report keeps. */
#define REPORT_MESSAGE_MAX ((size_t)4 << 10)
#define REPORT_OUTPUT_MAX ((size_t)16 << 10)

/* Markdown for student-controlled text (report/markdown.c), cleaned first.
 * Prose: every ASCII punctuation character backslash-escaped (no markup,
 * HTML or table pipe survives), newlines written as 'newline' (a hard
 * break "\\\n", or a space inside a table cell), at most 'max' bytes.
 * Code: a fence longer than any run of backticks in the text. */
void report_md_prose(FILE *out, const char *text, size_t max, const char *newline);
void report_md_code(FILE *out, const char *text);
/* "7/10", or "7/10 (+1 bonus)" when there are bonus points to get:
 * 'score' includes the bonus. */
void report_md_points(FILE *out, double score, double max, double bonus, double bonus_max);
/* The source (report_source_words) in Markdown: a paragraph, then the
 * notes as a list; nothing for a plain folder. */
void report_md_source(FILE *out, const struct grade_result *g);
/* What a check says, in Markdown paragraphs: where in the student's file,
 * the message, the rubric's feedback (after "→"), what the code printed;
 * "hidden check" when report_hides(). */
void report_md_check(FILE *out, const struct check_result *cr, const struct report_options *opt);

/* The check's file as the repository names it: the submission directory
 * as given (relative to the working directory; "." dropped) joined with
 * cr->file.  A new string, or NULL when the check names no file. */
char *report_student_path(const struct grade_result *g, const struct check_result *cr);

/* What a check that did not pass says, for formats that give one text:
 * message, the rubric's feedback, what the code printed, each cleaned and
 * cut (new string; "hidden check" when report_hides()). */
char *report_check_text(const struct check_result *cr, const struct report_options *opt);

/*
 * Where the graded files came from (g->source: a git commit), in the words
 * every format shows (report.c), so that no two formats say it differently.
 * Each string is cleaned (report_clean) and on one line (newlines, CR and
 * tabs made spaces): a branch or file name is the student's.
 */
struct report_source {
	char *lines[3];    /* the origin ("repository R, branch B, commit C (TIME): the work tree's files"),
			    * then the dirty work tree and the deadline, when they apply */
	size_t n_lines;
	char **notes;      /* forgery flags and refused tree entries ("path: reason") */
	size_t n_notes;
};

/* Fills *out from g->source; false (and nothing to release) when g has no
 * source. */
bool report_source_words(struct report_source *out, const struct grade_result *g);
void report_source_release(struct report_source *s);
/* The commit's short id as reports show it (12 hex digits), or "" when
 * there is no commit; points into s. */
const char *report_source_short_id(const struct grade_source *s, char buf[16]);
/* g's score after the late penalty (never below 0): the raw score when
 * there is no source or no penalty. */
double report_score_after_penalty(const struct grade_result *g);
/* The JSON report's "source" object (json.c; docs/reports.md), a new
 * reference: every field of the source, unknown ones left out. */
json_t *report_source_json(const struct grade_result *g);

/* Gradescope's results.json for a submission that could not be graded
 * (report/gradescope.c): score 0, no tests, 'reason' as the output, so
 * that the student sees why.  Returns 0, or -1 when out failed. */
int report_gradescope_ungraded(FILE *out, const char *reason);

#endif
