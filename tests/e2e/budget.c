/*
 * Time budgets through the built binary (tests/data/rubrics/budget/): an
 * exercise's 'time_budget' and the submission's --time-budget.  A check
 * runs with the smaller of its limit and what a budget leaves; once a
 * budget is spent the checks left are "timeout (budget)" with no points,
 * the report stays complete, and it names the check that used the time.
 * Asserts outcomes and counts, never durations.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "support/run.h"

TestSuite(budget, .timeout = 120);

static const char slow_py[] = "import time\n"
			      "def quick():\n    return 1\n"
			      "def sleep_a():\n    time.sleep(3600)\n"
			      "def sleep_b():\n    time.sleep(3600)\n"
			      "def sleep_c():\n    while True:\n        pass\n";
static const char fast_py[] = "import time\n"
			      "def quick():\n    return 1\n"
			      "def sleep():\n    time.sleep(3600)\n";

static char dir[64];

static void write_file(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	free(path);
}

static void make_submission(void)
{
	snprintf(dir, sizeof(dir), "/tmp/grade-budget-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	write_file("slow.py", slow_py);
	write_file("fast.py", fast_py);
}

static void remove_submission(void)
{
	char *a = xasprintf("%s/slow.py", dir), *b = xasprintf("%s/fast.py", dir);
	unlink(a);
	unlink(b);
	rmdir(dir);
	free(a);
	free(b);
}

/* The JSON report (new) of the submission with the budget course and
 * extra arguments (NULL-terminated, at most 4). */
static json_t *grade_with(const char *extra0, const char *extra1)
{
	const char *args[8] = { "-f", "json", "-r", "rubrics/budget/course.yaml" };
	size_t n = 4;
	if (extra0)
		args[n++] = extra0;
	if (extra1)
		args[n++] = extra1;
	args[n++] = dir;
	args[n] = NULL;
	struct run_result r;
	run_grade(&r, args);
	cr_assert_eq(r.status, 0, "grade exited %d: %s", r.status, r.err);
	json_error_t jerr;
	json_t *report = json_loads(r.out, 0, &jerr);
	cr_assert_not_null(report, "not JSON (%s): %.2000s", jerr.text, r.out);
	run_result_release(&r);
	return report;
}

static const json_t *exercise_of(const json_t *report, const char *id)
{
	size_t i;
	const json_t *e;
	json_array_foreach(json_object_get(report, "exercises"), i, e)
		if (!strcmp(json_string_value(json_object_get(e, "id")), id))
			return e;
	cr_assert_fail("no exercise '%s'", id);
	return NULL;
}

static const json_t *check_of(const json_t *ex, const char *id)
{
	size_t i;
	const json_t *c;
	json_array_foreach(json_object_get(ex, "checks"), i, c)
		if (!strcmp(json_string_value(json_object_get(c, "id")), id))
			return c;
	cr_assert_fail("no check '%s'", id);
	return NULL;
}

static const char *status_of(const json_t *ex, const char *id)
{
	return json_string_value(json_object_get(check_of(ex, id), "status"));
}

static const char *message_of(const json_t *ex, const char *id)
{
	return json_string_value(json_object_get(check_of(ex, id), "message"));
}

Test(budget, an_exercise_budget_stops_its_checks_and_names_where_the_time_went, .init = make_submission,
     .fini = remove_submission)
{
	json_t *report = grade_with("--time-budget", "none");
	const json_t *slow = exercise_of(report, "slow");
	cr_expect_str_eq(status_of(slow, "quick-first"), "pass");
	/* Its own limit (1 s) is less than the budget (1.5 s): an ordinary timeout. */
	cr_expect_str_eq(status_of(slow, "first-sleeper"), "timeout");
	cr_expect_null(strstr(message_of(slow, "first-sleeper"), "budget"), "%s", message_of(slow, "first-sleeper"));
	/* Given what was left, and stopped by the budget. */
	cr_expect_str_eq(status_of(slow, "second-sleeper"), "timeout");
	cr_expect(strstr(message_of(slow, "second-sleeper"), "timeout (budget): stopped after") != NULL, "%s",
		  message_of(slow, "second-sleeper"));
	/* Spent: decided at once, the check that used the time named. */
	const char *third = message_of(slow, "third-sleeper");
	cr_expect_str_eq(status_of(slow, "third-sleeper"), "timeout");
	cr_expect(strstr(third, "timeout (budget): not run: the exercise's time budget of 1.5 s is spent") != NULL, "%s",
		  third);
	cr_expect(strstr(third, "check 'first-sleeper' took") != NULL, "%s", third);
	/* A check that would have passed costs its points too: the budget is spent. */
	cr_expect_str_eq(status_of(slow, "quick-last"), "timeout");
	cr_expect_eq(json_number_value(json_object_get(slow, "score")), 1.0);
	cr_expect_eq(json_number_value(json_object_get(slow, "max_score")), 5.0);
	/* Two children ran to a limit: the first to its own, the second to the budget's. */
	cr_expect_eq(json_integer_value(json_object_get(slow, "timeouts_waited")), 2);
	/* The next exercise has a budget of its own. */
	const json_t *fast = exercise_of(report, "fast");
	cr_expect_str_eq(status_of(fast, "returns-one"), "pass");
	cr_expect_str_eq(status_of(fast, "sleeps"), "timeout");
	cr_expect_eq(json_integer_value(json_object_get(report, "timeouts_waited")), 3);
	json_decref(report);
}

Test(budget, the_submission_budget_stops_the_exercises_after_it, .init = make_submission, .fini = remove_submission)
{
	json_t *report = grade_with("--time-budget", "1.2s");
	const json_t *slow = exercise_of(report, "slow");
	cr_expect_str_eq(status_of(slow, "quick-first"), "pass");
	cr_expect_str_eq(status_of(slow, "first-sleeper"), "timeout");
	/* The submission's 1.2 s is tighter than the exercise's 1.5 s. */
	cr_expect(strstr(message_of(slow, "second-sleeper"), "submission's time budget of 1.2 s") != NULL, "%s",
		  message_of(slow, "second-sleeper"));
	const json_t *fast = exercise_of(report, "fast");
	const char *m = message_of(fast, "returns-one");
	cr_expect_str_eq(status_of(fast, "returns-one"), "timeout");
	cr_expect(strstr(m, "timeout (budget): not run: the submission's time budget of 1.2 s is spent") != NULL, "%s", m);
	cr_expect(strstr(m, "check 'slow/first-sleeper' took") != NULL, "%s", m);
	cr_expect_eq(json_number_value(json_object_get(fast, "score")), 0.0);
	cr_expect_eq(json_number_value(json_object_get(fast, "max_score")), 2.0);
	json_decref(report);
}

Test(budget, a_bad_budget_is_a_usage_error_and_a_bad_rubric_key_names_its_place)
{
	struct run_result r;
	const char *args[] = { "--time-budget", "soon", "submissions/refcount-correct", NULL };
	run_grade(&r, args);
	cr_expect_eq(r.status, 2, "exit %d", r.status);
	cr_expect(strstr(r.err, "--time-budget takes a duration") != NULL, "%s", r.err);
	run_result_release(&r);

	char tmpl[] = "/tmp/grade-budget-rubric-XXXXXX";
	cr_assert_not_null(mkdtemp(tmpl));
	char *path = xasprintf("%s/bad.yaml", tmpl);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("exercise: bad\nfiles: [m.py]\ntime_budget: forever\nchecks:\n  - id: i\n    kind: import\n    module: m\n", f);
	fclose(f);
	const char *largs[] = { "lint", path, NULL };
	run_grade(&r, largs);
	cr_expect_eq(r.status, 3, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.err, "bad.yaml:3:14: error: 'time_budget' must be a duration") != NULL, "%s", r.err);
	run_result_release(&r);
	unlink(path);
	rmdir(tmpl);
	free(path);
}
