/*
 * Fair scoring through the built binary (tests/data/rubrics/scoring/fair.yaml):
 * bonus checks add to the score and never to max_score, capped; an optional
 * feature (when) and a precondition (requires) that are not met leave
 * max_score instead of costing points; when they are met and wrong, they
 * fail as any check.  A solution without the optional parts and without the
 * bonus gets full marks.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/run.h"
#include "base/util.h"

TestSuite(scoring, .timeout = 60);

/* Grades mod.py = source with fair.yaml; returns the JSON report (new) and
 * the text report in *text (caller frees) when text is not NULL. */
static json_t *grade_source(const char *source, char **text)
{
	char tmpl[] = "/tmp/grade-scoring-XXXXXX";
	cr_assert_not_null(mkdtemp(tmpl));
	char *file = xasprintf("%s/mod.py", tmpl);
	FILE *f = fopen(file, "w");
	cr_assert_not_null(f);
	fputs(source, f);
	fclose(f);
	const char *args[] = { "-f", "json", "-r", "rubrics/scoring/fair.yaml", tmpl, NULL };
	struct run_result r;
	run_grade(&r, args);
	cr_assert_eq(r.status, 0, "grade exited %d: %s", r.status, r.err);
	json_t *report = json_loads(r.out, 0, NULL);
	cr_assert_not_null(report, "%s", r.out);
	run_result_release(&r);
	if (text) {
		const char *targs[] = { "-r", "rubrics/scoring/fair.yaml", tmpl, NULL };
		run_grade(&r, targs);
		*text = xstrdup(r.out);
		run_result_release(&r);
	}
	unlink(file);
	rmdir(tmpl);
	free(file);
	return report;
}

static const json_t *check_of(const json_t *report, const char *id)
{
	size_t i;
	const json_t *c;
	json_array_foreach(json_object_get(json_array_get(json_object_get(report, "exercises"), 0), "checks"), i, c)
		if (!strcmp(json_string_value(json_object_get(c, "id")), id))
			return c;
	cr_assert_fail("no check '%s'", id);
	return NULL;
}

static double num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	cr_assert(json_is_number(v), "'%s' is not a number", key);
	return json_number_value(v);
}

static const char *status(const json_t *report, const char *id)
{
	return json_string_value(json_object_get(check_of(report, id), "status"));
}

static const char full[] =
	"def answer(): return 42\n"
	"def has_extra(): return True\n"
	"def extra(): return 'extra'\n"
	"def info(): return {'size': 1}\n"
	"def stretch(): return 1\n"
	"def stretch2(): return 2\n";

static const char minimal[] =
	"def answer(): return 42\n"
	"def has_extra(): return False\n";

Test(scoring, everything_right_gets_full_marks_plus_capped_bonus)
{
	char *text = NULL;
	json_t *r = grade_source(full, &text);
	cr_expect_float_eq(num(r, "max_score"), 10, 1e-9);
	cr_expect_float_eq(num(r, "score"), 11, 1e-9, "score includes the bonus");
	cr_expect_float_eq(num(r, "bonus_score"), 1, 1e-9, "bonus capped by bonus_cap");
	cr_expect_float_eq(num(r, "bonus_max"), 1, 1e-9);
	cr_expect(json_is_true(json_object_get(check_of(r, "stretch"), "bonus")));
	cr_expect(json_is_false(json_object_get(check_of(r, "answer"), "bonus")));
	cr_expect_str_eq(status(r, "info"), "pass");
	cr_expect_str_eq(status(r, "extra"), "pass");
	cr_expect(strstr(text, "10/10 (+1 bonus)"), "%s", text);
	cr_expect(strstr(text, "+1/1") || strstr(text, "+2/2"), "bonus checks' points are marked: %s", text);
	free(text);
	json_decref(r);
}

Test(scoring, optional_parts_and_bonus_left_out_still_full_marks)
{
	json_t *r = grade_source(minimal, NULL);
	cr_expect_float_eq(num(r, "score"), 10, 1e-9);
	cr_expect_float_eq(num(r, "max_score"), 10, 1e-9);
	cr_expect_float_eq(num(r, "bonus_score"), 0, 1e-9);
	cr_expect_str_eq(status(r, "info"), "skipped");
	cr_expect(strstr(json_string_value(json_object_get(check_of(r, "info"), "message")), "optional info()"));
	cr_expect_float_eq(num(check_of(r, "info"), "max_score"), 0, 1e-9, "not provided: out of max_score");
	cr_expect_str_eq(status(r, "extra"), "skipped");
	cr_expect(strstr(json_string_value(json_object_get(check_of(r, "extra"), "message")), "requires 'has-extra'"));
	cr_expect_float_eq(num(check_of(r, "extra"), "max_score"), 0, 1e-9);
	cr_expect_str_eq(status(r, "stretch"), "fail", "a bonus not attempted earns nothing, costs nothing");
	json_decref(r);
}

Test(scoring, optional_parts_present_and_wrong_fail)
{
	json_t *r = grade_source("def answer(): return 42\n"
				 "def has_extra(): return True\n"
				 "def extra(): return 'nope'\n"
				 "def info(): return {'sizes': 1}\n", NULL);
	cr_expect_str_eq(status(r, "extra"), "fail");
	cr_expect_str_eq(status(r, "info"), "fail");
	/* answer 3 of 5 regular points, scaled to 10. */
	cr_expect_float_eq(num(r, "max_score"), 10, 1e-9);
	cr_expect_float_eq(num(r, "score"), 6, 1e-9);
	json_decref(r);
}
