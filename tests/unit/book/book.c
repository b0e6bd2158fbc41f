#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "book/book.h"

TestSuite(book, .timeout = 20);

static char dir[64], path[128];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/grade-book-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/gb.sqlite", dir);
}

static void remove_dir(void)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
}

/* The first column of the first row of 'sql', as text (new string, "" for none). */
static char *one(struct book *b, const char *sql)
{
	sqlite3_stmt *st = NULL;
	cr_assert_eq(sqlite3_prepare_v2(book_db(b), sql, -1, &st, NULL), SQLITE_OK, "%s", sql);
	char *out = xstrdup("");
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
		free(out);
		out = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return out;
}

static void assert_one(struct book *b, const char *sql, const char *want)
{
	char *got = one(b, sql);
	cr_assert_str_eq(got, want, "%s", sql);
	free(got);
}

static const char report[] =
	"{\"score\": 3, \"max_score\": 5, \"bonus_score\": 0, \"bonus_max\": 1, \"seconds\": 0.5, \"exercises\": ["
	"{\"id\": \"ex\", \"score\": 3, \"max_score\": 5, \"bonus_score\": 0, \"bonus_max\": 1, \"checks\": ["
	"{\"id\": \"a\", \"status\": \"pass\", \"score\": 3, \"max_score\": 3, \"seconds\": 0.1},"
	"{\"id\": \"b\", \"status\": \"fail\", \"score\": 0, \"max_score\": 2, \"seconds\": 0.2}]}]}";

static struct book *opened(int64_t *run)
{
	struct book *b = NULL;
	char err[256];
	cr_assert_eq(book_open(&b, path, err, sizeof(err)), 0, "%s", err);
	struct roster r = ROSTER_INIT;
	struct roster_entry who = { .student = "s1", .path = "/p/s1", .name = "Ann" };
	r.entries = &who;
	r.n = 1;
	cr_assert_eq(book_add_students(b, &r, err, sizeof(err)), 0, "%s", err);
	struct book_run info = { .rubric_hash = "R", .grader = "G", .python = "P", .total = 1 };
	cr_assert_eq(book_run_begin(b, &info, run, err, sizeof(err)), 0, "%s", err);
	return b;
}

Test(book, creates_a_wal_gradebook_of_this_schema, .init = make_dir, .fini = remove_dir)
{
	int64_t run;
	struct book *b = opened(&run);
	assert_one(b, "PRAGMA journal_mode", "wal");
	char v[16];
	snprintf(v, sizeof(v), "%d", BOOK_SCHEMA_VERSION);
	assert_one(b, "PRAGMA user_version", v);
	assert_one(b, "SELECT status FROM runs", "running");
	book_close(b);

	/* Opened again: nothing migrated twice, the run still there. */
	char err[256];
	cr_assert_eq(book_open_existing(&b, path, err, sizeof(err)), 0, "%s", err);
	assert_one(b, "SELECT count(*) FROM runs", "1");
	book_close(b);
}

Test(book, refuses_a_newer_schema_and_a_missing_file, .init = make_dir, .fini = remove_dir)
{
	int64_t run;
	struct book *b = opened(&run);
	cr_assert_eq(sqlite3_exec(book_db(b), "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	book_close(b);
	char err[256];
	cr_assert_eq(book_open(&b, path, err, sizeof(err)), -1);
	cr_assert(strstr(err, "has schema version 99; this grade knows versions up to"), "%s", err);
	char *missing = xasprintf("%s/none.sqlite", dir);
	cr_assert_eq(book_open_existing(&b, missing, err, sizeof(err)), -1);
	cr_assert_eq(access(missing, F_OK), -1, "opening for reading creates nothing");
	free(missing);
}

Test(book, record_find_reuse, .init = make_dir, .fini = remove_dir)
{
	int64_t run, id = -1;
	char err[256];
	struct book *b = opened(&run);
	struct roster_entry who = { .student = "s1", .path = "/p/s1", .commit = "abc123" };
	const char *ekeys[] = { "EK" };
	struct book_submission s = { .who = &who, .status = "graded", .key = "K", .content_hash = "C", .report = report,
				     .exercise_keys = ekeys, .n_exercise_keys = 1 };
	const char *status = NULL;
	cr_assert_eq(book_find(b, "K", "s1", &id, err, sizeof(err)), 0);
	cr_assert_eq(id, 0, "nothing graded yet");
	cr_assert_eq(book_record(b, run, &s, &status, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(status, "graded");
	cr_assert_eq(book_find(b, "K", "s1", &id, err, sizeof(err)), 0);
	cr_assert_gt(id, 0);
	int64_t other = -1;
	cr_assert_eq(book_find(b, "K", "s2", &other, err, sizeof(err)), 0);
	cr_assert_eq(other, 0, "the same bytes from another student are not their result");
	assert_one(b, "SELECT score || '/' || max_score || ' ' || rubric_hash || grader || python || ' ' || commit_id"
		      " FROM submissions", "3.0/5.0 RGP abc123");
	assert_one(b, "SELECT group_concat(check_id || ':' || status || ':' || score, ' ') FROM checks", "a:pass:3.0 b:fail:0.0");
	assert_one(b, "SELECT key FROM exercises", "EK");

	cr_assert_eq(book_begin(b, err, sizeof(err)), 0);
	cr_assert_eq(book_reuse(b, run, "s1", id, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(book_commit(b, err, sizeof(err)), 0);
	assert_one(b, "SELECT count(*) || ' ' || sum(reused) FROM run_items", "2 1");
	assert_one(b, "SELECT count(*) FROM latest", "1");
	cr_assert_eq(book_run_end(b, run, "finished", 1, 1, err, sizeof(err)), 0);
	assert_one(b, "SELECT status || graded || reused FROM runs", "finished11");
	book_close(b);
}

Test(book, a_grader_failure_is_never_reused, .init = make_dir, .fini = remove_dir)
{
	int64_t run, id = -1;
	char err[256];
	struct book *b = opened(&run);
	struct roster_entry who = { .student = "s1", .path = "/p/s1" };
	struct book_submission s = { .who = &who, .status = "graded", .key = "K", .content_hash = "C" };
	/* A check in which the grader failed (harness_error). */
	s.report = "{\"score\": 0, \"max_score\": 1, \"exercises\": [{\"id\": \"e\", \"checks\": ["
		   "{\"id\": \"a\", \"status\": \"crash\", \"score\": 0, \"max_score\": 1, \"harness_error\": true}]}]}";
	const char *status = NULL;
	cr_assert_eq(book_record(b, run, &s, &status, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(status, "error");
	cr_assert_eq(book_find(b, "K", "s1", &id, err, sizeof(err)), 0);
	cr_assert_eq(id, 0);
	book_close(b);
}

Test(book, a_bad_report_leaves_nothing_behind, .init = make_dir, .fini = remove_dir)
{
	int64_t run;
	char err[256];
	struct book *b = opened(&run);
	struct roster_entry who = { .student = "s1", .path = "/p/s1" };
	struct book_submission s = { .who = &who, .status = "graded", .key = "K", .content_hash = "C", .report = "{" };
	cr_assert_eq(book_record(b, run, &s, NULL, err, sizeof(err)), -1);
	cr_assert(strstr(err, "is not JSON"), "%s", err);
	/* An exercise without an id fails half-way: the transaction goes. */
	s.report = "{\"score\": 1, \"exercises\": [{\"checks\": []}]}";
	cr_assert_eq(book_record(b, run, &s, NULL, err, sizeof(err)), -1);
	assert_one(b, "SELECT count(*) FROM submissions", "0");
	assert_one(b, "SELECT count(*) FROM run_items", "0");
	book_close(b);
}
