/*
 * main.c - the grade command: arguments in, exit status out.
 *
 * Everything else lives in the grader library; see docs/architecture.md.
 */
#include <errno.h>
#include <getopt.h>
#include <git2.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "control/batch.h"
#include "base/buf.h"
#include "base/diag.h"
#include "cli/doctor.h"
#include "control/grade.h"
#include "grade_config.h"
#include "report/report.h"
#include "rubric/rubric.h"
#include "sandbox/sandbox.h"
#include "base/util.h"
#include "control/worker.h"
#include "run/zygote.h"

enum exit_code {
	EXIT_GRADED = 0,       /* grading completed, whatever the score */
	EXIT_USAGE = 2,        /* bad command line */
	EXIT_RUBRIC = 3,       /* a rubric has errors (also: lint found problems) */
	EXIT_SUBMISSION = 4,   /* the submission cannot be read */
	EXIT_INTERNAL = 5,     /* grade itself failed (cannot start Python, write the report...) */
};

static const char usage_text[] =
	"usage: grade [options] SUBMISSION_DIR...\n"
	"       grade lint RUBRIC...\n"
	"       grade doctor\n"
	"       grade --version | --help\n"
	"\n"
	"Grades the Python files in each SUBMISSION_DIR against a rubric and prints a report\n"
	"(with several directories: one report after another; JSON reports one per line).\n"
	"\n"
	"options:\n"
	"  -r, --rubric FILE|DIR   the rubric: an exercise or course YAML file, or a directory\n"
	"                          (its course.yaml, else every *.yaml); default: the course\n"
	"                          rubrics shipped with grade\n"
	"  -f, --format FORMAT     text (default) or json\n"
	"  -o, --output FILE       write the report to FILE instead of standard output\n"
	"  -j, --jobs N            grade N submissions at a time (default: one per CPU);\n"
	"                          reports still come out in the order given\n"
	"      --instructor        show hidden checks' details\n"
	"      --color WHEN        auto (default: on a terminal, unless NO_COLOR is set),\n"
	"                          always or never\n"
	"  -V, --version           print grade's version, the embedded Python's and the\n"
	"                          sandbox layers in force\n"
	"  -h, --help              print this help\n"
	"\n"
	"commands:\n"
	"  lint RUBRIC...          check rubric files without running anything; each problem\n"
	"                          is printed as file:line:col: message\n"
	"  doctor                  show the embedded Python, each isolation layer (in force,\n"
	"                          or unavailable and why) and the audit hook; exit status 0\n"
	"                          when everything is in force, 1 when grading runs degraded\n"
	"\n"
	"exit status:\n"
	"  0  grading completed (whatever the score)   3  the rubric has errors\n"
	"  2  bad command line                         4  the submission cannot be read\n"
	"                                              5  internal error\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("grade: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'grade --help' for more information.\n", stderr);
	return EXIT_USAGE;
}

static bool dir_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The course rubrics shipped with grade: next to an installed binary
 * (bindir/../share/grade/rubrics), else in the source tree it was built
 * from.  Returns a new string or NULL. */
static char *default_rubrics(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			char *installed = xasprintf("%s/../%s/rubrics", exe, GRADE_DATADIR_REL);
			if (dir_exists(installed))
				return installed;
			free(installed);
		}
	}
	char *source = xasprintf("%s/rubrics", GRADE_SOURCE_ROOT);
	if (dir_exists(source))
		return source;
	free(source);
	return NULL;
}

static bool use_color(const char *when, FILE *out)
{
	if (!strcmp(when, "always"))
		return true;
	if (!strcmp(when, "never"))
		return false;
	const char *no = getenv("NO_COLOR");
	return !(no && *no) && isatty(fileno(out));
}

static int cmd_lint(int argc, char **argv)
{
	if (argc < 1)
		return usage_error("%s", "lint needs at least one rubric file");
	int status = EXIT_GRADED;
	size_t exercises = 0, checks = 0;
	for (int i = 0; i < argc; i++) {
		struct diag_list diags = DIAG_LIST_INIT;
		struct rubric r = RUBRIC_INIT;
		if (rubric_load(&r, argv[i], &diags) < 0 || diags.errors)
			status = EXIT_RUBRIC;
		diag_print(&diags, stderr, use_color("auto", stderr));
		for (size_t e = 0; e < r.n_exercises; e++)
			checks += r.exercises[e].n_checks;
		exercises += r.n_exercises;
		rubric_release(&r);
		diag_list_release(&diags);
	}
	if (status == EXIT_GRADED)
		printf("ok: %zu exercise%s, %zu check%s\n", exercises, exercises == 1 ? "" : "s", checks,
		       checks == 1 ? "" : "s");
	return status;
}

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

/* Formats one report; returns a new string (NULL on failure). */
static char *format_report(const struct grade_result *g, const char *format, bool instructor, bool color,
			   bool one_line)
{
	struct report_options ro = { .instructor = instructor, .color = color };
	if (!strcmp(format, "json")) {
		json_t *j = report_json(g, &ro);
		char *text = json_dumps(j, (one_line ? JSON_COMPACT : JSON_INDENT(2)) | JSON_PRESERVE_ORDER);
		json_decref(j);
		if (text) {
			size_t n = strlen(text);
			text = xrealloc(text, n + 2);
			memcpy(text + n, "\n", 2);
		}
		return text;
	}
	char *mem = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&mem, &len);
	if (!m)
		return NULL;
	report_text(m, g, &ro);
	fclose(m);
	return mem;
}

/* What every lane needs to grade and format a submission. */
struct grading {
	char **submissions;
	const struct rubric *rubric;
	const struct sandbox_layers *layers;
	const char *format;
	bool instructor, color, one_line;
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
		out->text = format_report(&g, gr->format, gr->instructor, gr->color, gr->one_line);
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

static int cmd_grade(char **submissions, int n_submissions, const char *rubric_path, const char *format,
		     const char *output, bool instructor, const char *color, unsigned jobs)
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
	struct grading gr = {
		.submissions = submissions, .rubric = &r, .layers = &layers, .format = format,
		.instructor = instructor, .color = !output && use_color(color, stdout),
		.one_line = n_submissions > 1, .worker = WORKER_INIT, .all = output ? &all : NULL,
	};

	/* Channels to other processes send without SIGPIPE (proto.h); this
	 * covers standard output closed under us, which is reported instead. */
	signal(SIGPIPE, SIG_IGN);
	/* The same probe as the zygote's: say once, before any check runs,
	 * which layers this host cannot give them. */
	sandbox_probe(&layers);
	sandbox_warn_degraded(&layers, stderr);
	if (!rubric_path) {
		rubric_path = default_path = default_rubrics();
		if (!rubric_path) {
			fprintf(stderr, "grade: cannot find the course rubrics; pass --rubric\n");
			goto done;
		}
	}
	if (rubric_load(&r, rubric_path, &diags) < 0 || diags.errors) {
		diag_print(&diags, stderr, use_color(color, stderr));
		status = EXIT_RUBRIC;
		goto done;
	}
	if (!jobs)
		jobs = batch_default_jobs();
	if (batch_run((size_t)n_submissions, jobs, &ops, &gr, err, sizeof(err)) < 0) {
		fprintf(stderr, "grade: %s\n", err);
		goto done;
	}
	if (output && write_report_file(output, all.data ? all.data : "") < 0) {
		fprintf(stderr, "grade: cannot write '%s': %s\n", output, strerror(errno));
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

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], ZYGOTE_FLAG))
		return zygote_main(atoi(argv[2]));
	if (argc >= 2 && !strcmp(argv[1], "lint"))
		return cmd_lint(argc - 2, argv + 2);
	if (argc == 2 && !strcmp(argv[1], "doctor"))
		return doctor_run(stdout);

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
	const char *rubric = NULL, *format = "text", *output = NULL, *color = "auto";
	bool instructor = false;
	unsigned jobs = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "r:f:o:j:Vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': rubric = optarg; break;
		case 'f': format = optarg; break;
		case 'o': output = optarg; break;
		case 'j': {
			char *end = NULL;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 10);
			if (errno || !*optarg || *end || v < 1 || v > 1024 || *optarg == '-')
				return usage_error("--jobs takes a number from 1 to 1024, not '%s'", optarg);
			jobs = (unsigned)v;
			break;
		}
		case 'I': instructor = true; break;
		case 'C': color = optarg; break;
		case 'V': print_version(); return EXIT_GRADED;
		case 'h': fputs(usage_text, stdout); return EXIT_GRADED;
		default: fputs("Try 'grade --help' for more information.\n", stderr); return EXIT_USAGE;
		}
	}
	if (strcmp(format, "text") && strcmp(format, "json"))
		return usage_error("unknown format '%s' (text or json)", format);
	if (strcmp(color, "auto") && strcmp(color, "always") && strcmp(color, "never"))
		return usage_error("--color takes auto, always or never, not '%s'", color);
	if (optind >= argc)
		return usage_error("%s", "missing SUBMISSION_DIR");
	return cmd_grade(argv + optind, argc - optind, rubric, format, output, instructor, color, jobs);
}
