/*
 * gitlab.c - a GitLab Code Quality report (`--report gitlab=FILE`,
 * artifacts:reports:codequality): a JSON array with one issue per check
 * that did not pass, on the student's file and line.  With the JUnit
 * report it fills the merge request's widgets.
 *
 * The fingerprint names the issue across pipelines, so that GitLab can
 * tell a fixed check from a new one: a hash of the file, the exercise and
 * the check, never of the message (which holds numbers that change).
 */
#include "report/report.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static const char *severity(const struct check_result *cr)
{
	if (cr->harness_error)
		return "info";
	switch (cr->status) {
	case STATUS_FAIL: return "major";
	case STATUS_FORBIDDEN: return "blocker";
	default: return "critical";   /* error, timeout, memory, crash: the code did not finish */
	}
}

/* FNV-1a (64 bits) over the parts, each with its NUL. */
static char *fingerprint(const char *const *parts, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (size_t i = 0; i < n; i++)
		for (const unsigned char *p = (const unsigned char *)parts[i];; p++) {
			h = (h ^ *p) * 0x100000001b3u;
			if (!*p)
				break;
		}
	return xasprintf("%016llx", (unsigned long long)h);
}

static json_t *issue(const struct grade_result *g, const struct exercise_result *e, const struct check_result *cr,
		     const struct report_options *opt)
{
	char *path = report_hides(cr, opt) ? NULL : report_student_path(g, cr);
	char *text = report_check_text(cr, opt);
	char *title = xasprintf("%s/%s: %s", e->exercise->id, cr->check->id, text);
	char *clean = report_clean(title, REPORT_MESSAGE_MAX);
	const char *file = path ? path : ".";
	const char *parts[] = { file, e->exercise->id, cr->check->id };
	char *fp = fingerprint(parts, ARRAY_SIZE(parts));
	char *check_name = xasprintf("%s/%s", e->exercise->id, cr->check->id);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:{s:i}}}", "type", "issue", "description", clean,
			      "check_name", check_name, "fingerprint", fp, "severity", severity(cr), "location", "path",
			      file, "lines", "begin", cr->line > 0 && path ? cr->line : 1);
	free(check_name);
	free(fp);
	free(clean);
	free(title);
	free(text);
	free(path);
	return j;
}

/* An issue about the source, not about a check: GitLab knows the
 * pipeline's commit, so what it is told is what it cannot know (a dirty
 * work tree, a late commit, a refused file, a doubtful date).  'what'
 * names the issue across pipelines, never 'text' (numbers that change). */
static json_t *source_issue(const char *what, const char *text)
{
	const char *parts[] = { ".", "grade/source", what };
	char *fp = fingerprint(parts, ARRAY_SIZE(parts));
	char *description = xasprintf("grade/source: %s", text);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:{s:i}}}", "type", "issue", "description", description,
			      "check_name", "grade/source", "fingerprint", fp, "severity", "info", "location", "path", ".",
			      "lines", "begin", 1);
	free(description);
	free(fp);
	return j;
}

static void source_issues(json_t *list, const struct grade_result *g)
{
	struct report_source rs;
	if (!report_source_words(&rs, g))
		return;
	/* lines[0] is the origin, which GitLab knows; then the dirty work
	 * tree and the deadline, when they apply. */
	for (size_t i = 1; i < rs.n_lines; i++) {
		bool dirty = i == 1 && g->source->worktree && g->source->dirty;
		if (dirty || g->source->late)
			json_array_append_new(list, source_issue(dirty ? "dirty" : "late", rs.lines[i]));
	}
	for (size_t i = 0; i < rs.n_notes; i++)
		json_array_append_new(list, source_issue(rs.notes[i], rs.notes[i]));
	report_source_release(&rs);
}

static int write_gitlab(FILE *out, const struct grade_result *g, const struct report_options *opt)
{
	json_t *list = json_array();
	for (size_t i = 0; i < g->n_exercises; i++)
		for (size_t j = 0; j < g->exercises[i].n_checks; j++) {
			const struct check_result *cr = &g->exercises[i].checks[j];
			if (cr->status != STATUS_PASS && cr->status != STATUS_SKIPPED)
				json_array_append_new(list, issue(g, &g->exercises[i], cr, opt));
		}
	source_issues(list, g);
	int rc = json_dumpf(list, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(list);
	return rc < 0 || fputc('\n', out) == EOF ? -1 : 0;
}

const struct report_format report_format_gitlab = {
	.name = "gitlab",
	.one_submission = true,
	.write = write_gitlab,
};
