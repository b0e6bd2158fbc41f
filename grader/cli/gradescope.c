/*
 * gradescope.c - `grade gradescope [--submission DIR] [--results FILE]
 * [-r RUBRIC]`: grade inside Gradescope's autograder container
 * (ci/gradescope/run_autograder calls it).
 *
 * Gradescope downloads the student's files to /autograder/submission and
 * reads /autograder/results/results.json once run_autograder exits; the
 * paths are options so that tests (and a dry run on a laptop) can point
 * elsewhere.  The results are the student's view (report/gradescope.c);
 * standard output gets the instructor's text report, which Gradescope
 * shows to instructors only (stdout_visibility "hidden").
 *
 * Whatever goes wrong, results.json is written: a submission that cannot
 * be graded (unreadable, a rubric with errors, a grader that cannot
 * start) scores 0 with the reason as its output, so that the student is
 * told why instead of Gradescope's "the autograder failed".
 */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/util.h"
#include "control/grade.h"
#include "control/worker.h"
#include "report/report.h"
#include "rubric/rubric.h"
#include "sandbox/layers.h"
#include "sandbox/sandbox.h"

struct gradescope_args {
	const char *submission, *results, *rubric_path;
	double time_budget;
};

/* Writes the report of 'g', or when g is NULL the ungraded results saying
 * 'reason', to 'path'.  Returns 0 or -1 (errno). */
static int write_results(const char *path, const struct grade_result *g, const char *reason)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m)
		return -1;
	struct report_options student = { .instructor = false };
	int rc = g ? report_format_by_name("gradescope")->write(m, g, &student) : report_gradescope_ungraded(m, reason);
	if (fclose(m) != 0)
		rc = -1;
	if (rc == 0)
		rc = write_file_replace(path, text, strlen(text));
	free(text);
	return rc;
}

/* The rubric's diagnostics, one line each (new string). */
static char *rubric_errors(const struct diag_list *diags)
{
	struct buf b = BUF_INIT((size_t)1 << 20);
	buf_puts(&b, "the autograder's rubric has errors (tell your instructor):");
	for (size_t i = 0; i < diags->count; i++) {
		char *line = diag_format_line(&diags->items[i]);
		buf_printf(&b, "\n%s", line);
		free(line);
	}
	return buf_detach(&b, NULL);
}

/* Grades a->submission into *g.  Returns EXIT_GRADED, or another exit
 * status with the reason in *reason (new string). */
static int grade_it(const struct gradescope_args *a, struct rubric *r, struct grade_result *g, char **reason)
{
	int status = EXIT_INTERNAL;
	char *default_path = NULL;
	struct diag_list diags = DIAG_LIST_INIT;
	struct sandbox_layers layers;
	struct worker w = WORKER_INIT(&layers);
	char err[512] = "";
	const char *rubric_path = a->rubric_path;

	sandbox_probe(&layers);
	sandbox_warn_degraded(&layers, stderr);
	if (!rubric_path && !(rubric_path = default_path = cli_default_rubrics())) {
		*reason = xstrdup("the autograder cannot find grade's course rubrics (tell your instructor)");
		goto done;
	}
	if (rubric_load(r, rubric_path, &diags) < 0 || diags.errors) {
		diag_print(&diags, stderr, false);
		*reason = rubric_errors(&diags);
		status = EXIT_RUBRIC;
		goto done;
	}
	if (worker_start(&w, err, sizeof(err)) < 0) {
		*reason = xasprintf("the grader could not start: %s", err);
		goto done;
	}
	if (grade_submission(&w, r, a->submission, a->time_budget, g, err, sizeof(err)) < 0) {
		*reason = xstrdup(err);
		status = EXIT_SUBMISSION;
		goto done;
	}
	g->sandbox = layers;
	g->sandbox_known = true;
	status = EXIT_GRADED;
done:
	worker_stop(&w);
	diag_list_release(&diags);
	free(default_path);
	return status;
}

static int run_gradescope(const struct gradescope_args *a)
{
	struct rubric r = RUBRIC_INIT;
	struct grade_result g = { 0 };
	char *reason = NULL;
	/* Channels to other processes send without SIGPIPE (proto.h). */
	signal(SIGPIPE, SIG_IGN);
	int status = grade_it(a, &r, &g, &reason);
	if (status != EXIT_GRADED)
		fprintf(stderr, "grade: %s\n", reason);
	if (write_results(a->results, status == EXIT_GRADED ? &g : NULL, reason) < 0) {
		fprintf(stderr, "grade: cannot write '%s': %s\n", a->results, strerror(errno));
		status = EXIT_INTERNAL;
	} else if (status == EXIT_GRADED) {
		/* The instructor's view, for Gradescope's autograder output. */
		struct report_options instructor = { .instructor = true };
		char *text = report_format_string(report_format_by_name("text"), &g, &instructor);
		if (!text || fputs(text, stdout) < 0 || fflush(stdout) != 0)
			status = EXIT_INTERNAL;
		free(text);
	}
	grade_result_release(&g);
	rubric_release(&r);
	free(reason);
	return status;
}

int cmd_gradescope(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "submission", required_argument, NULL, 's' },
		{ "results", required_argument, NULL, 'o' },
		{ "rubric", required_argument, NULL, 'r' },
		{ "time-budget", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct gradescope_args a = {
		.submission = "/autograder/submission", .results = "/autograder/results/results.json",
		.time_budget = GRADE_DEFAULT_TIME_BUDGET,
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "s:o:r:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': a.submission = optarg; break;
		case 'o': a.results = optarg; break;
		case 'r': a.rubric_path = optarg; break;
		case 'T':
			if (cli_parse_time_budget(optarg, &a.time_budget) != 0)
				return EXIT_USAGE;
			break;
		case 'h': cli_print_help(stdout); return EXIT_GRADED;
		default: fputs("Try 'grade --help' for more information.\n", stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error("unexpected '%s': gradescope takes --submission DIR", argv[optind]);
	return run_gradescope(&a);
}
