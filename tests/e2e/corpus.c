/*
 * End-to-end: the built grade binary on every submission of the graded
 * corpus (tests/data/submissions/<name>/ with its expected.json), and on the
 * command-line errors users make.
 *
 * expected.json: {"rubric": "x.yaml", "score": n, "checks": {"ex/id": "status"},
 * "messages": {"ex/id": "substring of message or feedback"}, "python": {">=3.13":
 * {"score": n, "checks": {...}, "messages": {...}}}}.  "python" holds what differs
 * on some CPython versions (the rubric's version-condition syntax); every entry
 * whose condition holds for the embedded Python replaces those keys, in order.
 * A submission named *-correct* must get full marks with every check passing
 * (or skipped as not applicable), on every Python.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/run.h"
#include "rubric/rubric.h"
#include "base/util.h"

TestSuite(e2e, .timeout = 120);

ParameterizedTestParameters(e2e, corpus)
{
	size_t n = 0;
	struct corpus_case *cases = corpus_cases("submissions", &n);
	return cr_make_param_array(struct corpus_case, cases, n);
}

static json_t *check_statuses(json_t *report)
{
	json_t *map = json_object();
	size_t i, j;
	json_t *ex, *c;
	json_array_foreach(json_object_get(report, "exercises"), i, ex) {
		json_array_foreach(json_object_get(ex, "checks"), j, c) {
			char *key = xasprintf("%s/%s", json_string_value(json_object_get(ex, "id")),
					      json_string_value(json_object_get(c, "id")));
			json_object_set(map, key, c);
			free(key);
		}
	}
	return map;
}

ParameterizedTest(struct corpus_case *cc, e2e, corpus)
{
	char *rel = xasprintf("submissions/%s/expected.json", cc->name);
	char *path = test_data(rel);
	json_error_t jerr;
	json_t *expected = json_load_file(path, 0, &jerr);
	cr_assert_not_null(expected, "%s: %s", path, jerr.text);

	char *sub = xasprintf("submissions/%s", cc->name);
	const char *rubric = json_string_value(json_object_get(expected, "rubric"));
	char *rubric_path = xasprintf("../../rubrics/%s", rubric ? rubric : "");
	const char *args[] = { "--format", "json", "--rubric", rubric_path, sub, NULL };
	const char *args_default[] = { "--format", "json", sub, NULL };
	struct run_result r;
	run_grade(&r, rubric ? args : args_default);
	cr_assert_eq(r.status, 0, "%s: grade exited %d: %s", cc->name, r.status, r.err);
	json_t *report = json_loads(r.out, 0, &jerr);
	cr_assert_not_null(report, "%s: report is not JSON (%s): %.200s", cc->name, jerr.text, r.out);
	cr_assert(json_is_object(json_object_get(report, "grader")));
	int major, minor;
	report_python(report, &major, &minor);
	expect_for_version(expected, major, minor, cc->name);

	json_t *got = check_statuses(report);
	const char *key;
	json_t *want;
	json_object_foreach(json_object_get(expected, "checks"), key, want) {
		json_t *c = json_object_get(got, key);
		cr_assert_not_null(c, "%s: no check %s in the report", cc->name, key);
		cr_expect_str_eq(json_string_value(json_object_get(c, "status")), json_string_value(want),
				 "%s: %s is %s (%s), expected %s", cc->name, key,
				 json_string_value(json_object_get(c, "status")),
				 json_string_value(json_object_get(c, "message")), json_string_value(want));
	}
	json_object_foreach(json_object_get(expected, "messages"), key, want) {
		json_t *c = json_object_get(got, key);
		char *all = xasprintf("%s %s", str_or(json_string_value(json_object_get(c, "message")), ""),
				      str_or(json_string_value(json_object_get(c, "feedback")), ""));
		cr_expect(strstr(all, json_string_value(want)) != NULL, "%s: %s says \"%s\", expected to mention \"%s\"",
			  cc->name, key, all, json_string_value(want));
		free(all);
	}
	/* A correct solution gets full marks on every Python, whatever its
	 * expected.json says: the worst defect a grader can have. */
	if (strstr(cc->name, "-correct")) {
		cr_expect_geq(json_number_value(json_object_get(report, "score")) -
				      json_number_value(json_object_get(report, "bonus_score")) + 1e-9,
			      json_number_value(json_object_get(report, "max_score")), "%s: a correct solution without full marks",
			      cc->name);
		json_object_foreach(got, key, want) {
			const char *st = json_string_value(json_object_get(want, "status"));
			cr_expect(!strcmp(st, "pass") || (!strcmp(st, "skipped") &&
							  json_number_value(json_object_get(want, "max_score")) == 0),
				  "%s: a correct solution's check %s is %s (%s)", cc->name, key, st,
				  json_string_value(json_object_get(want, "message")));
		}
	}
	json_t *score = json_object_get(expected, "score");
	if (score)
		cr_expect_float_eq(json_number_value(json_object_get(report, "score")), json_number_value(score), 1e-9,
				   "%s: score %g, expected %g", cc->name,
				   json_number_value(json_object_get(report, "score")), json_number_value(score));
	json_decref(got);
	json_decref(report);
	json_decref(expected);
	run_result_release(&r);
	free(rubric_path);
	free(sub);
	free(path);
	free(rel);
}

Test(e2e, text_report_names_the_mistake)
{
	const char *args[] = { "--rubric", "../../rubrics/refcount.yaml", "submissions/refcount-subtracts-two", NULL };
	struct run_result r;
	run_grade(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "Score: 5/11") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, "You subtracted 2") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, "\033[") == NULL, "colour escapes in a non-terminal report");
	run_result_release(&r);
}

Test(e2e, output_file_gets_the_report)
{
	char tmpl[] = "/tmp/grade-e2e-XXXXXX";
	cr_assert_not_null(mkdtemp(tmpl));
	char *out = xasprintf("%s/report.json", tmpl);
	const char *args[] = { "-f", "json", "-r", "../../rubrics/refcount.yaml", "-o", out, "submissions/refcount-correct", NULL };
	struct run_result r;
	run_grade(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "");
	json_t *j = json_load_file(out, 0, NULL);
	cr_assert_not_null(j);
	cr_expect_eq(json_number_value(json_object_get(j, "score")), json_number_value(json_object_get(j, "max_score")));
	json_decref(j);
	unlink(out);
	rmdir(tmpl);
	free(out);
	run_result_release(&r);
}

Test(e2e, missing_submission_exits_4)
{
	const char *args[] = { "no/such/dir", NULL };
	struct run_result r;
	run_grade(&r, args);
	cr_expect_eq(r.status, 4);
	cr_expect(strstr(r.err, "cannot open submission 'no/such/dir'") != NULL, "%s", r.err);
	run_result_release(&r);
}

static json_t *reports_by_submission(const char *out);

Test(e2e, one_unreadable_submission_in_a_batch_costs_only_itself)
{
	const char *args[] = { "-f", "json", "-j", "2", "-r", "../../rubrics/refcount.yaml", "submissions/refcount-correct",
			       "no/such/dir", "submissions/refcount-subtracts-two", NULL };
	struct run_result r;
	run_grade(&r, args);
	cr_expect_eq(r.status, 4, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.err, "cannot open submission 'no/such/dir'") != NULL, "%s", r.err);
	json_t *reports = reports_by_submission(r.out);
	cr_expect_eq(json_object_size(reports), 2, "%s", r.out);
	json_decref(reports);
	run_result_release(&r);
}

Test(e2e, usage_errors_exit_2)
{
	const char *none[] = { NULL };
	const char *bad_format[] = { "--format", "xml", "submissions/refcount-correct", NULL };
	const char *bad_opt[] = { "--frobnicate", NULL };
	const char *no_jobs[] = { "-j", "0", "submissions/refcount-correct", NULL };
	const char *bad_jobs[] = { "--jobs", "many", "submissions/refcount-correct", NULL };
	const char *const *cases[] = { none, bad_format, bad_opt, no_jobs, bad_jobs };
	for (size_t i = 0; i < 5; i++) {
		struct run_result r;
		run_grade(&r, cases[i]);
		cr_expect_eq(r.status, 2, "case %zu: exit %d", i, r.status);
		cr_expect(strstr(r.err, "grade --help") != NULL, "case %zu: %s", i, r.err);
		run_result_release(&r);
	}
}

Test(e2e, bad_rubric_exits_3_with_position)
{
	char tmpl[] = "/tmp/grade-e2e-XXXXXX";
	cr_assert_not_null(mkdtemp(tmpl));
	char *rub = xasprintf("%s/bad.yaml", tmpl);
	FILE *f = fopen(rub, "w");
	fputs("exercise: x\nfiles: [x.py]\nchecks:\n  - id: a\n    kind: import\n    module: x\n    pionts: 2\n", f);
	fclose(f);
	const char *args[] = { "--rubric", rub, "submissions/refcount-correct", NULL };
	struct run_result r;
	run_grade(&r, args);
	cr_expect_eq(r.status, 3);
	char *want = xasprintf("%s:7:5: error: unknown key 'pionts' in a check (did you mean 'points'?)", rub);
	cr_expect(strstr(r.err, want) != NULL, "%s", r.err);
	free(want);
	run_result_release(&r);
	unlink(rub);
	rmdir(tmpl);
	free(rub);
}

Test(e2e, version_names_the_embedded_python)
{
	const char *args[] = { "--version", NULL };
	struct run_result r;
	run_grade(&r, args);
	cr_expect_eq(r.status, 0);
	cr_expect(strncmp(r.out, "grade ", 6) == 0, "%s", r.out);
	cr_expect(strstr(r.out, "\npython 3.") != NULL, "%s", r.out);
	run_result_release(&r);
}

Test(e2e, default_rubrics_grade_the_bundled_example)
{
	const char *args[] = { "-f", "json", "../../examples/submission", NULL };
	struct run_result r;
	run_grade(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_t *j = json_loads(r.out, 0, NULL);
	cr_assert_not_null(j);
	cr_expect_gt(json_array_size(json_object_get(j, "exercises")), 0);
	cr_expect_gt(json_number_value(json_object_get(j, "max_score")), 0);
	json_decref(j);
	run_result_release(&r);
}

/* The shipped reference solutions score full marks, bonus included; the
 * starters score zero, with failures but no errors. */
Test(e2e, reference_full_marks_starter_zero)
{
	static const char *const exercises[] = { "refcount", "bytecode", "memprof", "deepsize" };
	for (size_t i = 0; i < sizeof(exercises) / sizeof(exercises[0]); i++) {
		char *rubric = xasprintf("../../rubrics/%s.yaml", exercises[i]);
		char *ref = xasprintf("../../exercises/%s/reference", exercises[i]);
		char *starter = xasprintf("../../exercises/%s/starter", exercises[i]);
		const char *a1[] = { "-f", "json", "-r", rubric, ref, NULL };
		const char *a2[] = { "-f", "json", "-r", rubric, starter, NULL };
		struct run_result r;
		run_grade(&r, a1);
		cr_assert_eq(r.status, 0, "%s", r.err);
		json_t *j = json_loads(r.out, 0, NULL);
		cr_assert_not_null(j);
		cr_expect_gt(json_number_value(json_object_get(j, "max_score")), 0);
		/* Full marks, and every bonus point too; score counts the bonus. */
		double score = json_number_value(json_object_get(j, "score"));
		double bonus = json_number_value(json_object_get(j, "bonus_score"));
		cr_expect_eq(score - bonus, json_number_value(json_object_get(j, "max_score")), "%s reference: %s",
			     exercises[i], r.out);
		cr_expect_eq(bonus, json_number_value(json_object_get(j, "bonus_max")), "%s reference misses bonus points",
			     exercises[i]);
		json_decref(j);
		run_result_release(&r);

		run_grade(&r, a2);
		cr_assert_eq(r.status, 0, "%s", r.err);
		j = json_loads(r.out, 0, NULL);
		cr_assert_not_null(j);
		cr_expect_eq(json_number_value(json_object_get(j, "score")), 0, "%s starter scores above zero", exercises[i]);
		json_t *statuses = check_statuses(j);
		const char *key;
		json_t *c;
		json_object_foreach(statuses, key, c) {
			const char *st = json_string_value(json_object_get(c, "status"));
			cr_expect(!strcmp(st, "fail") || !strcmp(st, "skipped") || !strcmp(st, "pass"),
				  "%s starter: %s is %s (%s)", exercises[i], key, st,
				  json_string_value(json_object_get(c, "message")));
		}
		json_decref(statuses);
		json_decref(j);
		run_result_release(&r);
		free(rubric);
		free(ref);
		free(starter);
	}
}

/* Drops the wall-clock fields ("seconds", at every level): all that may differ between two gradings. */
static void drop_times(json_t *j)
{
	size_t i;
	json_t *v;
	const char *key;
	if (json_is_object(j)) {
		json_object_del(j, "seconds");
		json_object_foreach(j, key, v)
			drop_times(v);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			drop_times(v);
	}
}

/* One JSON report per line (JSON Lines), times dropped, keyed by "submission". */
static json_t *reports_by_submission(const char *out)
{
	json_t *map = json_object();
	const char *line = out;
	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		json_error_t jerr;
		json_t *j = json_loadb(line, len, 0, &jerr);
		cr_assert_not_null(j, "a report line is not JSON (%s): %.200s", jerr.text, line);
		drop_times(j);
		json_object_set_new(map, json_string_value(json_object_get(j, "submission")), j);
		line += len + (end ? 1 : 0);
	}
	return map;
}

/*
 * The same submission graded twice gives the same report, times aside: the full course, on submissions that
 * pass, fail in several ways, print and crash, graded once in one order on one lane and once in the reverse
 * order on three lanes (so that nothing a submission leaves in the warm interpreter reaches the next one
 * either, and lanes change nothing but the time).  Reports come out in the order given.
 */
Test(e2e, same_submission_same_report, .timeout = 240)
{
	static const char *const subs[] = {
		"submissions/refcount-correct", "submissions/refcount-subtracts-two", "submissions/refcount-prints",
		"submissions/refcount-abort", "submissions/bytecode-dis-text", "submissions/bytecode-adaptive",
		"submissions/memprof-correct", "submissions/memprof-no-finally",
	};
	enum { N = sizeof(subs) / sizeof(subs[0]) };
	const char *forward[N + 5] = { "-f", "json", "-j", "1" }, *backward[N + 5] = { "-f", "json", "-j", "3" };
	for (size_t i = 0; i < N; i++) {
		forward[4 + i] = subs[i];
		backward[4 + i] = subs[N - 1 - i];
	}
	struct run_result r1, r2;
	run_grade(&r1, forward);
	run_grade(&r2, backward);
	cr_assert_eq(r1.status, 0, "%s", r1.err);
	cr_assert_eq(r2.status, 0, "%s", r2.err);
	json_t *a = reports_by_submission(r1.out), *b = reports_by_submission(r2.out);
	cr_expect_eq(json_object_size(a), N);
	/* In the order given, whichever lane finished first. */
	const char *line = r2.out;
	for (size_t i = 0; i < N && line; i++) {
		json_t *rep = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL);
		const char *sub = json_string_value(json_object_get(rep, "submission"));
		cr_expect(sub && strstr(sub, subs[N - 1 - i]), "report %zu is for %s, not %s", i, sub ? sub : "?",
			  subs[N - 1 - i]);
		json_decref(rep);
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	for (size_t i = 0; i < N; i++) {
		json_t *ra = json_object_get(a, subs[i]), *rb = json_object_get(b, subs[i]);
		cr_assert(ra && rb, "%s: no report", subs[i]);
		if (!json_equal(ra, rb)) {
			char *da = json_dumps(ra, JSON_SORT_KEYS | JSON_INDENT(1)), *db = json_dumps(rb, JSON_SORT_KEYS | JSON_INDENT(1));
			cr_expect_fail("%s: two gradings differ:\n%s\n---\n%s", subs[i], da, db);
			free(da);
			free(db);
		}
	}
	json_decref(a);
	json_decref(b);
	run_result_release(&r1);
	run_result_release(&r2);
}

/* How many GRADE_TRACE lines the check 'id' has, and how many of them say it ran in a child that served an
 * earlier exercise ("shared"). */
static void trace_of(const char *err, const char *id, int *lines, int *shared)
{
	char *prefix = xasprintf("trace: %s: ", id);
	*lines = *shared = 0;
	for (const char *p = err; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (!strncmp(p, prefix, strlen(prefix))) {
			json_t *res = json_loadb(p + strlen(prefix), len - strlen(prefix), 0, NULL);
			cr_assert_not_null(res, "%.*s", (int)len, p);
			(*lines)++;
			*shared += json_is_true(json_object_get(res, "shared"));
			json_decref(res);
		}
		p = end ? end + 1 : NULL;
	}
	free(prefix);
}

/*
 * One check child serves the exercises of a submission in turn, and what an earlier exercise left in it never
 * costs a later one (tests/data/rubrics/shared-child/): checks that pass in the shared child are answered there once
 * (its import output is the new exercise's, the earlier module is out of sys.modules), a check that does not
 * pass there runs again in a child of its exercise alone, and so does one that crashes there.
 */
Test(e2e, shared_child_serves_later_exercises_without_cost)
{
	const char *args[] = { "-f", "json", "-r", "rubrics/shared-child/course.yaml",
			       "submissions/shared-child", NULL };
	setenv("GRADE_TRACE", "1", 1);
	struct run_result r;
	run_grade(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_t *report = json_loads(r.out, 0, NULL);
	cr_assert_not_null(report, "%s", r.out);
	cr_expect_eq(json_number_value(json_object_get(report, "score")), 8, "%s", r.out);

	static const struct {
		const char *id;
		int lines, shared;
	} want[] = {
		{ "first-imports", 1, 0 },    { "first-call", 1, 0 },  { "second-imports", 1, 1 },
		{ "second-call", 1, 1 },      { "first-forgotten", 1, 1 },
		{ "clean", 2, 1 },            /* contaminated in the shared child, clean alone */
		{ "clean-again", 1, 0 },      /* the fresh child goes on with the exercise */
		{ "crash-if-shared", 1, 0 },  /* the supervisor's own retry: the answer comes from a fresh child */
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int lines, shared;
		trace_of(r.err, want[i].id, &lines, &shared);
		cr_expect_eq(lines, want[i].lines, "%s: %d results, expected %d", want[i].id, lines, want[i].lines);
		cr_expect_eq(shared, want[i].shared, "%s: %d from a shared child, expected %d", want[i].id, shared,
			     want[i].shared);
	}
	json_decref(report);
	run_result_release(&r);
}
