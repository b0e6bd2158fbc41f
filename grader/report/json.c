#include "report/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grade_config.h"
#include "base/util.h"
#include "sandbox/layers.h"

/* A string of the source: valid UTF-8 whoever filled it (a branch or a
 * file name is the student's), left out when unknown. */
static void set_text(json_t *o, const char *key, const char *value)
{
	if (!value)
		return;
	char *valid = utf8_sanitize(value, strlen(value));
	json_object_set_new(o, key, json_string(valid));
	free(valid);
}

json_t *report_source_json(const struct grade_result *g)
{
	const struct grade_source *s = g->source;
	json_t *o = json_object();
	set_text(o, "repo", s->repo);
	set_text(o, "branch", s->branch);
	set_text(o, "commit", s->commit);
	set_text(o, "commit_time", s->commit_time);
	json_object_set_new(o, "worktree", json_boolean(s->worktree));
	if (s->worktree)
		json_object_set_new(o, "dirty", json_boolean(s->dirty));
	set_text(o, "pushed_at", s->pushed_at);
	set_text(o, "pushed_by", s->pushed_by);
	/* The late fields mean something only against a deadline. */
	if (s->deadline) {
		set_text(o, "deadline", s->deadline);
		set_text(o, "date_source", s->date_source);
		set_text(o, "evidence_time", s->evidence_time);
		json_object_set_new(o, "late", json_boolean(s->late));
		json_object_set_new(o, "days_late", report_number(s->days_late));
		json_object_set_new(o, "days_charged", report_number(s->days_charged));
		json_object_set_new(o, "late_penalty", report_number(s->late_penalty));
		set_text(o, "late_policy", s->late_policy);
		json_object_set_new(o, "score_after_penalty", report_number(report_score_after_penalty(g)));
	}
	json_t *notes = json_array();
	for (size_t i = 0; i < s->n_notes; i++) {
		char *valid = utf8_sanitize(s->notes[i] ? s->notes[i] : "", s->notes[i] ? strlen(s->notes[i]) : 0);
		json_array_append_new(notes, json_string(valid));
		free(valid);
	}
	json_object_set_new(o, "notes", notes);
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
	json_t *j = json_pack("{s:o, s:o, s:o, s:o, s:s}", "score", report_number(g->score), "max_score",
			      report_number(g->max_score), "bonus_score", report_number(g->bonus_score), "bonus_max",
			      report_number(g->bonus_max), "submission", g->submission);
	/* Right after the submission it names (a plain folder has none). */
	if (g->source)
		json_object_set_new(j, "source", report_source_json(g));
	json_object_set_new(j, "grader", grader);
	json_object_set_new(j, "seconds", json_real(round(g->seconds * 1e4) / 1e4));
	json_object_set_new(j, "timeouts_waited", json_integer(g->timeouts_waited));
	json_object_set_new(j, "exercises", exercises);
	return j;
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
