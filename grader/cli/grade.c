/*
 * grade.c - `grade [options] SUBMISSION_DIR...`: grade submissions, write
 * their reports.
 */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <git2.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/util.h"
#include "control/batch.h"
#include "control/grade.h"
#include "control/worker.h"
#include "grade_config.h"
#include "report/report.h"
#include "rubric/rubric.h"
#include "sandbox/layers.h"
#include "sandbox/sandbox.h"

/* Writes the whole report to 'path' through a temporary file, so a reader
 * never sees half a report. */
static int write_report_file(const char *path, const char *text)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	FILE *f = fopen(tmp, "w");
	int rc = -1;
	if (f) {
		rc = fputs(text, f) < 0 ? -1 : 0;
		if (fclose(f) != 0)
			rc = -1;
		if (rc == 0 && rename(tmp, path) < 0)
			rc = -1;
		if (rc < 0)
			unlink(tmp);
	}
	free(tmp);
	return rc;
}

/* What every lane needs to grade and format a submission. */
struct grading {
	char **submissions;
	const struct rubric *rubric;
	const struct sandbox_layers *layers;
	const struct report_format *format;
	struct report_options ro;
	struct worker worker;      /* the lane's own */
	struct buf *all;           /* --output: the reports so far (parent) */
	bool unreadable, internal; /* seen by the parent */
};

static int lane_start(void *ctx, char *err, size_t errlen)
{
	struct grading *gr = ctx;
	return worker_start(&gr->worker, err, errlen);
}

static void lane_stop(void *ctx)
{
	struct grading *gr = ctx;
	worker_stop(&gr->worker);
}

static void grade_one(void *ctx, size_t index, struct batch_output *out)
{
	struct grading *gr = ctx;
	struct grade_result g;
	char err[512] = "";
	if (grade_submission(&gr->worker, gr->rubric, gr->submissions[index], &g, err, sizeof(err)) < 0) {
		/* One unreadable submission does not stop the others. */
		out->error = xstrdup(err);
		out->unreadable = true;
	} else {
		g.sandbox = *gr->layers;
		g.sandbox_known = true;
		out->text = report_format_string(gr->format, &g, &gr->ro);
		if (!out->text) {
			out->error = xasprintf("cannot format the report of '%s'", gr->submissions[index]);
			out->internal = true;
		}
	}
	grade_result_release(&g);
}

static int emit_one(void *ctx, size_t index, const struct batch_output *out)
{
	struct grading *gr = ctx;
	if (out->error && out->internal && !out->text)
		fprintf(stderr, "grade: %s: %s\n", gr->submissions[index], out->error);
	else if (out->error)
		fprintf(stderr, "grade: %s\n", out->error);
	gr->unreadable |= out->unreadable;
	gr->internal |= out->internal;
	if (!out->text)
		return 0;
	if (gr->all) {
		buf_puts(gr->all, out->text);
		return 0;
	}
	return fputs(out->text, stdout) < 0 || fflush(stdout) != 0 ? -1 : 0;
}

/* What the command line asked for. */
struct grade_args {
	char **submissions;
	int n_submissions;
	const char *rubric_path;
	const struct report_format *format;
	const char *output;
	bool instructor;
	const char *color;
	unsigned jobs;
};

static int grade_all(const struct grade_args *a)
{
	int status = EXIT_INTERNAL;
	char *default_path = NULL;
	struct rubric r = RUBRIC_INIT;
	struct diag_list diags = DIAG_LIST_INIT;
	char err[512] = "";
	struct buf all = BUF_INIT((size_t)1 << 40);
	struct sandbox_layers layers;
	static const struct batch_ops ops = {
		.lane_start = lane_start, .grade = grade_one, .lane_stop = lane_stop, .emit = emit_one,
	};
	const char *rubric_path = a->rubric_path;
	unsigned jobs = a->jobs;
	struct grading gr = {
		.submissions = a->submissions, .rubric = &r, .layers = &layers, .format = a->format,
		.ro = { .instructor = a->instructor, .color = !a->output && cli_use_color(a->color, stdout),
			.one_line = a->n_submissions > 1 },
		.worker = WORKER_INIT, .all = a->output ? &all : NULL,
	};

	/* Channels to other processes send without SIGPIPE (proto.h); this
	 * covers standard output closed under us, which is reported instead. */
	signal(SIGPIPE, SIG_IGN);
	/* The same probe as the zygote's: say once, before any check runs,
	 * which layers this host cannot give them. */
	sandbox_probe(&layers);
	sandbox_warn_degraded(&layers, stderr);
	if (!rubric_path) {
		rubric_path = default_path = cli_default_rubrics();
		if (!rubric_path) {
			fprintf(stderr, "grade: cannot find the course rubrics; pass --rubric\n");
			goto done;
		}
	}
	if (rubric_load(&r, rubric_path, &diags) < 0 || diags.errors) {
		diag_print(&diags, stderr, cli_use_color(a->color, stderr));
		status = EXIT_RUBRIC;
		goto done;
	}
	if (!jobs)
		jobs = batch_default_jobs();
	if (batch_run((size_t)a->n_submissions, jobs, &ops, &gr, err, sizeof(err)) < 0) {
		fprintf(stderr, "grade: %s\n", err);
		goto done;
	}
	if (a->output && write_report_file(a->output, all.data ? all.data : "") < 0) {
		fprintf(stderr, "grade: cannot write '%s': %s\n", a->output, strerror(errno));
		goto done;
	}
	status = gr.internal ? EXIT_INTERNAL : gr.unreadable ? EXIT_SUBMISSION : EXIT_GRADED;
done:
	buf_release(&all);
	rubric_release(&r);
	diag_list_release(&diags);
	free(default_path);
	return status;
}

static void print_version(void)
{
	const char *v = Py_GetVersion();
	printf("grade %s\n", GRADE_VERSION);
	printf("python %.*s\n", (int)strcspn(v, "\n"), v);
	int major = 0, minor = 0, rev = 0;
	git_libgit2_version(&major, &minor, &rev);
	printf("libgit2 %d.%d.%d\n", major, minor, rev);
	struct sandbox_layers layers;
	sandbox_probe(&layers);
	sandbox_print_layers(&layers, stdout);
}

int cmd_grade(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rubric", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "instructor", no_argument, NULL, 'I' },
		{ "color", required_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = "text";
	struct grade_args a = { .color = "auto" };
	int opt;
	while ((opt = getopt_long(argc, argv, "r:f:o:j:Vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': a.rubric_path = optarg; break;
		case 'f': format = optarg; break;
		case 'o': a.output = optarg; break;
		case 'j': {
			char *end = NULL;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 10);
			if (errno || !*optarg || *end || v < 1 || v > 1024 || *optarg == '-')
				return cli_usage_error("--jobs takes a number from 1 to 1024, not '%s'", optarg);
			a.jobs = (unsigned)v;
			break;
		}
		case 'I': a.instructor = true; break;
		case 'C': a.color = optarg; break;
		case 'V': print_version(); return EXIT_GRADED;
		case 'h': cli_print_help(stdout); return EXIT_GRADED;
		default: fputs("Try 'grade --help' for more information.\n", stderr); return EXIT_USAGE;
		}
	}
	if (!(a.format = report_format_by_name(format))) {
		char names[128];
		report_format_names(names, sizeof(names));
		return cli_usage_error("unknown format '%s' (%s)", format, names);
	}
	if (strcmp(a.color, "auto") && strcmp(a.color, "always") && strcmp(a.color, "never"))
		return cli_usage_error("--color takes auto, always or never, not '%s'", a.color);
	if (optind >= argc)
		return cli_usage_error("%s", "missing SUBMISSION_DIR");
	a.submissions = argv + optind;
	a.n_submissions = argc - optind;
	return grade_all(&a);
}
