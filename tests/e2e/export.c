/*
 * `grade export` from a gradebook, read by the real consumers: the CSV by
 * Python's csv module (Debian's /usr/bin/python3), the feedback files
 * compared with what `grade -f json` says to the student, hidden checks'
 * words in no student's file.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "support/run.h"

TestSuite(export, .timeout = 240);

#define RUBRIC "rubrics/book/hidden.yaml"

static char dir[64];

static char *in_dir(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* A roster of three: O'Brien (correct), Lee (returns a string: fails the
 * hidden check), and Kim who submitted nothing. */
static void make_class(void)
{
	snprintf(dir, sizeof(dir), "/tmp/grade-export-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	char *data = test_data("submissions");
	run_sh("mkdir '%s/subs' && cp -r '%s/refcount-correct' '%s/subs/ob' && cp -r '%s/refcount-returns-string' '%s/subs/lee'",
	   dir, data, dir, data, dir);
	free(data);
	char *roster = in_dir("roster.csv");
	FILE *f = fopen(roster, "w");
	cr_assert_not_null(f);
	fputs("student,path,name,email\n"
	      "ob1,subs/ob,\"O'Brien, \"\"Jr\"\"\",ob@example.org\n"
	      "lee2,subs/lee,Lee,\n"
	      "kim3,subs/kim,Kim,\n", f);
	fclose(f);
	char *gb = in_dir("gb.sqlite");
	const char *args[] = { "batch", "-r", RUBRIC, "--quiet", "--gradebook", gb, roster, NULL };
	struct run_result r;
	run_grade(&r, args);
	cr_assert_eq(r.status, 4, "kim is missing: %d: %s", r.status, r.err);
	run_result_release(&r);
	free(gb);
	free(roster);
}

static void remove_class(void)
{
	run_sh("rm -rf '%s'", dir);
}

static void export(struct run_result *r, const char *format, const char *target)
{
	char *gb = in_dir("gb.sqlite");
	const char *args[] = { "export", "--gradebook", gb, format, target, NULL };
	run_grade(r, args);
	free(gb);
}

static bool have_debian_python(void)
{
	return access("/usr/bin/python3", X_OK) == 0;
}

Test(export, csv_read_by_pythons_csv_module, .init = make_class, .fini = remove_class)
{
	if (!have_debian_python())
		cr_skip_test("Debian's /usr/bin/python3 is not installed");
	char *csv = in_dir("class.csv");
	struct run_result r;
	export(&r, "csv", csv);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_result_release(&r);
	/* The consumer's verdict: every row, every field, as Python reads them. */
	const char *check =
		"import csv, sys\n"
		"rows = list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')))\n"
		"by = {r['student']: r for r in rows}\n"
		"assert len(rows) == 3, rows\n"
		"ob, lee, kim = by['ob1'], by['lee2'], by['kim3']\n"
		"assert ob['name'] == 'O\\'Brien, \"Jr\"', ob['name']\n"
		"assert ob['email'] == 'ob@example.org'\n"
		"assert (ob['status'], ob['score'], ob['max_score'], ob['total'], ob['refcount']) == ('graded', '3', '3', '3', '3'), ob\n"
		"assert (lee['status'], lee['score'], lee['refcount']) == ('graded', '1', '1'), lee\n"
		"assert (kim['status'], kim['score'], kim['content_hash']) == ('missing', '', ''), kim\n"
		"assert len(ob['content_hash']) == 64 and ob['content_hash'] != lee['content_hash']\n"
		"assert ob['late_penalty'] == '' and ob['graded_at'].endswith('Z')\n"
		"print('ok')\n";
	const char *argv[] = { "/usr/bin/python3", "-c", check, csv, NULL };
	run_command(&r, argv);
	cr_assert_eq(r.status, 0, "python's csv module: %s", r.err);
	cr_assert_str_eq(r.out, "ok\n");
	run_result_release(&r);

	/* Standard output without a target; the same bytes. */
	export(&r, "csv", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	char *text = NULL;
	size_t len = 0;
	cr_assert_eq(read_file(&text, &len, csv, 1 << 20), 0);
	cr_assert_str_eq(r.out, text);
	cr_assert(strstr(text, "\"O'Brien, \"\"Jr\"\"\""), "RFC 4180 quoting: %s", text);
	free(text);
	run_result_release(&r);
	free(csv);
}

static json_t *without_run_details(json_t *j)
{
	json_object_del(j, "grader");
	json_object_del(j, "seconds");
	size_t i, k;
	json_t *e, *c;
	json_array_foreach(json_object_get(j, "exercises"), i, e)
		json_array_foreach(json_object_get(e, "checks"), k, c)
			json_object_del(c, "seconds");
	return j;
}

Test(export, feedback_is_what_the_student_would_see, .init = make_class, .fini = remove_class)
{
	char *fb = in_dir("feedback");
	struct run_result r;
	export(&r, "feedback", fb);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "feedback for 3 students"), "%s", r.err);
	run_result_release(&r);

	/* lee's report.json: what `grade -f json` tells the student. */
	char *sub = in_dir("subs/lee"), *path = xasprintf("%s/lee2/report.json", fb);
	const char *args[] = { "-r", RUBRIC, "-f", "json", sub, NULL };
	run_grade(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_error_t je;
	json_t *direct = json_loads(r.out, 0, &je), *exported = json_load_file(path, 0, &je);
	cr_assert_not_null(direct);
	cr_assert_not_null(exported, "%s: %s", path, je.text);
	without_run_details(direct);
	without_run_details(exported);
	char *a = json_dumps(direct, JSON_SORT_KEYS | JSON_INDENT(1)), *b = json_dumps(exported, JSON_SORT_KEYS | JSON_INDENT(1));
	cr_assert_str_eq(b, a);
	free(a);
	free(b);
	json_decref(direct);
	json_decref(exported);
	run_result_release(&r);

	/* The hidden check's words are in the gradebook, in no student's file. */
	run_sh("grep -q SECRET-FEEDBACK '%s/gb.sqlite' '%s/gb.sqlite-wal' 2>/dev/null || sqlite3 '%s/gb.sqlite' \"SELECT report FROM submissions\" | grep -q SECRET-FEEDBACK",
	   dir, dir, dir);
	run_sh("! grep -r SECRET-FEEDBACK '%s'", fb);
	run_sh("grep -q 'hidden check' '%s/lee2/report.txt' && grep -q '^## grade: ' '%s/lee2/report.md'", fb, fb);
	/* The one without a submission is told so. */
	run_sh("grep -q 'kim3: no report (missing): cannot open submission' '%s/kim3/report.txt'", fb);
	free(sub);
	free(path);
	free(fb);
}

Test(export, usage_errors, .init = make_class, .fini = remove_class)
{
	struct run_result r;
	export(&r, "nonsense", NULL);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "unknown export 'nonsense'"), "%s", r.err);
	run_result_release(&r);
	export(&r, "feedback", NULL);
	cr_assert_eq(r.status, 2);
	run_result_release(&r);
	const char *args[] = { "export", "--gradebook", "/nonexistent/gb.sqlite", "csv", NULL };
	run_grade(&r, args);
	cr_assert_eq(r.status, 5);
	cr_assert(strstr(r.err, "/nonexistent/gb.sqlite"), "%s", r.err);
	run_result_release(&r);
}

/* The student's score in the gradebook, as sqlite3 prints it. */
static double book_score(const char *student)
{
	char *gb = in_dir("gb.sqlite"), *sql = xasprintf("SELECT score FROM latest WHERE student = '%s'", student);
	const char *argv[] = { "sqlite3", gb, sql, NULL };
	struct run_result r;
	run_command(&r, argv);
	cr_assert_eq(r.status, 0, "sqlite3: %s", r.err);
	double v = atof(r.out);
	run_result_release(&r);
	free(sql);
	free(gb);
	return v;
}

static json_t *load_json(const char *path)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	cr_assert_not_null(j, "%s: %s", path, je.text);
	return j;
}

Test(export, gradescope_results_per_student, .init = make_class, .fini = remove_class)
{
	char *gs = in_dir("gradescope");
	struct run_result r;
	export(&r, "gradescope", gs);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "gradescope results for 3 students"), "%s", r.err);
	run_result_release(&r);
	static const char *const students[] = { "ob1", "lee2" };
	for (size_t i = 0; i < ARRAY_SIZE(students); i++) {
		char *path = xasprintf("%s/%s/results.json", gs, students[i]);
		json_t *j = load_json(path);
		cr_assert_float_eq(json_number_value(json_object_get(j, "score")), book_score(students[i]), 1e-9,
				   "%s", students[i]);
		json_t *secret = json_array_get(json_object_get(j, "tests"), 1);
		cr_assert_str_eq(json_string_value(json_object_get(secret, "visibility")), "after_published");
		cr_assert_str_eq(json_string_value(json_object_get(secret, "output")), "hidden check\n\n");
		json_decref(j);
		free(path);
	}
	run_sh("! grep -r SECRET-FEEDBACK '%s'", gs);
	/* Kim submitted nothing: score 0, and the reason. */
	run_sh("grep -q '\"score\": 0' '%s/kim3/results.json' && grep -q 'cannot open submission' '%s/kim3/results.json'", gs,
	   gs);
	free(gs);
}

Test(export, grade_gradescope_in_its_container, .init = make_class, .fini = remove_class)
{
	char *sub = in_dir("subs/lee"), *results = in_dir("results.json");
	const char *args[] = { "gradescope", "--submission", sub, "--results", results, "-r", RUBRIC, NULL };
	struct run_result r;
	run_grade(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* Standard output, for instructors only, has the hidden check's words. */
	cr_assert(strstr(r.out, "SECRET-FEEDBACK"), "%s", r.out);
	run_result_release(&r);
	json_t *j = load_json(results);
	cr_assert_float_eq(json_number_value(json_object_get(j, "score")), book_score("lee2"), 1e-9);
	json_decref(j);
	run_sh("! grep -q SECRET-FEEDBACK '%s'", results);

	/* What cannot be graded still gets results: score 0 and why. */
	char *none = in_dir("subs/kim");
	const char *missing[] = { "gradescope", "--submission", none, "--results", results, "-r", RUBRIC, NULL };
	run_grade(&r, missing);
	cr_assert_eq(r.status, 4, "%d: %s", r.status, r.err);
	run_result_release(&r);
	j = load_json(results);
	cr_assert_eq(json_number_value(json_object_get(j, "score")), 0);
	cr_assert(strstr(json_string_value(json_object_get(j, "output")), "cannot open submission"));
	json_decref(j);
	const char *bad_rubric[] = { "gradescope", "--submission", sub, "--results", results, "-r", "/nonexistent.yaml", NULL };
	run_grade(&r, bad_rubric);
	cr_assert_eq(r.status, 3, "%d: %s", r.status, r.err);
	run_result_release(&r);
	run_sh("grep -q 'rubric has errors' '%s'", results);
	free(none);
	free(sub);
	free(results);
}
