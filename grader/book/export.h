/*
 * export.h - what the gradebook holds now, read back and written for
 * others, without grading again: a CSV of the class, per-student feedback
 * files, Gradescope results, an HTML overview (docs/gradebook.md).
 *
 * book_load_latest() reads each student's current result (the view
 * 'latest'; a student on the roster whom no run reached is "missing") into
 * a table the writers share.  Writers return 0, or -1 with a message.
 */
#ifndef GRADE_BOOK_EXPORT_H
#define GRADE_BOOK_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "book/book.h"

struct book_row {
	char *student, *name, *email;   /* name, email: NULL when unknown */
	char *status;                   /* "graded", "error" or "missing" */
	bool has_score;                 /* graded (or error with a report) */
	double score, max_score, bonus_score, bonus_max, seconds;
	bool has_late_penalty;
	double late_penalty;
	char *content_hash, *commit_id, *graded_at, *error;   /* NULL when none */
	char *commit_time, *evidence_time;   /* a git commit's (docs/deadlines.md), NULL when none */
	bool has_days_late;
	double days_late;
	char *report;                   /* the JSON report, or NULL */
	int64_t submission_id;          /* 0 when missing without a row */
	double *exercise_score;         /* per table exercise */
	bool *exercise_has;             /* whether the row has that exercise */
};

struct book_table {
	struct book_row *rows;          /* by student */
	size_t n;
	char **exercises;               /* every exercise of the current results, in rubric order */
	size_t n_exercises;
};

int book_load_latest(struct book *b, struct book_table *out, char *err, size_t errlen);
void book_table_release(struct book_table *t);

/* Column i of a row as a new string, NULL for SQL NULL (for this room's
 * readers). */
struct sqlite3_stmt;
char *book_col_text(struct sqlite3_stmt *st, int i);

/* One row per student (RFC 4180, csv.h): student, name, email, status,
 * score, max_score, bonus, late_penalty, total (score minus the late
 * penalty), one column per exercise, content_hash, commit, graded_at. */
void book_export_csv(const struct book_table *t, struct buf *out);

/* A name safe as one path component: the student's id with '/', NUL and
 * control characters replaced and a leading '.' escaped (new string). */
char *book_file_name(const char *student);

/* DIR/<student>/report.txt, report.md and report.json: each student's
 * report as the student sees it (hidden checks' details withheld), for
 * distribution; a student without a result gets a report.txt saying why.
 * DIR is created when missing.  *written receives the students written. */
int book_export_feedback(const struct book_table *t, const char *dir, size_t *written, char *err, size_t errlen);

/* DIR/<student>/results.json: each student's Gradescope results (the
 * student's view, report/gradescope.c), for uploading elsewhere or
 * checking what Gradescope would show; a student without a result gets
 * a results.json of score 0 saying why.  DIR is created when missing. */
int book_export_gradescope(const struct book_table *t, const char *dir, size_t *written, char *err,
			   size_t errlen);

/* The class overview: one self-contained HTML page (book/html.c; no
 * request leaves it) with a histogram of scores, the pass rate per check
 * (the most failed first), the grading time per submission, the score
 * changes since each student's previous result (history.h) and a
 * sortable, filterable table of students linking to
 * feedback/STUDENT/report.txt (what book_export_feedback writes), added
 * to 'out'.  Reads the book for what the table does not hold. */
int book_export_html(struct book *b, const struct book_table *t, struct buf *out, char *err, size_t errlen);

#endif
