/*
 * feedback.c - per-student files from the gradebook (export.h): each
 * student's reports, revived from the stored JSON (revive.h) and written
 * by the report formats in the student's view: `grade export feedback`
 * (text, Markdown, JSON) and `grade export gradescope` (results.json).
 */
#include "book/export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/error.h"
#include "base/util.h"
#include "book/revive.h"
#include "report/report.h"

static int make_dir(const char *path, char *err, size_t errlen)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return fail_errno(err, errlen, errno, "cannot create '%s'", path);
	return 0;
}

static int write_text(const char *path, const char *text, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return fail_errno(err, errlen, errno, "cannot write '%s'", path);
	int rc = fputs(text, f) < 0 ? -1 : 0;
	if (fclose(f) != 0 || rc < 0)
		return fail_errno(err, errlen, errno, "cannot write '%s'", path);
	return 0;
}

/* A report of the student's, in 'format', written to a file of theirs. */
struct output {
	const char *format, *file;
};

/* What an export writes for each student: its reports, and what to say
 * of a student without one. */
struct per_student {
	const struct output *outputs;
	size_t n_outputs;
	int (*no_report)(const struct book_row *r, const char *path, char *err, size_t errlen);
	const char *no_report_file;
};

/* One student's reports in 'sub'. */
static int write_reports(const struct per_student *ps, const struct book_row *r, const char *sub, char *err,
			 size_t errlen)
{
	struct revived rv;
	int rc = book_revive(&rv, r->report, err, errlen);
	/* The student's view, whatever the gradebook keeps. */
	struct report_options ro = { .instructor = false };
	for (size_t i = 0; rc == 0 && i < ps->n_outputs; i++) {
		char *text = report_format_string(report_format_by_name(ps->outputs[i].format), &rv.g, &ro);
		char *path = xasprintf("%s/%s", sub, ps->outputs[i].file);
		rc = text ? write_text(path, text, err, errlen) : fail(err, errlen, "cannot format %s", path);
		free(path);
		free(text);
	}
	book_revived_release(&rv);
	return rc;
}

/* DIR/<student>/... for every student of t. */
static int export_each(const struct per_student *ps, const struct book_table *t, const char *dir,
		       size_t *written, char *err, size_t errlen)
{
	*written = 0;
	if (make_dir(dir, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		const struct book_row *r = &t->rows[i];
		char *name = book_file_name(r->student), *sub = xasprintf("%s/%s", dir, name);
		int rc = make_dir(sub, err, errlen);
		if (rc == 0 && r->report) {
			rc = write_reports(ps, r, sub, err, errlen);
		} else if (rc == 0) {
			char *path = xasprintf("%s/%s", sub, ps->no_report_file);
			rc = ps->no_report(r, path, err, errlen);
			free(path);
		}
		free(name);
		free(sub);
		if (rc < 0)
			return -1;
		(*written)++;
	}
	return 0;
}

/* Why a student has no report, in a sentence. */
static char *no_report_reason(const struct book_row *r)
{
	return xasprintf("%s: no report (%s)%s%s", r->student, r->status, r->error ? ": " : "",
			 r->error ? r->error : "");
}

static int no_report_text(const struct book_row *r, const char *path, char *err, size_t errlen)
{
	char *reason = no_report_reason(r), *text = xasprintf("%s\n", reason);
	int rc = write_text(path, text, err, errlen);
	free(text);
	free(reason);
	return rc;
}

static int no_report_gradescope(const struct book_row *r, const char *path, char *err, size_t errlen)
{
	char *reason = no_report_reason(r), *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	int rc = m ? report_gradescope_ungraded(m, reason) : -1;
	if (m && fclose(m) != 0)
		rc = -1;
	rc = rc == 0 ? write_text(path, text, err, errlen) : fail(err, errlen, "cannot format %s", path);
	free(text);
	free(reason);
	return rc;
}

int book_export_feedback(const struct book_table *t, const char *dir, size_t *written, char *err, size_t errlen)
{
	static const struct output outputs[] = {
		{ "text", "report.txt" }, { "markdown", "report.md" }, { "json", "report.json" },
	};
	static const struct per_student ps = { outputs, ARRAY_SIZE(outputs), no_report_text, "report.txt" };
	return export_each(&ps, t, dir, written, err, errlen);
}

int book_export_gradescope(const struct book_table *t, const char *dir, size_t *written, char *err, size_t errlen)
{
	static const struct output outputs[] = { { "gradescope", "results.json" } };
	static const struct per_student ps = { outputs, ARRAY_SIZE(outputs), no_report_gradescope, "results.json" };
	return export_each(&ps, t, dir, written, err, errlen);
}
