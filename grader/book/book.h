/*
 * book.h - the gradebook: every grading of every submission, in SQLite.
 *
 * The file is opened in WAL mode and each graded submission is committed
 * in a transaction of its own, so a grade killed at any moment (kill -9
 * included) leaves a gradebook that opens and holds every submission
 * committed before; docs/gradebook.md documents the schema, its version
 * and its migrations.  Nothing is ever updated in place but a run's end:
 * a regrade adds rows, and a run that reuses an earlier result points at
 * it (run_items) instead of copying it.
 *
 * Results are keyed on what made them (hash.h): the submission's content,
 * the rubric, the grader and the embedded Python.  book_find() answers
 * whether a key was graded already.
 *
 * SQLite's result codes are converted here: every function returns 0 or
 * -1 with a one-line reason in 'err' (error.h).  One connection, one
 * thread; a forked process must not use its parent's book.
 */
#ifndef GRADE_BOOK_BOOK_H
#define GRADE_BOOK_BOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "book/roster.h"

/* PRAGMA user_version of the schema this grade writes (docs/gradebook.md). */
#define BOOK_SCHEMA_VERSION 2

struct book;

/* Opens (creating, or migrating an older schema to BOOK_SCHEMA_VERSION)
 * the gradebook at 'path'.  A gradebook of a newer schema is refused. */
int book_open(struct book **out, const char *path, char *err, size_t errlen);
/* Opens an existing gradebook for reading (exports); never creates one. */
int book_open_existing(struct book **out, const char *path, char *err, size_t errlen);
void book_close(struct book *b);

/* What a run grades with; the strings are borrowed for the call. */
struct book_run {
	const char *command;       /* the command line, for people */
	const char *rubric;        /* the rubric path as given */
	const char *rubric_hash;
	const char *grader;        /* "grade 0.1.0 <hash of the binary>" */
	const char *python;        /* the embedded Python's version line */
	size_t total;              /* students in the roster */
};

/* Starts a run (committed at once: a run killed later still shows). */
int book_run_begin(struct book *b, const struct book_run *run, int64_t *id, char *err, size_t errlen);
/* Ends it: status "finished" or "interrupted", with its counts. */
int book_run_end(struct book *b, int64_t id, const char *status, size_t graded, size_t reused, char *err,
		 size_t errlen);

/* The roster's students, names and emails (new ones added, known ones
 * updated), in one transaction. */
int book_add_students(struct book *b, const struct roster *r, char *err, size_t errlen);

/* One grading of one student's submission. */
struct book_submission {
	const struct roster_entry *who;
	const char *status;         /* "graded", "error" (grade failed) or "missing" (no submission) */
	const char *key;            /* the result's key, NULL for "missing" */
	const char *content_hash;   /* NULL for "missing" */
	const char *report;         /* the JSON report (instructor view), or NULL */
	const char *error;          /* why it is "error" or "missing", or NULL */
	const char *const *exercise_keys;   /* per exercise of the report, in order (may be NULL) */
	size_t n_exercise_keys;
	/* A git commit's result: its commit, dates and late penalty come
	 * from the report's "source" (docs/reports.md), not from 'who'. */
	bool no_item;               /* record the row only: its run item comes later (book_item) */
	int64_t alongside;          /* the run item's other attempt (a late commit), 0: none */
	int64_t *id_out;            /* receives the row's id (may be NULL) */
};

/* Records s in run 'run': the submission row, its exercises and checks
 * (from the report) and the run's item, in one transaction.  A "graded"
 * report in which the grader failed (a harness error, an exercise that
 * could not start) is recorded as "error", so that it is never reused.
 * *status_out (may be NULL) receives the status recorded. */
int book_record(struct book *b, int64_t run, const struct book_submission *s, const char **status_out,
		char *err, size_t errlen);

/* The latest "graded" submission row of this student with this key (*id
 * 0: none).  Only the student's own result is reused: two students who
 * hand in the same bytes each get a row of their own, with their own path
 * and commit, and a merge or an export never shows one under the other. */
int book_find(struct book *b, const char *key, const char *student, int64_t *id, char *err, size_t errlen);

/* Records that 'student' is, in run 'run', the earlier result 'id'. */
int book_reuse(struct book *b, int64_t run, const char *student, int64_t id, char *err, size_t errlen);

/* The run item of 'student' in 'run': result 'id', with 'alongside' (0:
 * none) the other attempt graded for them (the on-time and the late
 * commit: the item points at the one that counts). */
int book_item(struct book *b, int64_t run, const char *student, int64_t id, int64_t alongside, bool reused,
	      char *err, size_t errlen);

/* A result's score after its late penalty (0 for a row without a score). */
int book_final_score(struct book *b, int64_t id, double *out, char *err, size_t errlen);

/* The evidence of when commits existed (docs/deadlines.md): the first
 * fetch that saw each commit of a repository, and each fetch's branch tips.
 * Times are ISO 8601 UTC; strings returned are the caller's (NULL: none). */
int book_git_seen_add(struct book *b, const char *repo, const char *commit, const char *at, char *err,
		      size_t errlen);
int book_git_first_fetched(struct book *b, const char *repo, const char *commit, char **at, char *err,
			   size_t errlen);
int book_git_tip_add(struct book *b, const char *repo, const char *branch, const char *at, const char *tip,
		     char *err, size_t errlen);
int book_git_last_tip(struct book *b, const char *repo, const char *branch, char **tip, char **at, char *err,
		      size_t errlen);
/* The latest fetch of 'repo' at or before 'before'. */
int book_git_prior_fetch(struct book *b, const char *repo, const char *before, char **at, char *err,
			 size_t errlen);

/* Groups the calls between them in one transaction (many book_reuse()s). */
int book_begin(struct book *b, char *err, size_t errlen);
int book_commit(struct book *b, char *err, size_t errlen);
/* Abandons the open transaction, if any. */
void book_rollback(struct book *b);

/* The underlying connection, for the readers in this room (exports). */
struct sqlite3 *book_db(struct book *b);

#endif
