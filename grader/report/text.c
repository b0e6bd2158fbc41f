#include "report/report.h"

#include <math.h>
#include <string.h>

#include "grade_config.h"
#include "base/buf.h"
#include "base/util.h"

static const char *status_label(enum check_status s)
{
	static const char *const labels[STATUS_COUNT] = {
		"pass", "FAIL", "ERROR", "TIMEOUT", "MEMORY", "CRASH", "FORBIDDEN", "skip",
	};
	return s < STATUS_COUNT ? labels[s] : "?";
}

static const char *status_color(enum check_status s)
{
	switch (s) {
	case STATUS_PASS: return "\033[32m";
	case STATUS_FAIL: return "\033[31m";
	case STATUS_SKIPPED: return "\033[2m";
	default: return "\033[1;35m";
	}
}

/* Student text made safe for a terminal: valid UTF-8 without control
 * characters (report_clean), and no CR either, which could return to the
 * start of the line and write over what grade printed.  New string. */
static char *terminal_text(const char *text)
{
	char *clean = report_clean(text, 0);
	struct buf b = BUF_INIT((size_t)1 << 40);
	for (const char *p = clean; *p; p++) {
		if (*p == '\r')
			buf_puts(&b, "\xef\xbf\xbd");
		else
			buf_append(&b, p, 1);
	}
	free(clean);
	return buf_detach(&b, NULL);
}

/* Lines of at most 200 bytes, never cut inside a UTF-8 sequence. */
static void print_indented(FILE *out, const char *prefix, const char *text, size_t max_lines)
{
	size_t lines = 0;
	char *safe = terminal_text(text);
	const char *p = safe;
	while (*p && lines < max_lines) {
		size_t n = strcspn(p, "\n"), shown = n;
		if (shown > 200) {
			shown = 200;
			while (shown > 0 && ((unsigned char)p[shown] & 0xc0) == 0x80)
				shown--;
		}
		fprintf(out, "%s%.*s\n", prefix, (int)shown, p);
		lines++;
		p += n;
		if (*p == '\n')
			p++;
	}
	if (*p)
		fprintf(out, "%s...\n", prefix);
	free(safe);
}

/* " (+1 bonus)" after a score, when there were bonus points to get. */
static void print_bonus(FILE *out, double score, double max)
{
	char a[32];
	if (max <= 0)
		return;
	report_points(a, sizeof(a), score);
	fprintf(out, " (+%s bonus)", a);
}

/* The source under the header: its origin, the dirty work tree and the
 * deadline indented below it, then the notes as a list (report.c's words,
 * whole: they are on one line and bounded already). */
static void print_source(FILE *out, const struct grade_result *g)
{
	struct report_source rs;
	if (!report_source_words(&rs, g))
		return;
	for (size_t i = 0; i < rs.n_lines; i++) {
		char *safe = terminal_text(rs.lines[i]);
		fprintf(out, "%s%s\n", i ? "  " : "source: ", safe);
		free(safe);
	}
	if (rs.n_notes)
		fputs("  notes:\n", out);
	for (size_t i = 0; i < rs.n_notes; i++) {
		char *safe = terminal_text(rs.notes[i]);
		fprintf(out, "    - %s\n", safe);
		free(safe);
	}
	report_source_release(&rs);
}

static int write_text(FILE *out, const struct grade_result *g, const struct report_options *opt)
{
	const char *bold = opt->color ? "\033[1m" : "", *dim = opt->color ? "\033[2m" : "",
		   *off = opt->color ? "\033[0m" : "";
	char a[32], b[32];
	/* "3.11.2 (main, ...) [GCC ...]": the version number is enough here. */
	int vlen = (int)strcspn(g->python, " ");
	fprintf(out, "%sgrade %s%s %s· Python %.*s · %s%s\n", bold, GRADE_VERSION, off, dim,
		vlen ? vlen : 1, g->python[0] ? g->python : "?", g->submission, off);
	print_source(out, g);
	for (size_t i = 0; i < g->n_exercises; i++) {
		const struct exercise_result *e = &g->exercises[i];
		report_points(a, sizeof(a), e->score - e->bonus_score);
		report_points(b, sizeof(b), e->max_score);
		fprintf(out, "\n%s%s%s", bold, e->exercise->id, off);
		if (e->exercise->title)
			fprintf(out, " — %s", e->exercise->title);
		fprintf(out, "  %s%s/%s%s", bold, a, b, off);
		print_bonus(out, e->bonus_score, e->bonus_max);
		fputc('\n', out);
		if (e->error)
			fprintf(out, "  %s\n", e->error);
		for (size_t j = 0; j < e->n_checks; j++) {
			const struct check_result *cr = &e->checks[j];
			const struct check *c = cr->check;
			bool hide = report_hides(cr, opt);
			report_points(a, sizeof(a), cr->score);
			report_points(b, sizeof(b), cr->max_score);
			fprintf(out, "  %s%-9s%s %-22s %s%s/%s", opt->color ? status_color(cr->status) : "",
				status_label(cr->status), off, c->id, c->bonus ? "+" : "", a, b);
			if (hide)
				fprintf(out, "  %s(hidden check)%s\n", dim, off);
			else if (c->description)
				fprintf(out, "  %s%s%s\n", dim, c->description, off);
			else
				fputc('\n', out);
			if (hide || cr->status == STATUS_PASS)
				continue;
			if (cr->message)
				print_indented(out, "      ", cr->message, 4);
			if (cr->feedback)
				print_indented(out, "      → ", cr->feedback, 6);
			if (cr->output && cr->status != STATUS_SKIPPED) {
				fprintf(out, "      %sprinted:%s\n", dim, off);
				print_indented(out, "        | ", cr->output, 5);
			}
		}
	}
	double regular = g->score - g->bonus_score;
	report_points(a, sizeof(a), regular);
	report_points(b, sizeof(b), g->max_score);
	fprintf(out, "\n%sScore: %s/%s%s", bold, a, b, off);
	print_bonus(out, g->bonus_score, g->bonus_max);
	fprintf(out, " (%.0f%%) %sin %.2f s%s\n", g->max_score > 0 ? 100.0 * regular / g->max_score : 0.0, dim,
		g->seconds, off);
	return ferror(out) ? -1 : 0;
}

const struct report_format report_format_text = {
	.name = "text",
	.write = write_text,
};
