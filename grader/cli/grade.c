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
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/error.h"
#include "base/util.h"
#include "control/batch.h"
#include "control/grade.h"
#include "control/worker.h"
#include "git/push.h"
#include "git/worktree.h"
#include "grade_config.h"
#include "report/report.h"
#include "rubric/rubric.h"
#include "run/scratch.h"
#include "sandbox/layers.h"
#include "sandbox/sandbox.h"


/* The reports one run writes: [0] is -f/-o's, then each --report and
 * those CI detection adds. */
#define MAX_REPORTS 16

struct report_target {
	const struct report_format *format;
	const char *path;     /* NULL: standard output (or -o's file, for [0]); "-": standard output */
	bool append;          /* add to the file ($GITHUB_STEP_SUMMARY, $GITHUB_OUTPUT) */
	bool base64_output;   /* write "result=<base64 of the report>" ($GITHUB_OUTPUT) */
	struct buf text;      /* the reports so far (parent) */
};

/* What every lane needs to grade and format a submission. */
struct grading {
	char **submissions;
	const struct rubric *rubric;
	const struct sandbox_layers *layers;
	struct report_target *targets;
	size_t n_targets;
	struct report_options ro;
	struct worker worker;      /* the lane's own */
	struct buf *all;           /* --output: the reports so far (parent) */
	bool unreadable, internal; /* seen by the parent */
	/* The threshold and what fell short of it (parent). */
	bool has_threshold, threshold_percent, strict;
	double threshold;
	size_t below, harness_errors;
	const char *stop_token;    /* Actions: standard output is wrapped in ::stop-commands:: */
	double time_budget;        /* a submission's, in seconds (0: none) */
	const char *rev;           /* --rev: grade this revision of each DIR's repository */
	bool ci_push;              /* read the push time a CI job is told (git/push.h) */
};

/*
 * A lane hands the parent one text per submission (batch.h), so the
 * reports travel packed: a line "SCORE MAX HARNESS_ERRORS", then for each
 * target a line with its length and that many bytes.  Never parsed beyond
 * that: the lane wrote it.
 */
static char *pack_reports(const struct grading *gr, const struct grade_result *g)
{
	size_t harness = 0;
	for (size_t i = 0; i < g->n_exercises; i++) {
		harness += g->exercises[i].error != NULL;
		for (size_t j = 0; j < g->exercises[i].n_checks; j++)
			harness += g->exercises[i].checks[j].harness_error;
	}
	struct buf b = BUF_INIT((size_t)1 << 40);
	buf_printf(&b, "%.17g %.17g %zu\n", g->score, g->max_score, harness);
	for (size_t t = 0; t < gr->n_targets; t++) {
		struct report_options ro = gr->ro;
		ro.color = t == 0 && gr->ro.color;
		char *text = report_format_string(gr->targets[t].format, g, &ro);
		if (!text) {
			buf_release(&b);
			return NULL;
		}
		buf_printf(&b, "%zu\n", strlen(text));
		buf_puts(&b, text);
		free(text);
	}
	return buf_detach(&b, NULL);
}

/* The next packed report: its text in *text (borrowed, *len bytes); the
 * position after it. */
static const char *unpack_next(const char *p, const char **text, size_t *len)
{
	char *end = NULL;
	*len = (size_t)strtoull(p, &end, 10);
	*text = end + 1;
	return end + 1 + *len;
}

static bool below_threshold(const struct grading *gr, double score, double max)
{
	if (!gr->has_threshold)
		return false;
	/* A little slack for points summed in floating point. */
	double want = gr->threshold_percent ? gr->threshold * max / 100 : gr->threshold;
	return score + 1e-9 < want;
}

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

/* --rev: the revision's files in a fresh directory under $TMPDIR (or
 * /tmp), its source in *source.  Returns the directory (removed with
 * scratch_remove by the caller), or NULL with the reason in err. */
static char *extract_rev(const char *dir, const char *rev, struct grade_source **source, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");
	char *where = xasprintf("%s/grade-rev-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(where)) {
		fail_errno(err, errlen, errno, "cannot create '%s'", where);
		free(where);
		return NULL;
	}
	if (worktree_rev(dir, rev, where, source, err, errlen) < 0) {
		scratch_remove(where);
		free(where);
		return NULL;
	}
	return where;
}

/* The push time of the commit graded, when a CI job of its push runs
 * grade (git/push.h): evidence the student's committer date is not.  A
 * payload that cannot be read is a warning; grading goes on. */
static void add_push_time(struct grade_source *s, char **warning)
{
	struct push_time p;
	char why[512] = "";
	int found = push_time_of(s->commit, &p, why, sizeof(why));
	if (found < 0 && !*warning)
		*warning = xasprintf("warning: no push time in the report: %s", why);
	if (found <= 0)
		return;
	s->pushed_at = p.at;
	s->pushed_by = xstrdup(p.by);
}

static void grade_one(void *ctx, size_t index, struct batch_output *out)
{
	struct grading *gr = ctx;
	const char *dir = gr->submissions[index];
	struct grade_result g = { 0 };
	struct grade_source *source = NULL;
	char *rev_dir = NULL;
	char err[512] = "", why[512] = "";
	if (gr->rev) {
		rev_dir = extract_rev(dir, gr->rev, &source, why, sizeof(why));
		if (!rev_dir) {
			out->error = xasprintf("cannot grade '%s' at '%s': %s", dir, gr->rev, why);
			out->unreadable = true;
			goto done;
		}
	} else if (worktree_source(dir, &source, why, sizeof(why)) < 0) {
		/* The repository is only the report's: the folder is graded all
		 * the same, without a source. */
		out->error = xasprintf("warning: %s: no git source in the report: %s", dir, why);
	}
	if (source && gr->ci_push)
		add_push_time(source, &out->error);
	if (grade_submission(&gr->worker, gr->rubric, rev_dir ? rev_dir : dir, gr->time_budget, &g, err,
			     sizeof(err)) < 0) {
		/* One unreadable submission does not stop the others. */
		free(out->error);
		out->error = xstrdup(err);
		out->unreadable = true;
		goto done;
	}
	if (rev_dir) {
		/* The reports name the repository's directory: file paths in
		 * them are the student's, relative to it. */
		free(g.submission);
		g.submission = xstrdup(dir);
	}
	g.source = source;
	source = NULL;
	g.sandbox = *gr->layers;
	g.sandbox_known = true;
	out->text = pack_reports(gr, &g);
	if (!out->text) {
		free(out->error);
		out->error = xasprintf("cannot format the report of '%s'", dir);
		out->internal = true;
	}
done:
	grade_source_free(source);
	if (rev_dir) {
		scratch_remove(rev_dir);
		free(rev_dir);
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
	double score = 0, max = 0;
	size_t harness = 0;
	const char *p = out->text;
	if (sscanf(p, "%lf %lf %zu", &score, &max, &harness) != 3)
		return -1;
	p = strchr(p, '\n') + 1;
	gr->harness_errors += harness;
	if (below_threshold(gr, score, max)) {
		gr->below++;
		fprintf(stderr, "grade: %s: score %g is below --fail-under %g%s\n", gr->submissions[index], score,
			gr->threshold, gr->threshold_percent ? "%" : "");
	}
	const char *text;
	size_t len;
	p = unpack_next(p, &text, &len);
	for (size_t t = 1; t < gr->n_targets; t++) {
		const char *other;
		size_t olen;
		p = unpack_next(p, &other, &olen);
		buf_append(&gr->targets[t].text, other, olen);
	}
	if (gr->all) {
		buf_append(gr->all, text, len);
		return 0;
	}
	if (gr->stop_token && printf("::stop-commands::%s\n", gr->stop_token) < 0)
		return -1;
	if (fwrite(text, 1, len, stdout) != len)
		return -1;
	if (gr->stop_token && printf("::%s::\n", gr->stop_token) < 0)
		return -1;
	return fflush(stdout) != 0 ? -1 : 0;
}

/* Writes one --report target (or one CI detection added). */
static int write_target(const struct report_target *t)
{
	const char *text = t->text.data ? t->text.data : "";
	if (!t->path || !strcmp(t->path, "-"))
		return fputs(text, stdout) < 0 || fflush(stdout) != 0 ? -1 : 0;
	if (!t->append)
		return write_file_replace(t->path, text, strlen(text));
	FILE *f = fopen(t->path, "a");
	if (!f)
		return -1;
	int rc = 0;
	if (t->base64_output) {
		char *b64 = base64_encode(text, strlen(text));
		rc = fprintf(f, "result=%s\n", b64) < 0 ? -1 : 0;
		free(b64);
	} else {
		rc = fputs(text, f) < 0 ? -1 : 0;
	}
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

/* What the command line asked for. */
struct grade_args {
	char **submissions;
	int n_submissions;
	const char *rubric_path;
	struct report_target targets[MAX_REPORTS];
	size_t n_targets;
	const char *output;
	bool instructor;
	const char *color;
	unsigned jobs;
	bool no_ci_detect, strict;
	const char *fail_under;
	double time_budget;
	const char *rev;
};

/* --fail-under N (points, bonus included) or N% (of max_score). */
struct threshold {
	bool set, percent;
	double value;
};

static int parse_threshold(const char *text, struct threshold *th)
{
	char *end = (char *)text;
	errno = 0;
	double v = strtod(text, &end);
	th->percent = *end == '%';
	if (errno || end == text || (*end && !(th->percent && !end[1])) || !(v >= 0) || (th->percent && v > 100) ||
	    v > 1e12)
		return cli_usage_error("--fail-under takes points (12, 7.5) or a percentage of the maximum (60%%), not '%s'",
				       text);
	th->set = true;
	th->value = v;
	return 0;
}

static int add_target(struct grade_args *a, const struct report_format *f, const char *path, bool append)
{
	if (a->n_targets >= MAX_REPORTS)
		return cli_usage_error("at most %d reports in one run", MAX_REPORTS - 1);
	a->targets[a->n_targets++] = (struct report_target){
		.format = f, .path = path, .append = append, .text = BUF_INIT((size_t)1 << 40),
	};
	return 0;
}

static bool has_target(const struct grade_args *a, const char *format)
{
	for (size_t t = 0; t < a->n_targets; t++)
		if (!strcmp(a->targets[t].format->name, format))
			return true;
	return false;
}

/* --report FORMAT=FILE */
static int parse_report(struct grade_args *a, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1])
		return cli_usage_error("--report takes FORMAT=FILE (FILE '-' for standard output), not '%s'", arg);
	char name[32];
	snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
	const struct report_format *f = report_format_by_name(name);
	if (!f) {
		char names[128];
		report_format_names(names, sizeof(names));
		return cli_usage_error("unknown format '%s' in --report (%s)", name, names);
	}
	const char *summary = getenv("GITHUB_STEP_SUMMARY");
	return add_target(a, f, eq + 1, summary && !strcmp(summary, eq + 1));
}

/*
 * CI detection (unless --no-ci-detect; docs/reports.md).  On GitHub
 * Actions: the Markdown report appended to $GITHUB_STEP_SUMMARY, the
 * annotations on standard output (grade's own report there wrapped in
 * ::stop-commands:: so that nothing the student printed is taken for a
 * workflow command), and the classroom result in $GITHUB_OUTPUT.  On
 * GitLab CI: the JUnit and Code Quality reports in the files the template
 * declares as artifacts.  What --report already asks for is not added.
 */
static int ci_detect(struct grade_args *a, char *token, size_t token_len)
{
	const char *gha = getenv("GITHUB_ACTIONS"), *glc = getenv("GITLAB_CI");
	bool one = a->n_submissions == 1;
	if (gha && !strcmp(gha, "true")) {
		const char *summary = getenv("GITHUB_STEP_SUMMARY"), *output = getenv("GITHUB_OUTPUT");
		if (summary && *summary && !has_target(a, "markdown") &&
		    add_target(a, report_format_by_name("markdown"), summary, true) != 0)
			return EXIT_USAGE;
		if (!has_target(a, "github") && add_target(a, report_format_by_name("github"), "-", false) != 0)
			return EXIT_USAGE;
		if (one && output && *output) {
			if (add_target(a, report_format_by_name("classroom"), output, true) != 0)
				return EXIT_USAGE;
			a->targets[a->n_targets - 1].base64_output = true;
		}
		unsigned char r[16];
		if (getrandom(r, sizeof(r), 0) == (ssize_t)sizeof(r) && a->targets[0].format != report_format_by_name("github")) {
			char *hex = hex_encode(r, sizeof(r));
			snprintf(token, token_len, "grade-%s", hex);
			free(hex);
		}
	}
	if (glc && !strcmp(glc, "true") && one) {
		if (!has_target(a, "junit") && add_target(a, report_format_by_name("junit"), "grade-junit.xml", false) != 0)
			return EXIT_USAGE;
		if (!has_target(a, "gitlab") &&
		    add_target(a, report_format_by_name("gitlab"), "gl-code-quality-report.json", false) != 0)
			return EXIT_USAGE;
	}
	return 0;
}

static int grade_all(struct grade_args *a, const struct threshold *th, const char *stop_token)
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
		.submissions = a->submissions, .rubric = &r, .layers = &layers, .targets = a->targets,
		.n_targets = a->n_targets,
		.ro = { .instructor = a->instructor, .color = !a->output && cli_use_color(a->color, stdout),
			.one_line = a->n_submissions > 1 },
		.worker = WORKER_INIT(&layers), .all = a->output ? &all : NULL,
		.has_threshold = th->set, .threshold_percent = th->percent, .threshold = th->value, .strict = a->strict,
		.stop_token = a->output ? NULL : stop_token, .time_budget = a->time_budget,
		.rev = a->rev, .ci_push = !a->no_ci_detect,
	};

	/* Channels to other processes send without SIGPIPE (proto.h); this
	 * covers standard output closed under us, which is reported instead. */
	signal(SIGPIPE, SIG_IGN);
	/* Once per run: which layers this host cannot give the checks, said
	 * before any check runs; every zygote takes it from here (worker.h). */
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
	if (a->output && write_file_replace(a->output, all.data ? all.data : "", all.data ? all.len : 0) < 0) {
		fprintf(stderr, "grade: cannot write '%s': %s\n", a->output, strerror(errno));
		goto done;
	}
	for (size_t t = 1; t < a->n_targets; t++)
		if (write_target(&a->targets[t]) < 0) {
			fprintf(stderr, "grade: cannot write the %s report to '%s': %s\n", a->targets[t].format->name,
				a->targets[t].path, strerror(errno));
			goto done;
		}
	if (gr.harness_errors && a->strict)
		fprintf(stderr, "grade: --strict: %zu harness error%s (the grader failed, not the code)\n",
			gr.harness_errors, gr.harness_errors == 1 ? "" : "s");
	status = gr.internal ? EXIT_INTERNAL
		: gr.unreadable ? EXIT_SUBMISSION
		: gr.harness_errors && a->strict ? EXIT_INTERNAL
		: gr.below ? EXIT_BELOW_THRESHOLD : EXIT_GRADED;
done:
	for (size_t t = 0; t < a->n_targets; t++)
		buf_release(&a->targets[t].text);
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
		{ "report", required_argument, NULL, 'R' },
		{ "fail-under", required_argument, NULL, 'F' },
		{ "strict", no_argument, NULL, 'S' },
		{ "no-ci-detect", no_argument, NULL, 'N' },
		{ "time-budget", required_argument, NULL, 'T' },
		{ "rev", required_argument, NULL, 'G' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = "text";
	struct grade_args a = { .color = "auto", .n_targets = 1, .time_budget = GRADE_DEFAULT_TIME_BUDGET };
	struct threshold th = { 0 };
	char token[64] = "";
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
		case 'R':
			if (parse_report(&a, optarg) != 0)
				return EXIT_USAGE;
			break;
		case 'F':
			if (parse_threshold(optarg, &th) != 0)
				return EXIT_USAGE;
			break;
		case 'S': a.strict = true; break;
		case 'N': a.no_ci_detect = true; break;
		case 'T':
			if (cli_parse_time_budget(optarg, &a.time_budget) != 0)
				return EXIT_USAGE;
			break;
		case 'G':
			if (!*optarg)
				return cli_usage_error("%s", "--rev takes a revision (a commit id, a branch, a tag, HEAD~2)");
			a.rev = optarg;
			break;
		case 'V': print_version(); return EXIT_GRADED;
		case 'h': cli_print_help(stdout); return EXIT_GRADED;
		default: fputs("Try 'grade --help' for more information.\n", stderr); return EXIT_USAGE;
		}
	}
	if (!(a.targets[0].format = report_format_by_name(format))) {
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
	a.targets[0].text = (struct buf)BUF_INIT((size_t)1 << 40);
	for (size_t t = 0; t < a.n_targets && a.n_submissions > 1; t++)
		if (a.targets[t].format->one_submission)
			return cli_usage_error("the %s report is one submission's (a document, not a stream): "
					       "grade one SUBMISSION_DIR, or use json", a.targets[t].format->name);
	if (!a.no_ci_detect && ci_detect(&a, token, sizeof(token)) != 0)
		return EXIT_USAGE;
	return grade_all(&a, &th, token[0] ? token : NULL);
}
