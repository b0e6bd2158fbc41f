/*
 * gradescope.c - Gradescope's results.json (`--format gradescope`; what
 * `grade gradescope` writes in Gradescope's container and `grade export
 * gradescope` per student; docs/reports.md):
 *
 *   {"score": 7.5, "execution_time": 0.21, "output": "...", "output_format": "md",
 *    "visibility": "visible", "stdout_visibility": "hidden",
 *    "tests": [{"name": "refcount/fresh-object: the count of a fresh object",
 *               "score": 0, "max_score": 2, "status": "failed", "output": "...",
 *               "output_format": "md", "visibility": "visible"}]}
 *
 * Gradescope takes the top-level score as the submission's (it overrides
 * the tests' sum), so it is grade's total, bonus included.  Each test is
 * its check's share of the exercise (weights and the bonus cap applied,
 * as for classroom): the scores add up to the total and the max_scores
 * to grade's max_score.  A bonus check is extra credit the way Gradescope
 * shows it: max_score 0, its share as score.  A skipped check keeps the
 * max_score grade gives it: 0 when it leaves the maximum (requires, when,
 * another Python), its points when they are lost (depends_on).
 *
 * Hidden checks: the student's view (the default) gives them visibility
 * "after_published" and no words ("hidden check"): status and points
 * once the grades are published, as grade's student reports show them;
 * with --instructor, visibility "hidden" (instructors only) and the
 * details.  Standard output of the autograder (grade's own, instructor
 * view) is never shown to students.
 */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* Markdown written to a memory stream, as a new string. */
struct md {
	char *text;
	size_t len;
	FILE *f;
};

static FILE *md_open(struct md *m)
{
	m->text = NULL;
	m->len = 0;
	m->f = open_memstream(&m->text, &m->len);
	return m->f;
}

/* The text (caller frees), or NULL when the stream failed. */
static char *md_close(struct md *m)
{
	if (!m->f || fclose(m->f) != 0) {
		free(m->text);
		return NULL;
	}
	return m->text;
}

/* The test's output: a line for a skipped check, then what grade's
 * Markdown report says of the check. */
static char *test_output(const struct check_result *cr, const struct report_options *opt)
{
	struct md m;
	if (!md_open(&m))
		return NULL;
	if (cr->status == STATUS_SKIPPED)
		fputs(cr->max_score > 0 ? "*Skipped: not run, its points are lost.*\n\n"
					: "*Skipped: not run, and not counted in the maximum.*\n\n", m.f);
	report_md_check(m.f, cr, opt);
	return md_close(&m);
}

static json_t *test_json(const struct exercise_result *e, const struct check_result *cr, double factor,
			 const struct report_options *opt)
{
	char *name = xasprintf("%s/%s%s%s", e->exercise->id, cr->check->id, cr->check->description ? ": " : "",
			       cr->check->description ? cr->check->description : "");
	char *clean_name = report_clean(name, 512);
	char *output = test_output(cr, opt);
	bool lost = cr->status != STATUS_PASS && !(cr->status == STATUS_SKIPPED && cr->max_score == 0);
	const char *visibility = !cr->check->hidden ? "visible" : opt->instructor ? "hidden" : "after_published";
	json_t *t = json_pack("{s:s, s:o, s:o, s:s, s:s, s:s, s:s}", "name", clean_name, "score",
			      report_number(cr->score * factor), "max_score",
			      report_number(cr->check->bonus ? 0 : cr->max_score * factor), "status",
			      lost ? "failed" : "passed", "output", output ? output : "", "output_format", "md",
			      "visibility", visibility);
	free(output);
	free(clean_name);
	free(name);
	return t;
}

/* The submission's output: the total, then why any exercise could not be
 * graded. */
static char *summary(const struct grade_result *g)
{
	struct md m;
	if (!md_open(&m))
		return NULL;
	fputs("**grade: ", m.f);
	report_md_points(m.f, g->score, g->max_score, g->bonus_score, g->bonus_max);
	int vlen = (int)strcspn(g->python, " ");
	fprintf(m.f, "** · Python %.*s · %.2f s\n\n", vlen ? vlen : 1, g->python[0] ? g->python : "?", g->seconds);
	if (report_score_after_penalty(g) != g->score) {
		/* Gradescope gets the score after the penalty: say so, first. */
		char a[32], b[32], c[32];
		report_points(a, sizeof(a), report_score_after_penalty(g));
		report_points(b, sizeof(b), g->max_score);
		report_points(c, sizeof(c), g->source->late_penalty);
		fprintf(m.f, "**Score after the late penalty: %s/%s** (penalty %s; the tests show the points before it)\n\n",
			a, b, c);
	}
	report_md_source(m.f, g);
	for (size_t i = 0; i < g->n_exercises; i++) {
		const struct exercise_result *e = &g->exercises[i];
		if (!e->error)
			continue;
		report_md_prose(m.f, e->exercise->id, 256, " ");
		fputs(": ", m.f);
		report_md_prose(m.f, e->error, REPORT_MESSAGE_MAX, "\\\n");
		fputs("\n\n", m.f);
	}
	return md_close(&m);
}

static int dump(FILE *out, json_t *j, const struct report_options *opt)
{
	/* Points are rounded to 3 decimals and times to milliseconds: 12
	 * significant digits print them as written (0.006, not 0.0060000000000000001). */
	int rc = json_dumpf(j, out,
			    (opt->one_line ? JSON_COMPACT : JSON_INDENT(2)) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	json_decref(j);
	return rc < 0 || fputc('\n', out) == EOF ? -1 : 0;
}

static int write_gradescope(FILE *out, const struct grade_result *g, const struct report_options *opt)
{
	json_t *tests = json_array();
	for (size_t i = 0; i < g->n_exercises; i++) {
		const struct exercise_result *e = &g->exercises[i];
		double regular, bonus;
		report_exercise_factors(e, &regular, &bonus);
		for (size_t j = 0; j < e->n_checks; j++) {
			const struct check_result *cr = &e->checks[j];
			json_array_append_new(tests, test_json(e, cr, cr->check->bonus ? bonus : regular, opt));
		}
	}
	report_settle_rounding(tests, "score", g->score);
	report_settle_rounding(tests, "max_score", g->max_score);
	char *text = summary(g);
	/* With a late penalty Gradescope's score is the score after it
	 * (the tests keep what the checks gave: Gradescope takes this over
	 * their sum). */
	json_t *j = json_pack("{s:o, s:o, s:s, s:s, s:s, s:s, s:o}", "score", report_number(report_score_after_penalty(g)),
			      "execution_time", report_number(g->seconds), "output", text ? text : "",
			      "output_format", "md", "visibility", "visible", "stdout_visibility", "hidden", "tests",
			      tests);
	free(text);
	/* The source for instructors and scripts, as the JSON report has it. */
	if (g->source)
		json_object_set_new(j, "extra_data", json_pack("{s:o}", "source", report_source_json(g)));
	return dump(out, j, opt);
}

int report_gradescope_ungraded(FILE *out, const char *reason)
{
	struct md m;
	if (!md_open(&m))
		return -1;
	fputs("**grade could not grade this submission** (score 0)\n\n", m.f);
	report_md_prose(m.f, reason, REPORT_MESSAGE_MAX, "\\\n");
	fputc('\n', m.f);
	char *text = md_close(&m);
	json_t *j = json_pack("{s:i, s:i, s:s, s:s, s:s, s:s, s:[]}", "score", 0, "execution_time", 0, "output",
			      text ? text : "", "output_format", "md", "visibility", "visible", "stdout_visibility",
			      "hidden", "tests");
	free(text);
	struct report_options opt = { .one_line = false };
	return dump(out, j, &opt);
}

const struct report_format report_format_gradescope = {
	.name = "gradescope",
	.one_submission = true,
	.write = write_gradescope,
};
