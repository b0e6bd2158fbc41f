#include "book/revive.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/util.h"
#include "kinds/result.h"

static char *str_dup(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? xstrdup(s) : NULL;
}

static double num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static enum check_status status_by_name(const char *name)
{
	for (int s = 0; name && s < STATUS_COUNT; s++)
		if (!strcmp(check_status_name((enum check_status)s), name))
			return (enum check_status)s;
	return STATUS_ERROR;
}

static void revive_check(struct check *c, struct check_result *cr, const json_t *jc)
{
	int kind = check_kind_by_name(json_string_value(json_object_get(jc, "kind")));
	*c = (struct check){
		.id = str_dup(jc, "id"), .kind = kind < 0 ? CHECK_CALL : (enum check_kind)kind,
		.points = num(jc, "max_score"), .description = str_dup(jc, "description"),
		.bonus = json_is_true(json_object_get(jc, "bonus")), .hidden = json_is_true(json_object_get(jc, "hidden")),
	};
	if (!c->id)
		c->id = xstrdup("?");
	*cr = (struct check_result){
		.check = c,
		.status = status_by_name(json_string_value(json_object_get(jc, "status"))),
		.score = num(jc, "score"),
		.max_score = num(jc, "max_score"),
		.message = str_dup(jc, "message"),
		.feedback = str_dup(jc, "feedback"),
		.feedback_chosen = json_object_get(jc, "feedback") != NULL,
		.output = str_dup(jc, "output"),
		.seconds = num(jc, "seconds"),
		.harness_error = json_is_true(json_object_get(jc, "harness_error")),
		.file = str_dup(jc, "file"),
		.line = (int)json_integer_value(json_object_get(jc, "line")),
	};
}

/* The report's "source" (docs/reports.md), or NULL when it has none. */
static struct grade_source *revive_source(const json_t *js)
{
	if (!json_is_object(js))
		return NULL;
	struct grade_source *s = xcalloc(1, sizeof(*s));
	s->repo = str_dup(js, "repo");
	s->branch = str_dup(js, "branch");
	s->commit = str_dup(js, "commit");
	s->commit_time = str_dup(js, "commit_time");
	s->worktree = json_is_true(json_object_get(js, "worktree"));
	s->dirty = json_is_true(json_object_get(js, "dirty"));
	s->pushed_at = str_dup(js, "pushed_at");
	s->pushed_by = str_dup(js, "pushed_by");
	s->deadline = str_dup(js, "deadline");
	s->date_source = str_dup(js, "date_source");
	s->evidence_time = str_dup(js, "evidence_time");
	s->late = json_is_true(json_object_get(js, "late"));
	s->days_late = num(js, "days_late");
	s->days_charged = num(js, "days_charged");
	s->late_penalty = num(js, "late_penalty");
	s->late_policy = str_dup(js, "late_policy");
	const json_t *notes = json_object_get(js, "notes");
	size_t n = json_array_size(notes);
	s->notes = xcalloc(n ? n : 1, sizeof(*s->notes));
	for (size_t i = 0; i < n; i++) {
		const char *note = json_string_value(json_array_get(notes, i));
		if (note)
			s->notes[s->n_notes++] = xstrdup(note);
	}
	return s;
}

int book_revive(struct revived *out, const char *json, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	json_error_t je;
	json_t *j = json_loads(json ? json : "", 0, &je);
	if (!j)
		return fail(err, errlen, "a stored report is not JSON: %s", je.text);
	const json_t *exs = json_object_get(j, "exercises");
	if (!json_is_object(j) || !json_is_array(exs)) {
		json_decref(j);
		return fail(err, errlen, "%s", "a stored report has no exercises");
	}
	struct grade_result *g = &out->g;
	size_t n = json_array_size(exs);
	out->exercises = xcalloc(n ? n : 1, sizeof(*out->exercises));
	out->n_exercises = n;
	g->exercises = xcalloc(n ? n : 1, sizeof(*g->exercises));
	g->n_exercises = n;
	g->submission = str_dup(j, "submission");
	if (!g->submission)
		g->submission = xstrdup("");
	const char *python = json_string_value(json_object_get(json_object_get(j, "grader"), "python"));
	snprintf(g->python, sizeof(g->python), "%s", python ? python : "");
	g->score = num(j, "score");
	g->max_score = num(j, "max_score");
	g->bonus_score = num(j, "bonus_score");
	g->bonus_max = num(j, "bonus_max");
	g->seconds = num(j, "seconds");
	g->source = revive_source(json_object_get(j, "source"));
	for (size_t i = 0; i < n; i++) {
		const json_t *je_ = json_array_get(exs, i), *checks = json_object_get(je_, "checks");
		struct exercise *ex = &out->exercises[i];
		struct exercise_result *er = &g->exercises[i];
		size_t nc = json_array_size(checks);
		ex->id = str_dup(je_, "id");
		if (!ex->id)
			ex->id = xstrdup("?");
		ex->title = str_dup(je_, "title");
		ex->checks = xcalloc(nc ? nc : 1, sizeof(*ex->checks));
		ex->n_checks = nc;
		*er = (struct exercise_result){
			.exercise = ex, .checks = xcalloc(nc ? nc : 1, sizeof(*er->checks)), .n_checks = nc,
			.score = num(je_, "score"), .max_score = num(je_, "max_score"),
			.bonus_score = num(je_, "bonus_score"), .bonus_max = num(je_, "bonus_max"),
			.error = str_dup(je_, "error"),
		};
		for (size_t k = 0; k < nc; k++)
			revive_check(&ex->checks[k], &er->checks[k], json_array_get(checks, k));
	}
	json_decref(j);
	return 0;
}

void book_revived_release(struct revived *r)
{
	grade_result_release(&r->g);
	for (size_t i = 0; i < r->n_exercises; i++) {
		struct exercise *ex = &r->exercises[i];
		for (size_t k = 0; k < ex->n_checks; k++) {
			free(ex->checks[k].id);
			free(ex->checks[k].description);
		}
		free(ex->checks);
		free(ex->id);
		free(ex->title);
	}
	free(r->exercises);
	memset(r, 0, sizeof(*r));
}
