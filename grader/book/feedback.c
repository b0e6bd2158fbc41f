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

/* One student's three reports in 'sub'. */
static int write_reports(const struct book_row *r, const char *sub, char *err, size_t errlen)
{
	static const struct { const char *format, *file; } outputs[] = {
		{ "text", "report.txt" }, { "markdown", "report.md" }, { "json", "report.json" },
	};
	struct revived rv;
	int rc = book_revive(&rv, r->report, err, errlen);
	/* The student's view, whatever the gradebook keeps. */
	struct report_options ro = { .instructor = false };
	for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(outputs); i++) {
		char *text = report_format_string(report_format_by_name(outputs[i].format), &rv.g, &ro);
		char *path = xasprintf("%s/%s", sub, outputs[i].file);
		rc = text ? write_text(path, text, err, errlen) : fail(err, errlen, "cannot format %s", path);
		free(path);
		free(text);
	}
	book_revived_release(&rv);
	return rc;
}

int book_export_feedback(const struct book_table *t, const char *dir, size_t *written, char *err, size_t errlen)
{
	*written = 0;
	if (make_dir(dir, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		const struct book_row *r = &t->rows[i];
		char *name = book_file_name(r->student), *sub = xasprintf("%s/%s", dir, name);
		int rc = make_dir(sub, err, errlen);
		if (rc == 0 && r->report) {
			rc = write_reports(r, sub, err, errlen);
		} else if (rc == 0) {
			char *path = xasprintf("%s/report.txt", sub);
			char *text = xasprintf("%s: no report (%s)%s%s\n", r->student, r->status, r->error ? ": " : "",
					       r->error ? r->error : "");
			rc = write_text(path, text, err, errlen);
			free(text);
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
