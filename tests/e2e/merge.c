/*
 * Shards and merges through the built binary: `grade batch --shard I/N`
 * grades disjoint parts of a class that together cover it; `grade merge`
 * puts their gradebooks together, the same whatever the order of the
 * inputs, unchanged by merging again or by overlapping inputs, and an
 * export of the merged book says what a single-machine run says.  The
 * books are read by the sqlite3 shell.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "support/run.h"

TestSuite(merge, .timeout = 240);

#define RUBRIC "../../rubrics/refcount.yaml"
#define CLASS_SIZE 9

static char dir[64];

/* Nine students, three of each: correct, off by two, a syntax error. */
static void make_class(void)
{
	static const char *const kinds[] = { "refcount-correct", "refcount-subtracts-two", "refcount-syntax-error" };
	snprintf(dir, sizeof(dir), "/tmp/grade-merge-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	char *data = test_data("submissions");
	run_sh("mkdir '%s/class'", dir);
	for (int i = 0; i < CLASS_SIZE; i++)
		run_sh("cp -r '%s/%s' '%s/class/student%d'", data, kinds[i % 3], dir, i + 1);
	free(data);
}

static void remove_class(void)
{
	run_sh("rm -rf '%s'", dir);
}

/* The sqlite3 shell's answer to sql on dir/book (new string). */
static char *query(const char *book, const char *sql)
{
	char *db = xasprintf("%s/%s", dir, book);
	const char *argv[] = { "sqlite3", "-batch", "-bail", db, sql, NULL };
	struct run_result r;
	run_command(&r, argv);
	cr_assert_eq(r.status, 0, "sqlite3 %s: %s", sql, r.err);
	char *out = xstrdup(r.out);
	run_result_release(&r);
	free(db);
	return out;
}

/* grade batch of the class into dir/book, shard "I/N" or NULL for all. */
static void batch(const char *book, const char *shard)
{
	char *gb = xasprintf("%s/%s", dir, book), *class = xasprintf("%s/class", dir);
	const char *args[] = { "batch", "-q", "-r", RUBRIC, "--gradebook", gb, shard ? "--shard" : class, shard,
			       class, NULL };
	if (!shard)
		args[7] = NULL;
	struct run_result r;
	run_grade(&r, args);
	cr_assert_eq(r.status, 0, "grade batch %s: %s", shard ? shard : "", r.err);
	run_result_release(&r);
	free(gb);
	free(class);
}

/* grade merge of the books named (NULL-terminated) into dir/out. */
static void merge(const char *out, ...)
{
	const char *args[16] = { "merge", "-q", "-o", NULL };
	char *paths[12] = { NULL };
	size_t n = 3, k = 0;
	args[n++] = paths[k++] = xasprintf("%s/%s", dir, out);
	va_list ap;
	va_start(ap, out);
	for (const char *b; (b = va_arg(ap, const char *)) && k < ARRAY_SIZE(paths);)
		args[n++] = paths[k++] = xasprintf("%s/%s", dir, b);
	va_end(ap);
	args[n] = NULL;
	struct run_result r;
	run_grade(&r, args);
	cr_assert_eq(r.status, 0, "grade merge: %s", r.err);
	run_result_release(&r);
	for (size_t i = 0; i < k; i++)
		free(paths[i]);
}

static void require_sqlite3(void)
{
	if (system("command -v sqlite3 >/dev/null 2>&1") != 0)
		cr_assert_fail("the sqlite3 shell is not installed (Debian: sqlite3; ./quickstart --deps installs it)");
}

static void shard_all(void)
{
	make_class();
	require_sqlite3();
	batch("s1.sqlite", "1/3");
	batch("s2.sqlite", "2/3");
	batch("s3.sqlite", "3/3");
}

#define STUDENTS "SELECT id FROM students ORDER BY id"
#define RESULTS "SELECT student, status, score, max_score, content_hash, key FROM latest ORDER BY student"

Test(merge, shards_are_disjoint_and_cover_the_class, .init = shard_all, .fini = remove_class)
{
	size_t total = 0;
	char *seen = xstrdup("");
	for (int i = 1; i <= 3; i++) {
		char book[16];
		snprintf(book, sizeof(book), "s%d.sqlite", i);
		char *ids = query(book, STUDENTS);
		for (char *line = strtok(ids, "\n"); line; line = strtok(NULL, "\n")) {
			char *needle = xasprintf("|%s|", line);
			cr_expect_null(strstr(seen, needle), "%s is in two shards", line);
			char *more = xasprintf("%s%s", seen, needle);
			free(seen);
			seen = more;
			free(needle);
			total++;
		}
		free(ids);
	}
	cr_expect_eq(total, CLASS_SIZE, "the shards hold %zu students: %s", total, seen);
	/* The same student lands in the same shard on a rerun. */
	batch("again.sqlite", "2/3");
	char *a = query("s2.sqlite", STUDENTS), *b = query("again.sqlite", STUDENTS);
	cr_expect_str_eq(a, b);
	free(a);
	free(b);
	free(seen);
}

Test(merge, the_order_of_inputs_and_merging_again_change_nothing, .init = shard_all, .fini = remove_class)
{
	merge("m1.sqlite", "s1.sqlite", "s2.sqlite", "s3.sqlite", NULL);
	merge("m2.sqlite", "s3.sqlite", "s1.sqlite", "s2.sqlite", NULL);
	merge("m3.sqlite", "s1.sqlite", "s2.sqlite", "s2.sqlite", "s3.sqlite", "s1.sqlite", NULL);
	char *d1 = query("m1.sqlite", ".dump"), *d2 = query("m2.sqlite", ".dump"), *d3 = query("m3.sqlite", ".dump");
	cr_expect_str_eq(d1, d2, "merge depends on the order of its inputs");
	cr_expect_str_eq(d1, d3, "overlapping inputs changed the merge");
	/* Into an existing book: it is one more input. */
	merge("m1.sqlite", "s2.sqlite", NULL);
	char *again = query("m1.sqlite", ".dump");
	cr_expect_str_eq(d1, again, "merging again changed the book");
	char *n = query("m1.sqlite", "SELECT count(*), count(DISTINCT student) FROM latest");
	cr_expect_str_eq(n, "9|9\n");
	/* Students with identical files keep their own rows: each row's path
	 * is the student's own folder. */
	char *own = query("m1.sqlite", "SELECT sum(path NOT LIKE '%/' || student) FROM latest");
	cr_expect_str_eq(own, "0\n", "a row shows another student's submission");
	free(own);
	cr_expect(strstr(d1, "CREATE VIEW latest"), "the merged book has the schema");
	free(n);
	free(again);
	free(d1);
	free(d2);
	free(d3);
}

Test(merge, the_merged_book_says_what_one_machine_says_and_keeps_history, .init = shard_all, .fini = remove_class)
{
	batch("single.sqlite", NULL);
	merge("class.sqlite", "s1.sqlite", "s2.sqlite", "s3.sqlite", NULL);
	char *one = query("single.sqlite", RESULTS), *merged = query("class.sqlite", RESULTS);
	cr_expect_str_eq(merged, one);
	free(merged);
	free(one);

	/* student1 fixes nothing but adds a comment: shard regraded, merged
	 * again; the new result is current, the old one kept. */
	run_sh("echo '# resubmitted' >> '%s/class/student1/refcount.py'", dir);
	char *shard_of = NULL;
	for (int i = 1; i <= 3 && !shard_of; i++) {
		char book[16];
		snprintf(book, sizeof(book), "s%d.sqlite", i);
		char *has = query(book, "SELECT count(*) FROM students WHERE id = 'student1'");
		if (!strcmp(has, "1\n"))
			shard_of = xasprintf("%d/3", i);
		free(has);
		if (shard_of) {
			batch(book, shard_of);
			merge("class.sqlite", book, NULL);
		}
	}
	cr_assert_not_null(shard_of);
	char *hist = query("class.sqlite", "SELECT count(*) FROM submissions WHERE student = 'student1'");
	cr_expect_str_eq(hist, "2\n", "history of student1");
	char *cur = query("class.sqlite", "SELECT l.content_hash != s.content_hash FROM latest l, submissions s "
					  "WHERE l.student = 'student1' AND s.student = 'student1' AND s.id != l.id");
	cr_expect_str_eq(cur, "1\n", "the resubmission is current");
	free(cur);
	free(hist);
	free(shard_of);
}
