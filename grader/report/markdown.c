/*
 * markdown.c - the GitHub-flavoured Markdown report (`--report
 * markdown=FILE`; what grade appends to $GITHUB_STEP_SUMMARY).
 *
 * The total first, then a table per exercise (check, status, points),
 * then each check that did not pass in a <details> block with what
 * happened, the feedback and what the code printed.
 *
 * Escaping, for text the student controls: prose has every ASCII
 * punctuation character backslash-escaped (CommonMark allows it for all of
 * them, so no markup, HTML or table pipe survives) and its lines joined by
 * hard breaks; text inside HTML (the summary line) is HTML-escaped; output
 * goes in a code fence longer than any run of backticks in it.
 */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"

static const char *status_icon(enum check_status s)
{
	static const char *const icons[STATUS_COUNT] = {
		"✅", "❌", "⚠️", "⏱️", "💾", "💥", "🚫", "⏭️",
	};
	return s < STATUS_COUNT ? icons[s] : "?";
}

void report_md_prose(FILE *out, const char *text, size_t max, const char *newline)
{
	char *clean = report_clean(text, max);
	for (const char *p = clean; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '\n')
			fputs(p[1] ? newline : "", out);
		else if (ch == '\r' || ch == '\t')
			fputc(' ', out);
		else if (ch < 0x80 && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", ch))
			fprintf(out, "\\%c", ch);
		else
			fputc(ch, out);
	}
	free(clean);
}

static void put_html(FILE *out, const char *text)
{
	char *clean = report_clean(text, REPORT_MESSAGE_MAX);
	for (const char *p = clean; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\n': fputc(' ', out); break;
		default: fputc(*p, out);
		}
	}
	free(clean);
}

void report_md_code(FILE *out, const char *text)
{
	char *clean = report_clean(text, REPORT_OUTPUT_MAX);
	size_t run = 0, longest = 0;
	for (const char *p = clean; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		longest = run > longest ? run : longest;
	}
	int fence = longest < 3 ? 3 : (int)longest + 1;
	size_t n = strlen(clean);
	fprintf(out, "%.*s\n%s%s%.*s\n\n", fence, "````````````````````````````````", clean,
		n && clean[n - 1] != '\n' ? "\n" : "", fence, "````````````````````````````````");
	free(clean);
}

void report_md_points(FILE *out, double score, double max, double bonus, double bonus_max)
{
	char a[32], b[32];
	report_points(a, sizeof(a), score - bonus);
	report_points(b, sizeof(b), max);
	fprintf(out, "%s/%s", a, b);
	if (bonus_max > 0) {
		report_points(a, sizeof(a), bonus);
		fprintf(out, " (+%s bonus)", a);
	}
}

void report_md_check(FILE *out, const struct check_result *cr, const struct report_options *opt)
{
	if (report_hides(cr, opt)) {
		fputs("hidden check\n\n", out);
		return;
	}
	if (cr->file) {
		fputs("at ", out);
		report_md_prose(out, cr->file, 256, " ");
		if (cr->line > 0)
			fprintf(out, "\\:%d", cr->line);
		fputs("\\\n", out);
	}
	report_md_prose(out, cr->message ? cr->message : "", REPORT_MESSAGE_MAX, "\\\n");
	fputs("\n\n", out);
	if (cr->feedback) {
		fputs("→ ", out);
		report_md_prose(out, cr->feedback, REPORT_MESSAGE_MAX, "\\\n");
		fputs("\n\n", out);
	}
	if (cr->output && *cr->output && cr->status != STATUS_SKIPPED) {
		fputs("printed:\n\n", out);
		report_md_code(out, cr->output);
	}
}

static void put_details(FILE *out, const struct exercise_result *e, const struct check_result *cr,
			const struct report_options *opt)
{
	fprintf(out, "<details><summary>%s ", status_icon(cr->status));
	put_html(out, e->exercise->id);
	fputs(" / ", out);
	put_html(out, cr->check->id);
	fprintf(out, ": %s</summary>\n\n", check_status_name(cr->status));
	report_md_check(out, cr, opt);
	fputs("</details>\n\n", out);
}

void report_md_source(FILE *out, const struct grade_result *g)
{
	struct report_source rs;
	if (!report_source_words(&rs, g))
		return;
	fputs("Source: ", out);
	for (size_t i = 0; i < rs.n_lines; i++) {
		fputs(i ? "\\\n" : "", out);
		report_md_prose(out, rs.lines[i], REPORT_MESSAGE_MAX, " ");
	}
	fputs("\n\n", out);
	if (rs.n_notes)
		fputs("Notes:\n\n", out);
	for (size_t i = 0; i < rs.n_notes; i++) {
		fputs("- ", out);
		report_md_prose(out, rs.notes[i], REPORT_MESSAGE_MAX, " ");
		fputc('\n', out);
	}
	if (rs.n_notes)
		fputc('\n', out);
	report_source_release(&rs);
}

static int write_markdown(FILE *out, const struct grade_result *g, const struct report_options *opt)
{
	double regular = g->score - g->bonus_score;
	fputs("## grade: ", out);
	report_md_points(out, g->score, g->max_score, g->bonus_score, g->bonus_max);
	fprintf(out, " (%.0f%%)\n\n", g->max_score > 0 ? 100.0 * regular / g->max_score : 0.0);
	fputs("Submission ", out);
	report_md_prose(out, g->submission ? g->submission : "", 512, " ");
	int vlen = (int)strcspn(g->python, " ");
	fprintf(out, " · Python %.*s · %.2f s\n\n", vlen ? vlen : 1, g->python[0] ? g->python : "?", g->seconds);
	report_md_source(out, g);
	for (size_t i = 0; i < g->n_exercises; i++) {
		const struct exercise_result *e = &g->exercises[i];
		fputs("### ", out);
		report_md_prose(out, e->exercise->id, 256, " ");
		if (e->exercise->title) {
			fputs(" — ", out);
			report_md_prose(out, e->exercise->title, 256, " ");
		}
		fputs(": ", out);
		report_md_points(out, e->score, e->max_score, e->bonus_score, e->bonus_max);
		fputs("\n\n", out);
		if (e->error) {
			report_md_prose(out, e->error, REPORT_MESSAGE_MAX, "\\\n");
			fputs("\n\n", out);
		}
		fputs("| check | status | points |\n|---|---|---|\n", out);
		for (size_t j = 0; j < e->n_checks; j++) {
			const struct check_result *cr = &e->checks[j];
			char a[32], b[32];
			report_points(a, sizeof(a), cr->score);
			report_points(b, sizeof(b), cr->max_score);
			fputs("| ", out);
			report_md_prose(out, cr->check->id, 256, " ");
			fprintf(out, " | %s %s | %s%s/%s%s |\n", status_icon(cr->status), check_status_name(cr->status),
				cr->check->bonus ? "+" : "", a, b, cr->check->bonus ? " (bonus)" : "");
		}
		fputc('\n', out);
		for (size_t j = 0; j < e->n_checks; j++) {
			const struct check_result *cr = &e->checks[j];
			if (cr->status != STATUS_PASS && cr->status != STATUS_SKIPPED)
				put_details(out, e, cr, opt);
		}
	}
	return ferror(out) ? -1 : 0;
}

const struct report_format report_format_markdown = {
	.name = "markdown",
	.write = write_markdown,
};
