/*
 * export.c - `grade export FORMAT [--gradebook FILE] [TARGET]`: what the
 * gradebook holds now, written for others without grading again
 * (book/export.h): csv [FILE], feedback DIR, gradescope DIR, html FILE,
 * diff [FILE] (book/history.h).
 */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/util.h"
#include "book/book.h"
#include "book/export.h"
#include "book/history.h"

/* Writes what an exporter put in 'b' (when rc is 0) to 'path' whole ("-"
 * or NULL: standard output), and releases b.  Returns 0 or -1 with the
 * message in err. */
static int write_out(int rc, struct buf *b, const char *path, char *err, size_t errlen)
{
	const char *text = b->data ? b->data : "";
	if (rc == 0 && (!path || !strcmp(path, "-")))
		rc = fwrite(text, 1, b->len, stdout) != b->len || fflush(stdout) != 0 ? -1 : 0;
	else if (rc == 0)
		rc = write_file_replace(path, text, b->len);
	if (rc < 0 && !err[0])
		snprintf(err, errlen, "cannot write '%s': %s", path ? path : "standard output", strerror(errno));
	buf_release(b);
	return rc;
}

static int export_csv(struct book *book, const struct book_table *t, const char *target, char *err, size_t errlen)
{
	struct buf b = BUF_INIT((size_t)1 << 40);
	book_export_csv(t, &b);
	return write_out(0, &b, target, err, errlen);
}

/* A directory of per-student files, and what was written. */
static int export_dir(int (*write)(const struct book_table *, const char *, size_t *, char *, size_t),
		      const char *what, const struct book_table *t, const char *target, char *err, size_t errlen)
{
	size_t n = 0;
	if (write(t, target, &n, err, errlen) < 0)
		return -1;
	size_t len = strlen(target);
	while (len > 1 && target[len - 1] == '/')
		len--;
	fprintf(stderr, "grade: %s for %zu students in %.*s/\n", what, n, (int)len, target);
	return 0;
}

static int export_feedback(struct book *book, const struct book_table *t, const char *target, char *err,
			   size_t errlen)
{
	return export_dir(book_export_feedback, "feedback", t, target, err, errlen);
}

static int export_gradescope(struct book *book, const struct book_table *t, const char *target, char *err,
			     size_t errlen)
{
	return export_dir(book_export_gradescope, "gradescope results", t, target, err, errlen);
}

static int export_html(struct book *book, const struct book_table *t, const char *target, char *err, size_t errlen)
{
	struct buf b = BUF_INIT((size_t)1 << 40);
	return write_out(book_export_html(book, t, &b, err, errlen), &b, target, err, errlen);
}

static int export_diff(struct book *book, const struct book_table *t, const char *target, char *err, size_t errlen)
{
	struct buf b = BUF_INIT((size_t)1 << 30);
	return write_out(book_diff_text(book, 0, true, &b, err, errlen), &b, target, err, errlen);
}

static const struct {
	const char *name;
	bool needs_target;
	int (*run)(struct book *book, const struct book_table *t, const char *target, char *err, size_t errlen);
} exporters[] = {
	{ "csv", false, export_csv },
	{ "feedback", true, export_feedback },
	{ "gradescope", true, export_gradescope },
	{ "html", true, export_html },
	{ "diff", false, export_diff },
};

/* "csv, feedback, ...": the exporters' names, for messages. */
static void exporter_names(char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(exporters) && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", exporters[i].name);
		used += w > 0 ? (size_t)w : 0;
	}
}

int cmd_export(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "gradebook", required_argument, NULL, 'g' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *gradebook = "gradebook.sqlite", *target = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "g:o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'g': gradebook = optarg; break;
		case 'o': target = optarg; break;
		case 'h': cli_print_help(stdout); return EXIT_GRADED;
		default: fputs("Try 'grade --help' for more information.\n", stderr); return EXIT_USAGE;
		}
	}
	char names[128];
	exporter_names(names, sizeof(names));
	if (optind >= argc)
		return cli_usage_error("export takes a format: %s", names);
	const char *format = argv[optind++];
	if (optind < argc)
		target = argv[optind++];
	if (optind < argc)
		return cli_usage_error("unexpected '%s' after the export's target", argv[optind]);
	size_t i = 0;
	while (i < ARRAY_SIZE(exporters) && strcmp(exporters[i].name, format))
		i++;
	if (i == ARRAY_SIZE(exporters))
		return cli_usage_error("unknown export '%s' (%s)", format, names);
	if (exporters[i].needs_target && !target)
		return cli_usage_error("export %s needs a target (a directory or file)", format);

	int status = EXIT_INTERNAL;
	char err[512] = "";
	struct book *b = NULL;
	struct book_table t = { 0 };
	if (book_open_existing(&b, gradebook, err, sizeof(err)) < 0 || book_load_latest(b, &t, err, sizeof(err)) < 0 ||
	    exporters[i].run(b, &t, target, err, sizeof(err)) < 0)
		fprintf(stderr, "grade: %s\n", err);
	else
		status = EXIT_GRADED;
	book_table_release(&t);
	book_close(b);
	return status;
}
