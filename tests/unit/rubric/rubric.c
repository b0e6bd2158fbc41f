/*
 * The rubric loader: every bad rubric in tests/data/rubrics/bad/ gives exactly
 * the diagnostic in its .err file; good rubrics load into the expected
 * structure; the shipped course rubrics load cleanly.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/run.h"
#include "rubric/rubric.h"
#include "base/util.h"
#include "base/value.h"

TestSuite(rubric, .timeout = 30);

struct bad_case {
	char name[128];
};

ParameterizedTestParameters(rubric, bad_rubrics)
{
	const char *root = getenv("GRADE_TEST_DATA");
	char *dir = xasprintf("%s/rubrics/bad", root ? root : ".");
	DIR *d = opendir(dir);
	size_t n = 0, cap = 128;
	struct bad_case *cases = cr_malloc(cap * sizeof(*cases));
	struct dirent *e;
	while (d && (e = readdir(d)) && n < cap) {
		if (str_has_suffix(e->d_name, ".yaml"))
			snprintf(cases[n++].name, sizeof(cases[0].name), "%.120s", e->d_name);
	}
	if (d)
		closedir(d);
	free(dir);
	return cr_make_param_array(struct bad_case, cases, n);
}

ParameterizedTest(struct bad_case *bc, rubric, bad_rubrics)
{
	char *rel = xasprintf("rubrics/bad/%s", bc->name);
	char *path = test_data(rel);
	char *err_path = xstrdup(path);
	strcpy(err_path + strlen(err_path) - 5, ".err");
	char *expected = NULL;
	cr_assert_eq(read_file(&expected, NULL, err_path, 1 << 16), 0, "missing %s", err_path);
	expected[strcspn(expected, "\n")] = '\0';

	struct rubric r;
	struct diag_list diags = DIAG_LIST_INIT;
	cr_expect_eq(rubric_load(&r, path, &diags), -1, "%s loaded without error", bc->name);
	cr_assert_geq(diags.count, 1, "%s: no diagnostic", bc->name);
	char *line = diag_format_line(&diags.items[0]);
	/* The .err files name the file without its directory. */
	const char *shown = strncmp(line, path, strlen(path) - strlen(bc->name)) == 0
		? line + strlen(path) - strlen(bc->name) : line;
	/* diag_format_line has no "error: " (diag_print adds it). */
	const char *want = expected;
	char *want_plain = xstrdup(want);
	char *p = strstr(want_plain, " error: ");
	if (p)
		memmove(p + 1, p + 8, strlen(p + 8) + 1);
	cr_expect_str_eq(shown, want_plain, "%s", bc->name);
	if (diags.items[0].line > 0)
		cr_expect_not_null(diags.items[0].quote, "%s: the line is not quoted", bc->name);
	free(want_plain);
	free(line);
	diag_list_release(&diags);
	rubric_release(&r);
	free(expected);
	free(err_path);
	free(path);
	free(rel);
}

Test(rubric, good_rubric_structure)
{
	char *path = test_data("rubrics/good/values.yaml");
	struct rubric r;
	struct diag_list diags = DIAG_LIST_INIT;
	cr_assert_eq(rubric_load(&r, path, &diags), 0);
	cr_assert_eq(diags.count, 0);
	cr_assert_eq(r.n_exercises, 1);
	const struct exercise *ex = &r.exercises[0];
	cr_expect_str_eq(ex->id, "values");
	cr_expect_eq(ex->n_files, 1);
	cr_assert_eq(ex->n_checks, 2);

	const struct check *lit = &ex->checks[0];
	cr_expect_eq(lit->kind, CHECK_CALL);
	cr_expect_float_eq(lit->limits.wall_seconds, 1.5, 1e-9);
	cr_expect_float_eq(lit->limits.cpu_seconds, 1.0, 1e-9);
	cr_expect_eq(lit->limits.memory_bytes, (size_t)64 << 20);
	cr_expect_eq(lit->limits.output_bytes, LIMITS_DEFAULT_OUTPUT);
	char *args = value_repr(json_object_get(lit->spec, "args"), 500);
	cr_expect_str_eq(args, "[1, -2, 16, 1000, 2.5, inf, '1', 'two', None, True, [1, [2]], {'a': 1}]");
	free(args);
	char *ret = value_repr(json_object_get(lit->expect, "returns"), 500);
	cr_expect_str_eq(ret, "(1, {2, 3}, b'hi', 123456789012345678901234567890)");
	free(ret);
	cr_expect_null(json_object_get(lit->spec, "returns"), "expected values must not go to the child");

	const struct check *news = &ex->checks[1];
	cr_expect_eq(news->kind, CHECK_REFCOUNT);
	cr_expect(news->hidden);
	cr_expect_eq(news->n_depends, 1);
	cr_expect(version_cond_holds(&news->python, 3, 11));
	cr_expect(version_cond_holds(&news->python, 3, 13));
	cr_expect_not(version_cond_holds(&news->python, 3, 14));
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(news->feedback, "off_by"), "+1")), "one too many");
	json_t *obj = json_object_get(news->spec, "object");
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(obj, "$new"), "size")), 16);
	rubric_release(&r);
	free(path);
}

Test(rubric, shipped_course_rubrics_load_cleanly)
{
	char *path = xasprintf("%s/rubrics", getenv("GRADE_SOURCE_ROOT"));
	struct rubric r;
	struct diag_list diags = DIAG_LIST_INIT;
	int rc = rubric_load(&r, path, &diags);
	for (size_t i = 0; i < diags.count; i++) {
		char *line = diag_format_line(&diags.items[i]);
		cr_log_error("%s", line);
		free(line);
	}
	cr_expect_eq(rc, 0);
	cr_expect_geq(r.n_exercises, 1);
	diag_list_release(&diags);
	rubric_release(&r);
	free(path);
}

Test(rubric, sizes_durations_versions)
{
	size_t n = 0;
	double d = 0;
	struct version_cond v;
	cr_expect_eq(parse_size("256MiB", &n), 0);
	cr_expect_eq(n, (size_t)256 << 20);
	cr_expect_eq(parse_size("64 KiB", &n), 0);
	cr_expect_eq(n, (size_t)64 << 10);
	cr_expect_eq(parse_size("1000", &n), 0);
	cr_expect_eq(n, 1000);
	cr_expect_eq(parse_size("12 parsecs", &n), -1);
	cr_expect_eq(parse_size("-1MiB", &n), -1);
	cr_expect_eq(parse_duration("500ms", &d), 0);
	cr_expect_float_eq(d, 0.5, 1e-12);
	cr_expect_eq(parse_duration("2", &d), 0);
	cr_expect_float_eq(d, 2.0, 1e-12);
	cr_expect_eq(parse_duration("soon", &d), -1);
	cr_expect_eq(parse_version_cond("3.12", &v), 0);
	cr_expect(version_cond_holds(&v, 3, 12));
	cr_expect_not(version_cond_holds(&v, 3, 11));
	cr_expect_eq(parse_version_cond("<3.12", &v), 0);
	cr_expect(version_cond_holds(&v, 3, 11));
	cr_expect_not(version_cond_holds(&v, 3, 12));
	cr_expect_eq(parse_version_cond(">=3.11,", &v), -1);
	cr_expect_eq(parse_version_cond("~=3.11", &v), -1);
	cr_expect_eq(parse_version_cond("2.7", &v), -1);
}

Test(rubric, errors_keep_going_and_report_all)
{
	char tmpl[] = "/tmp/grade-rubric-XXXXXX";
	cr_assert_not_null(mkdtemp(tmpl));
	char *path = xasprintf("%s/r.yaml", tmpl);
	FILE *f = fopen(path, "w");
	fputs("exercise: x\nfiles: [x.py]\nchecks:\n  - id: a\n    kind: import\n    module: x\n    pionts: 1\n"
	      "  - id: b\n    kind: cal\n  - id: c\n    kind: import\n    module: x\n    points: -3\n", f);
	fclose(f);
	struct rubric r;
	struct diag_list diags = DIAG_LIST_INIT;
	cr_expect_eq(rubric_load(&r, path, &diags), -1);
	cr_expect_eq(diags.errors, 3, "expected 3 problems, got %zu", diags.errors);
	diag_list_release(&diags);
	rubric_release(&r);
	unlink(path);
	rmdir(tmpl);
	free(path);
}
