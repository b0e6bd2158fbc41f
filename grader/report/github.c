/*
 * github.c - GitHub Actions workflow commands (`--report github=-`): one
 * annotation per check that did not pass, on the student's file and line
 * when known, and the total as a notice.
 *
 *   ::error file=refcount.py,line=12,title=refcount/fresh-object::message%0Afeedback
 *
 * Escaping follows the runner's: in the message %, CR and LF become %25,
 * %0D and %0A; in property values also ':' and ',' (%3A, %2C).  A message
 * therefore never spans lines, and nothing in it can end the properties or
 * start another command.
 */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static void put_escaped(FILE *out, const char *text, bool property)
{
	char *clean = report_clean(text, REPORT_MESSAGE_MAX);
	for (const char *p = clean; *p; p++) {
		switch (*p) {
		case '%': fputs("%25", out); break;
		case '\r': fputs("%0D", out); break;
		case '\n': fputs("%0A", out); break;
		case ':': fputs(property ? "%3A" : ":", out); break;
		case ',': fputs(property ? "%2C" : ",", out); break;
		default: fputc(*p, out);
		}
	}
	free(clean);
}

/* What an annotation says: what happened and the feedback (the output is
 * in the other reports). */
static char *annotation_text(const struct check_result *cr, const struct report_options *opt)
{
	if (report_hides(cr, opt))
		return xstrdup("hidden check");
	if (cr->feedback)
		return xasprintf("%s\n%s", cr->message ? cr->message : "", cr->feedback);
	return xstrdup(cr->message ? cr->message : check_status_name(cr->status));
}

static bool annotated(const struct check_result *cr)
{
	return cr->status != STATUS_PASS && cr->status != STATUS_SKIPPED;
}

static bool same_story(const struct check_result *a, const struct check_result *b, const struct report_options *opt)
{
	return !report_hides(a, opt) && !report_hides(b, opt) && a->message && b->message && !strcmp(a->message, b->message) &&
	       a->status == b->status;
}

/* The source as a notice (its lines, one per message line) and each note
 * as a warning: a refused file or a doubtful date is the student's to see. */
static void put_source(FILE *out, const struct grade_result *g)
{
	struct report_source rs;
	if (!report_source_words(&rs, g))
		return;
	fputs("::notice title=grade source::", out);
	for (size_t i = 0; i < rs.n_lines; i++) {
		fputs(i ? "%0A" : "", out);
		put_escaped(out, rs.lines[i], false);
	}
	fputc('\n', out);
	for (size_t i = 0; i < rs.n_notes; i++) {
		fputs("::warning title=grade source::", out);
		put_escaped(out, rs.notes[i], false);
		fputc('\n', out);
	}
	report_source_release(&rs);
}

static int write_github(FILE *out, const struct grade_result *g, const struct report_options *opt)
{
	for (size_t i = 0; i < g->n_exercises; i++) {
		const struct exercise_result *e = &g->exercises[i];
		if (e->error) {
			fputs("::warning title=", out);
			put_escaped(out, e->exercise->id, true);
			fputs("::", out);
			put_escaped(out, e->error, false);
			fputc('\n', out);
		}
		for (size_t j = 0; j < e->n_checks; j++) {
			const struct check_result *cr = &e->checks[j];
			if (!annotated(cr))
				continue;
			/* One annotation for the checks of an exercise that say
			 * the same (a missing file fails them all). */
			size_t same = 0;
			bool earlier = false;
			for (size_t k = 0; k < e->n_checks; k++)
				if (k != j && annotated(&e->checks[k]) && same_story(cr, &e->checks[k], opt)) {
					earlier |= k < j;
					same += k > j;
				}
			if (earlier)
				continue;
			char *path = report_hides(cr, opt) ? NULL : report_student_path(g, cr);
			fputs(cr->harness_error ? "::warning " : "::error ", out);
			if (path) {
				fputs("file=", out);
				put_escaped(out, path, true);
				if (cr->line > 0)
					fprintf(out, ",line=%d", cr->line);
				fputc(',', out);
			}
			fputs("title=", out);
			put_escaped(out, e->exercise->id, true);
			fputc('/', out);
			put_escaped(out, cr->check->id, true);
			if (same)
				fprintf(out, " (and %zu more)", same);
			fputs("::", out);
			char *text = annotation_text(cr, opt);
			put_escaped(out, text, false);
			fputc('\n', out);
			free(text);
			free(path);
		}
	}
	put_source(out, g);
	char a[32], b[32];
	report_points(a, sizeof(a), g->score - g->bonus_score);
	report_points(b, sizeof(b), g->max_score);
	fputs("::notice title=grade::", out);
	put_escaped(out, g->submission ? g->submission : "", false);
	fprintf(out, ": score %s/%s", a, b);
	if (g->bonus_max > 0) {
		report_points(a, sizeof(a), g->bonus_score);
		fprintf(out, " (+%s bonus)", a);
	}
	/* '%' is the escape character of workflow commands. */
	fprintf(out, " (%.0f%%25)\n", g->max_score > 0 ? 100.0 * (g->score - g->bonus_score) / g->max_score : 0.0);
	return ferror(out) ? -1 : 0;
}

const struct report_format report_format_github = {
	.name = "github",
	.write = write_github,
};
