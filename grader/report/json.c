#include "report/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grade_config.h"
#include "sandbox/layers.h"

/* Where the files came from (docs/reports.md, "source"): unknown fields left out. */
static json_t *source_json(const struct grade_source *s, double score)
{
	json_t *o = json_object();
	const struct { const char *key, *value; } texts[] = {
		{ "repo", s->repo }, { "branch", s->branch }, { "commit", s->commit },
		{ "commit_time", s->commit_time }, { "deadline", s->deadline }, { "date_source", s->date_source },
		{ "evidence_time", s->evidence_time }, { "late_policy", s->late_policy },
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i].value)
			json_object_set_new(o, texts[i].key, json_string(texts[i].value));
	if (s->worktree) {
		json_object_set_new(o, "worktree", json_true());
		json_object_set_new(o, "dirty", json_boolean(s->dirty));
	}
	if (s->deadline) {
		json_object_set_new(o, "late", json_boolean(s->late));
		json_object_set_new(o, "days_late", json_real(round(s->days_late * 1e4) / 1e4));
		json_object_set_new(o, "days_charged", report_number(s->days_charged));
		json_object_set_new(o, "late_penalty", report_number(s->late_penalty));
		json_object_set_new(o, "score_after_penalty", report_number(score - s->late_penalty));
	}
	if (s->n_notes) {
		json_t *notes = json_array();
		for (size_t i = 0; i < s->n_notes; i++)
			json_array_append_new(notes, json_string(s->notes[i]));
		json_object_set_new(o, "notes", notes);
	}
	return o;
}

json_t *report_json(const struct grade_result *g, const struct report_options *opt)
{
	json_t *exercises = json_array();
	for (size_t i = 0; i < g->n_exercises; i++) {
		const struct exercise_result *e = &g->exercises[i];
		json_t *checks = json_array();
		for (size_t j = 0; j < e->n_checks; j++) {
			const struct check_result *cr = &e->checks[j];
			const struct check *c = cr->check;
			bool hide = report_hides(cr, opt);
			json_t *jc = json_pack("{s:s, s:s, s:s, s:o, s:o, s:b}", "id", c->id, "kind",
					       check_kind_name(c->kind), "status", check_status_name(cr->status),
					       "score", report_number(cr->score), "max_score", report_number(cr->max_score),
					       "hidden", c->hidden);
			json_object_set_new(jc, "bonus", json_boolean(c->bonus));
			json_object_set_new(jc, "message", json_string(hide ? "hidden check" : cr->message ? cr->message : ""));
			if (c->description && !hide)
				json_object_set_new(jc, "description", json_string(c->description));
			if (cr->feedback && !hide)
				json_object_set_new(jc, "feedback", json_string(cr->feedback));
			if (cr->output && !hide)
				json_object_set_new(jc, "output", json_string(cr->output));
			if (cr->file && !hide) {
				json_object_set_new(jc, "file", json_string(cr->file));
				if (cr->line > 0)
					json_object_set_new(jc, "line", json_integer(cr->line));
			}
			if (cr->harness_error)
				json_object_set_new(jc, "harness_error", json_true());
			json_object_set_new(jc, "seconds", json_real(round(cr->seconds * 1e4) / 1e4));
			json_array_append_new(checks, jc);
		}
		json_t *je = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "id", e->exercise->id, "score",
				       report_number(e->score), "max_score", report_number(e->max_score), "bonus_score",
				       report_number(e->bonus_score), "bonus_max", report_number(e->bonus_max), "checks", checks);
		if (e->exercise->title)
			json_object_set_new(je, "title", json_string(e->exercise->title));
		if (e->error)
			json_object_set_new(je, "error", json_string(e->error));
		json_object_set_new(je, "timeouts_waited", json_integer(e->timeouts_waited));
		json_array_append_new(exercises, je);
	}
	json_t *grader = json_pack("{s:s, s:s}", "version", GRADE_VERSION, "python", g->python);
	if (g->sandbox_known) {
		json_object_set_new(grader, "sandbox", sandbox_layers_json(&g->sandbox, true));
		json_object_set_new(grader, "sandbox_missing", sandbox_layers_json(&g->sandbox, false));
	}
	json_t *root = json_pack("{s:o, s:o, s:o, s:o, s:s, s:o, s:f, s:i, s:o}", "score", report_number(g->score),
				 "max_score", report_number(g->max_score), "bonus_score", report_number(g->bonus_score),
				 "bonus_max", report_number(g->bonus_max), "submission", g->submission, "grader", grader,
				 "seconds", round(g->seconds * 1e4) / 1e4, "timeouts_waited", g->timeouts_waited,
				 "exercises", exercises);
	if (root && g->source)
		json_object_set_new(root, "source", source_json(g->source, g->score));
	return root;
}

/* One object, indented; or, for several submissions in one stream, one
 * compact line each (JSON Lines). */
static int write_json(FILE *out, const struct grade_result *g, const struct report_options *opt)
{
	json_t *j = report_json(g, opt);
	int rc = json_dumpf(j, out, (opt->one_line ? JSON_COMPACT : JSON_INDENT(2)) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (rc < 0 || fputc('\n', out) == EOF)
		return -1;
	return 0;
}

const struct report_format report_format_json = {
	.name = "json",
	.write = write_json,
};
