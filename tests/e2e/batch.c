/*
 * `grade batch` through the built binary, the gradebook read back by its
 * real consumer, the sqlite3 shell: one row per grading with its key and
 * report, per-check rows, WAL mode, history kept on a regrade, unchanged
 * submissions reused (and --force regrading them), a roster CSV, a
 * missing submission.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "support/run.h"

TestSuite(batch, .timeout = 240);

#define RUBRIC "../../rubrics/refcount.yaml"

static char dir[64];

/* A class of three: alice (correct), bob (subtracts two), carol (syntax error). */
static void make_class(void)
{
	snprintf(dir, sizeof(dir), "/tmp/grade-batch-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	char *data = test_data("submissions");
	run_sh("mkdir '%s/class' && cp -r '%s/refcount-correct' '%s/class/alice' && "
	   "cp -r '%s/refcount-subtracts-two' '%s/class/bob' && cp -r '%s/refcount-syntax-error' '%s/class/carol'",
	   dir, data, dir, data, dir, data, dir);
	free(data);
}

static void remove_class(void)
{
	run_sh("rm -rf '%s'", dir);
}

static bool have_sqlite3(void)
{
	return system("command -v sqlite3 >/dev/null 2>&1") == 0;
}

/* The sqlite3 shell's answer to 'sql' on the gradebook (new string). */
static char *query(const char *sql)
{
	char *db = xasprintf("%s/gb.sqlite", dir);
	const char *argv[] = { "sqlite3", "-batch", "-bail", db, sql, NULL };
	struct run_result r;
	run_command(&r, argv);
	cr_assert_eq(r.status, 0, "sqlite3 %s: %s", sql, r.err);
	char *out = xstrdup(r.out);
	run_result_release(&r);
	free(db);
	return out;
}

static void batch(struct run_result *r, const char *extra)
{
	char *gb = xasprintf("%s/gb.sqlite", dir), *class = xasprintf("%s/class", dir);
	const char *args[] = { "batch", "-r", RUBRIC, "-j", "2", "--gradebook", gb, extra ? extra : class,
			       extra ? class : NULL, NULL };
	run_grade(r, args);
	free(gb);
	free(class);
}

static void assert_query(const char *sql, const char *want)
{
	char *got = query(sql);
	cr_assert_str_eq(got, want, "%s", sql);
	free(got);
}

Test(batch, gradebook_read_by_sqlite3, .init = make_class, .fini = remove_class)
{
	if (!have_sqlite3())
		cr_skip_test("the sqlite3 shell is not installed (Debian: sqlite3)");
	struct run_result r;
	batch(&r, NULL);
	cr_assert_eq(r.status, 0, "grade batch exited %d: %s", r.status, r.err);
	cr_assert(strstr(r.out, "3 students: 3 graded, 0 reused"), "%s", r.out);
	run_result_release(&r);

	assert_query("PRAGMA journal_mode;", "wal\n");
	assert_query("PRAGMA user_version;", "2\n");
	assert_query("SELECT student, status, score FROM submissions ORDER BY student;",
		     "alice|graded|11.0\nbob|graded|5.0\ncarol|graded|0.0\n");
	/* Every row carries its key's parts and the whole report. */
	assert_query("SELECT count(*) FROM submissions WHERE length(key) = 64 AND length(content_hash) = 64"
		     " AND length(rubric_hash) = 64 AND grader LIKE 'grade %' AND python LIKE '3.%'"
		     " AND json_extract(report, '$.score') = score AND graded_at LIKE '20%Z';",
		     "3\n");
	/* One row per check, as many as the report holds, adding up to the score. */
	assert_query("SELECT s.student, count(*), sum(c.score) = s.score,"
		     " count(*) = (SELECT json_array_length(s.report, '$.exercises[0].checks'))"
		     " FROM submissions s JOIN checks c ON c.submission_id = s.id GROUP BY s.id ORDER BY s.student;",
		     "alice|10|1|1\nbob|10|1|1\ncarol|10|1|1\n");
	assert_query("SELECT c.status FROM checks c JOIN submissions s ON s.id = c.submission_id"
		     " WHERE s.student = 'bob' AND c.check_id = 'fresh-object';",
		     "fail\n");
	assert_query("SELECT status, total, graded, reused FROM runs;", "finished|3|3|0\n");
}

Test(batch, rerun_reuses_and_keeps_history, .init = make_class, .fini = remove_class)
{
	if (!have_sqlite3())
		cr_skip_test("the sqlite3 shell is not installed (Debian: sqlite3)");
	struct run_result r;
	batch(&r, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_result_release(&r);

	/* Nothing changed: nothing graded. */
	batch(&r, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "0 graded, 3 reused"), "%s", r.out);
	run_result_release(&r);
	assert_query("SELECT count(*) FROM submissions;", "3\n");

	/* bob fixes his code: only bob is graded again, his old row stays. */
	char *data = test_data("submissions/refcount-correct/refcount.py");
	run_sh("cp '%s' '%s/class/bob/refcount.py'", data, dir);
	free(data);
	batch(&r, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "1 graded, 2 reused"), "%s", r.out);
	run_result_release(&r);
	assert_query("SELECT student, score FROM submissions ORDER BY run_id, student;",
		     "alice|11.0\nbob|5.0\ncarol|0.0\nbob|11.0\n");
	assert_query("SELECT student, score FROM latest ORDER BY student;", "alice|11.0\nbob|11.0\ncarol|0.0\n");
	assert_query("SELECT run_id, reused FROM run_items WHERE student = 'bob' ORDER BY id;", "1|0\n2|1\n3|0\n");

	/* --force: everything again, history kept. */
	batch(&r, "--force");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "3 graded, 0 reused"), "%s", r.out);
	run_result_release(&r);
	assert_query("SELECT count(*), count(DISTINCT run_id) FROM submissions;", "7|3\n");
}

Test(batch, roster_csv_and_a_missing_submission, .init = make_class, .fini = remove_class)
{
	if (!have_sqlite3())
		cr_skip_test("the sqlite3 shell is not installed (Debian: sqlite3)");
	char *roster = xasprintf("%s/roster.csv", dir);
	FILE *f = fopen(roster, "w");
	cr_assert_not_null(f);
	/* Paths relative to the roster; a name with a comma and quotes; dave has no folder. */
	fputs("student,path,name,email\r\n"
	      "a1,class/alice,\"O'Brien, \"\"Jr\"\"\",a1@example.org\r\n"
	      "d4,class/dave,Dave,\r\n", f);
	fclose(f);
	char *gb = xasprintf("%s/gb.sqlite", dir);
	const char *args[] = { "batch", "-r", RUBRIC, "--gradebook", gb, roster, NULL };
	struct run_result r;
	run_grade(&r, args);
	cr_assert_eq(r.status, 4, "a missing submission is exit 4, not %d: %s", r.status, r.err);
	cr_assert(strstr(r.err, "d4: cannot open submission"), "%s", r.err);
	cr_assert(strstr(r.out, "2 students: 1 graded, 0 reused (unchanged), 1 missing"), "%s", r.out);
	run_result_release(&r);
	assert_query("SELECT id, name, email FROM students ORDER BY id;", "a1|O'Brien, \"Jr\"|a1@example.org\nd4|Dave|\n");
	assert_query("SELECT student, status, score IS NULL FROM submissions ORDER BY student;", "a1|graded|0\nd4|missing|1\n");

	/* A broken roster is named at its line and column, and nothing runs. */
	f = fopen(roster, "w");
	fputs("student,path\nx,\"class/alice\n", f);
	fclose(f);
	run_grade(&r, args);
	cr_assert_eq(r.status, 4, "%d: %s", r.status, r.err);
	cr_assert(strstr(r.err, "roster.csv:2:3: error: unterminated quoted field"), "%s", r.err);
	run_result_release(&r);
	free(gb);
	free(roster);
}

/* Not on a terminal: plain progress lines on standard error, never in
 * standard output; --quiet: none. */
Test(batch, progress_on_stderr_only, .init = make_class, .fini = remove_class)
{
	struct run_result r;
	batch(&r, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "grade: 3/3 graded · "), "%s", r.err);
	cr_assert(strstr(r.err, " · 0 failed"), "%s", r.err);
	cr_assert_null(strstr(r.out, "/3 graded"), "%s", r.out);
	cr_assert_null(strchr(r.err, '\r'), "no live line off a terminal");
	run_result_release(&r);
	char *gb = xasprintf("%s/gb.sqlite", dir), *class = xasprintf("%s/class", dir);
	const char *args[] = { "batch", "-r", RUBRIC, "--quiet", "--force", "--gradebook", gb, class, NULL };
	run_grade(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "3 graded"), "%s", r.out);
	/* --quiet silences progress, never the warning of a degraded sandbox
	 * (memory_limit is off under AddressSanitizer, for one). */
	const char *rest = r.err;
	if (!strncmp(rest, "grade: warning: sandbox degraded", 32) && strchr(rest, '\n'))
		rest = strchr(rest, '\n') + 1;
	cr_assert_str_empty(rest);
	run_result_release(&r);
	free(gb);
	free(class);
}
