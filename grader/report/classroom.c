/*
 * classroom.c - GitHub Classroom's autograding result (`--report
 * classroom=FILE`; on Actions also result=<base64> in $GITHUB_OUTPUT, which
 * autograding-grading-reporter reads from <STEPID>_RESULTS):
 *
 *   {"version": 1, "status": "pass|fail|error", "max_score": 22,
 *    "tests": [{"name": "refcount/fresh-object", "status": "fail", "score": 0, ...}]}
 *
 * The reporter adds up the tests' scores and takes max_score as it is, so
 * each test's score is the check's share of its exercise's score (weights
 * and the bonus cap applied): the scores add up to grade's total, bonus
 * included, while max_score leaves bonus points out.
 */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"

static const char *test_status(const struct check_result *cr)
{
	if (cr->harness_error)
		return "error";
	if (cr->status == STATUS_PASS || (cr->status == STATUS_SKIPPED && cr->max_score == 0))
		return "pass";
	return "fail";
}

/* The source as a test of its own, first, worth nothing (max_score 0,
 * status pass): the reporter prints each test's message, and the result
 * has no other place a student would read.  Its message is the source's
 * lines, then the notes. */
static json_t *source_test(const struct grade_result *g)
{
	struct report_source rs;
	if (!report_source_words(&rs, g))
		return NULL;
	struct buf b = BUF_INIT((size_t)1 << 30);
	for (size_t i = 0; i < rs.n_lines; i++)
		buf_printf(&b, "%s%s", i ? "\n" : "", rs.lines[i]);
	for (size_t i = 0; i < rs.n_notes; i++)
		buf_printf(&b, "\n- %s", rs.notes[i]);
	char *message = buf_detach(&b, NULL);
	json_t *t = json_pack("{s:s, s:s, s:i, s:i, s:s, s:s, s:i, s:s, s:i}", "name", "grade/source", "status", "pass",
			      "score", 0, "max_score", 0, "message", message, "filename", "", "line_no", 0, "test_code",
			      "source", "duration", 0);
	free(message);
	report_source_release(&rs);
	return t;
}

static int write_classroom(FILE *out, const struct grade_result *g, const struct report_options *opt)
{
	json_t *tests = json_array();
	json_t *source = source_test(g);
	if (source)
		json_array_append_new(tests, source);
	bool failed = false, error = false;
	for (size_t i = 0; i < g->n_exercises; i++) {
		const struct exercise_result *e = &g->exercises[i];
		double regular, bonus;
		report_exercise_factors(e, &regular, &bonus);
		error |= e->error != NULL;
		for (size_t j = 0; j < e->n_checks; j++) {
			const struct check_result *cr = &e->checks[j];
			const char *status = test_status(cr);
			error |= !strcmp(status, "error");
			failed |= !strcmp(status, "fail") && !cr->check->bonus;
			char *name = xasprintf("%s/%s", e->exercise->id, cr->check->id);
			char *clean_name = report_clean(name, 512);
			char *message = cr->status == STATUS_PASS ? xstrdup("") : report_check_text(cr, opt);
			char *path = report_hides(cr, opt) ? NULL : report_student_path(g, cr);
			double factor = cr->check->bonus ? bonus : regular;
			json_t *t = json_pack("{s:s, s:s, s:o, s:o, s:s, s:s, s:i, s:s, s:f}", "name", clean_name, "status",
					      status, "score", report_number(cr->score * factor), "max_score",
					      report_number(cr->check->bonus ? 0 : cr->max_score * factor), "message",
					      message, "filename", path ? path : "", "line_no", path ? cr->line : 0,
					      "test_code", check_kind_name(cr->check->kind), "duration",
					      (double)(long long)(cr->seconds * 1000));
			json_array_append_new(tests, t);
			free(path);
			free(message);
			free(clean_name);
			free(name);
		}
	}
	report_settle_rounding(tests, "score", g->score);
	json_t *j = json_pack("{s:i, s:s, s:o, s:o}", "version", 1, "status", error ? "error" : failed ? "fail" : "pass",
			      "max_score", report_number(g->max_score), "tests", tests);
	int rc = json_dumpf(j, out, (opt->one_line ? JSON_COMPACT : JSON_INDENT(2)) | JSON_PRESERVE_ORDER);
	json_decref(j);
	return rc < 0 || fputc('\n', out) == EOF ? -1 : 0;
}

const struct report_format report_format_classroom = {
	.name = "classroom",
	.one_submission = true,
	.write = write_classroom,
};
