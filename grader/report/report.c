#include "report/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/util.h"

extern const struct report_format report_format_text;
extern const struct report_format report_format_json;
extern const struct report_format report_format_junit;
extern const struct report_format report_format_markdown;
extern const struct report_format report_format_github;
extern const struct report_format report_format_gitlab;
extern const struct report_format report_format_classroom;
extern const struct report_format report_format_gradescope;

static const struct report_format *const formats[] = {
	&report_format_text,
	&report_format_json,
	&report_format_junit,
	&report_format_markdown,
	&report_format_github,
	&report_format_gitlab,
	&report_format_classroom,
	&report_format_gradescope,
};

const struct report_format *report_format_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		if (!strcmp(formats[i]->name, name))
			return formats[i];
	return NULL;
}

void report_format_names(char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(formats) && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? (i + 1 == ARRAY_SIZE(formats) ? " or " : ", ") : "",
				 formats[i]->name);
		used += w > 0 ? (size_t)w : 0;
	}
}

char *report_format_string(const struct report_format *f, const struct grade_result *g,
			   const struct report_options *opt)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&mem, &len);
	if (!m)
		return NULL;
	int rc = f->write(m, g, opt);
	if (fclose(m) != 0)
		rc = -1;
	if (rc < 0) {
		free(mem);
		return NULL;
	}
	return mem;
}

void report_points(char *buf, size_t len, double v)
{
	double r = round(v * 100) / 100;
	if (r == floor(r))
		snprintf(buf, len, "%.0f", r);
	else
		snprintf(buf, len, "%g", r);
}

json_t *report_number(double v)
{
	double r = round(v * 1000) / 1000;
	if (r == floor(r) && fabs(r) < 1e15)
		return json_integer((json_int_t)r);
	return json_real(r);
}

bool report_hides(const struct check_result *cr, const struct report_options *opt)
{
	return cr->check->hidden && !opt->instructor;
}

char *report_student_path(const struct grade_result *g, const struct check_result *cr)
{
	if (!cr->file)
		return NULL;
	const char *dir = g->submission ? g->submission : ".";
	char cwd[4096];
	size_t n;
	/* An absolute directory under the working directory (the checkout,
	 * in CI) is named relative to it. */
	if (dir[0] == '/' && getcwd(cwd, sizeof(cwd)) && (n = strlen(cwd)) > 1 && !strncmp(dir, cwd, n) &&
	    (dir[n] == '/' || !dir[n]))
		dir += n + (dir[n] == '/');
	while (dir[0] == '.' && dir[1] == '/')
		dir += 2;
	if (!strcmp(dir, "."))
		dir = "";
	size_t len = strlen(dir);
	while (len && dir[len - 1] == '/')
		len--;
	return len ? xasprintf("%.*s/%s", (int)len, dir, cr->file) : xstrdup(cr->file);
}

char *report_check_text(const struct check_result *cr, const struct report_options *opt)
{
	if (report_hides(cr, opt))
		return xstrdup("hidden check");
	struct buf b = BUF_INIT((size_t)1 << 40);
	char *msg = report_clean(cr->message, REPORT_MESSAGE_MAX);
	buf_puts(&b, msg);
	free(msg);
	if (cr->feedback) {
		char *fb = report_clean(cr->feedback, REPORT_MESSAGE_MAX);
		buf_printf(&b, "\n%s", fb);
		free(fb);
	}
	if (cr->output && *cr->output && cr->status != STATUS_SKIPPED) {
		char *out = report_clean(cr->output, REPORT_OUTPUT_MAX);
		buf_printf(&b, "\nprinted:\n%s", out);
		free(out);
	}
	return buf_detach(&b, NULL);
}

void report_exercise_factors(const struct exercise_result *e, double *regular, double *bonus)
{
	double max = 0, got_bonus = 0;
	for (size_t j = 0; j < e->n_checks; j++) {
		if (e->checks[j].check->bonus)
			got_bonus += e->checks[j].score;
		else
			max += e->checks[j].max_score;
	}
	*regular = max > 0 && e->max_score > 0 ? e->max_score / max : 1;
	*bonus = got_bonus > 0 ? e->bonus_score / got_bonus : 0;
}

void report_settle_rounding(json_t *tests, const char *key, double total)
{
	double sum = 0, best = 0;
	json_t *largest = NULL; /* borrowed */
	size_t i;
	json_t *t;
	json_array_foreach(tests, i, t) {
		double v = json_number_value(json_object_get(t, key));
		sum += v;
		if (v > best) {
			best = v;
			largest = t;
		}
	}
	double want = round(total * 1000) / 1000;
	if (largest && fabs(want - sum) > 1e-9)
		json_object_set_new(largest, key, report_number(best + (want - sum)));
}

/* ---- the source: where the graded files came from -------------------------- */

/* Cleaned and on one line: a branch or file name may hold anything. */
static char *one_line(const char *s)
{
	char *clean = report_clean(s, REPORT_MESSAGE_MAX);
	for (char *p = clean; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return clean;
}

const char *report_source_short_id(const struct grade_source *s, char buf[16])
{
	snprintf(buf, 16, "%.12s", s->commit ? s->commit : "");
	return buf;
}

double report_score_after_penalty(const struct grade_result *g)
{
	if (!g->source || !(g->source->late_penalty > 0))
		return g->score;
	double after = g->score - g->source->late_penalty;
	return after > 0 ? after : 0;
}

static char *origin_line(const struct grade_source *s)
{
	struct buf b = BUF_INIT((size_t)1 << 20);
	char id[16];
	buf_printf(&b, "repository %s", s->repo ? s->repo : "?");
	if (s->branch)
		buf_printf(&b, ", branch %s", s->branch);
	else if (s->worktree && s->commit)
		buf_puts(&b, ", detached HEAD");
	if (s->commit) {
		buf_printf(&b, ", commit %s", report_source_short_id(s, id));
		if (s->commit_time)
			buf_printf(&b, " (%s)", s->commit_time);
	} else {
		buf_puts(&b, ", no commit yet");
	}
	if (s->pushed_at)
		buf_printf(&b, ", pushed %s (%s)", s->pushed_at, s->pushed_by ? s->pushed_by : "?");
	buf_puts(&b, s->worktree ? ": the work tree's files" : ": the commit's files");
	char *text = buf_detach(&b, NULL);
	char *line = one_line(text);
	free(text);
	return line;
}

static char *deadline_line(const struct grade_result *g)
{
	const struct grade_source *s = g->source;
	struct buf b = BUF_INIT((size_t)1 << 20);
	char a[32], m[32];
	buf_printf(&b, "deadline %s (date source: %s, evidence time: %s): ", s->deadline,
		   s->date_source ? s->date_source : "?", s->evidence_time ? s->evidence_time : "?");
	if (!s->late) {
		buf_puts(&b, "on time");
	} else {
		report_points(a, sizeof(a), s->days_late);
		report_points(m, sizeof(m), s->days_charged);
		buf_printf(&b, "%s day%s late (%s charged), ", a, !strcmp(a, "1") ? "" : "s", m);
		if (s->late_penalty > 0) {
			report_points(a, sizeof(a), s->late_penalty);
			buf_printf(&b, "penalty %s point%s", a, !strcmp(a, "1") ? "" : "s");
		} else {
			buf_puts(&b, "no penalty");
		}
		if (s->late_policy)
			buf_printf(&b, " (late policy: %s)", s->late_policy);
		report_points(a, sizeof(a), report_score_after_penalty(g));
		report_points(m, sizeof(m), g->max_score);
		buf_printf(&b, ", score after the penalty %s/%s", a, m);
	}
	char *text = buf_detach(&b, NULL);
	char *line = one_line(text);
	free(text);
	return line;
}

bool report_source_words(struct report_source *out, const struct grade_result *g)
{
	memset(out, 0, sizeof(*out));
	const struct grade_source *s = g->source;
	if (!s)
		return false;
	out->lines[out->n_lines++] = origin_line(s);
	if (s->worktree && s->dirty)
		out->lines[out->n_lines++] = xstrdup("dirty work tree: uncommitted changes were graded");
	if (s->deadline)
		out->lines[out->n_lines++] = deadline_line(g);
	out->notes = xcalloc(s->n_notes ? s->n_notes : 1, sizeof(*out->notes));
	for (size_t i = 0; i < s->n_notes; i++)
		out->notes[out->n_notes++] = one_line(s->notes[i]);
	return true;
}

void report_source_release(struct report_source *s)
{
	for (size_t i = 0; i < s->n_lines; i++)
		free(s->lines[i]);
	free_strings(s->notes, s->n_notes);
	memset(s, 0, sizeof(*s));
}
