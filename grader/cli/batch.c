/*
 * batch.c - `grade batch [options] SUBMISSIONS_DIR|ROSTER.csv`: grade a
 * class into a gradebook (book/book.h), reusing every result whose inputs
 * did not change, and stopping cleanly on SIGINT or SIGTERM.
 */
#include "cli/cli.h"
#include "cli/progress.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/util.h"
#include "book/book.h"
#include "book/hash.h"
#include "book/history.h"
#include "book/roster.h"
#include "control/batch.h"
#include "control/grade.h"
#include "control/worker.h"
#include "grade_config.h"
#include "report/report.h"
#include "rubric/rubric.h"
#include "sandbox/layers.h"
#include "sandbox/sandbox.h"

/* Set by SIGINT/SIGTERM; batch_run stops starting work when it is. */
static volatile sig_atomic_t interrupted;

/* The first signal stops the run after --grace; a second one at once. */
static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = interrupted < 2 ? interrupted + 1 : 2;
}

/* One student of the roster, as this run sees them. */
struct member {
	char content[BOOK_HASH_HEX];   /* "" when the submission cannot be read */
	char key[BOOK_HASH_HEX];
	char **exercise_keys;          /* one per rubric exercise */
	char *unreadable;              /* why it cannot be hashed (missing), or NULL */
};

struct batch_job {
	const struct rubric *rubric;
	const struct roster *roster;
	struct member *members;
	size_t *todo;                  /* roster indices still to grade */
	size_t n_todo;
	const struct sandbox_layers *layers;
	struct worker worker;          /* the lane's own */
	struct book *book;             /* the parent's */
	int64_t run;
	size_t graded, errors, missing, reused;
	bool write_failed;
	char write_err[512];
	struct progress progress;      /* the parent's */
	const char **todo_names;       /* the students of todo[] (borrowed strings) */
	double time_budget;            /* --time-budget */
};

static int lane_start(void *ctx, char *err, size_t errlen)
{
	struct batch_job *job = ctx;
	return worker_start(&job->worker, err, errlen);
}

static void lane_stop(void *ctx)
{
	struct batch_job *job = ctx;
	worker_stop(&job->worker);
}

/* In the lane: the instructor's JSON report (everything the exports need). */
static void grade_one(void *ctx, size_t index, struct batch_output *out)
{
	struct batch_job *job = ctx;
	const struct roster_entry *e = &job->roster->entries[job->todo[index]];
	struct grade_result g;
	char err[512] = "";
	if (grade_submission(&job->worker, job->rubric, e->path, job->time_budget, &g, err, sizeof(err)) < 0) {
		out->error = xstrdup(err);
		out->unreadable = true;
	} else {
		g.sandbox = *job->layers;
		g.sandbox_known = true;
		struct report_options ro = { .instructor = true };
		json_t *j = report_json(&g, &ro);
		out->text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(j);
		if (!out->text) {
			out->error = xasprintf("cannot format the report of '%s'", e->path);
			out->internal = true;
		}
	}
	grade_result_release(&g);
}

/* In the parent, as each submission finishes: one transaction. */
static int record_one(void *ctx, size_t index, const struct batch_output *out)
{
	struct batch_job *job = ctx;
	size_t i = job->todo[index];
	const struct roster_entry *e = &job->roster->entries[i];
	struct member *m = &job->members[i];
	struct book_submission s = {
		.who = e,
		.status = out->text ? "graded" : out->unreadable ? "missing" : "error",
		.key = m->key,
		.content_hash = m->content,
		.report = out->text,
		.error = out->error,
		.exercise_keys = (const char *const *)m->exercise_keys,
		.n_exercise_keys = job->rubric->n_exercises,
	};
	const char *status = s.status;
	if (book_record(job->book, job->run, &s, &status, job->write_err, sizeof(job->write_err)) < 0) {
		job->write_failed = true;
		return -1;
	}
	if (!strcmp(status, "graded"))
		job->graded++;
	else if (!strcmp(status, "missing"))
		job->missing++;
	else
		job->errors++;
	if (strcmp(status, "graded")) {
		progress_clear(&job->progress);
		fprintf(stderr, "grade: %s: %s\n", e->student, out->error ? out->error : "the grader failed in a check");
	}
	progress_finished(&job->progress, index, strcmp(status, "graded") != 0);
	return 0;
}

static void started_one(void *ctx, size_t index)
{
	struct batch_job *job = ctx;
	progress_started(&job->progress, index);
}

static void tick(void *ctx)
{
	struct batch_job *job = ctx;
	progress_tick(&job->progress);
}

/* The grader's identity in keys: its version and its very binary, so a
 * rebuilt grade never reuses an older one's results. */
static int grader_id(char **out, char *err, size_t errlen)
{
	char exe[BOOK_HASH_HEX];
	if (book_hash_file("/proc/self/exe", exe, err, errlen) < 0)
		return -1;
	*out = xasprintf("grade %s %.16s", GRADE_VERSION, exe);
	return 0;
}

static char *join_args(int argc, char **argv)
{
	struct buf b = BUF_INIT((size_t)1 << 20);
	buf_puts(&b, "grade");
	for (int i = 0; i < argc; i++)
		buf_printf(&b, " %s", argv[i]);
	return buf_detach(&b, NULL);
}

struct batch_args {
	const char *roster_path;
	const char *rubric_path;
	const char *gradebook;
	unsigned jobs;
	unsigned shard, shards;   /* --shard I/N (1 <= I <= N); 0/0: everyone */
	bool force, quiet;
	double grace;
	double time_budget;       /* a submission's, in seconds (0: none) */
};

/* Hashes every member's submission and finds the results to reuse;
 * fills job->todo with the rest. */
static int plan(struct batch_job *job, const struct batch_args *a, const char *rubric_hash, const char *grader,
		const char *python, char *err, size_t errlen)
{
	const struct rubric *r = job->rubric;
	size_t n = job->roster->n;
	char (*ex_hash)[BOOK_HASH_HEX] = xcalloc(r->n_exercises ? r->n_exercises : 1, sizeof(*ex_hash));
	/* A budget can decide checks: a result holds for the budget it had. */
	char budget[64];
	snprintf(budget, sizeof(budget), "time_budget %g", a->time_budget);
	int rc = -1;
	for (size_t e = 0; e < r->n_exercises; e++)
		if (book_hash_exercise(&r->exercises[e], ex_hash[e], err, errlen) < 0)
			goto done;
	job->todo = xcalloc(n ? n : 1, sizeof(*job->todo));
	if (book_begin(job->book, err, errlen) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		const struct roster_entry *e = &job->roster->entries[i];
		struct member *m = &job->members[i];
		char why[512];
		if (book_hash_dir(e->path, m->content, why, sizeof(why)) < 0) {
			m->content[0] = '\0';
			m->unreadable = xstrdup(why);
			continue;
		}
		const char *parts[] = { m->content, rubric_hash, grader, python, budget };
		book_hash_strings(parts, ARRAY_SIZE(parts), m->key);
		m->exercise_keys = xcalloc(r->n_exercises ? r->n_exercises : 1, sizeof(char *));
		for (size_t x = 0; x < r->n_exercises; x++) {
			const char *xparts[] = { m->content, ex_hash[x], grader, python, budget };
			m->exercise_keys[x] = xmalloc(BOOK_HASH_HEX);
			book_hash_strings(xparts, ARRAY_SIZE(xparts), m->exercise_keys[x]);
		}
		int64_t id = 0;
		if (!a->force && book_find(job->book, m->key, e->student, &id, err, errlen) < 0)
			goto done;
		if (id) {
			if (book_reuse(job->book, job->run, e->student, id, err, errlen) < 0)
				goto done;
			job->reused++;
		} else {
			job->todo[job->n_todo++] = i;
		}
	}
	if (book_commit(job->book, err, errlen) < 0)
		goto done;
	/* Those with nothing to grade: recorded as missing. */
	for (size_t i = 0; i < n; i++) {
		struct member *m = &job->members[i];
		if (!m->unreadable)
			continue;
		struct book_submission s = { .who = &job->roster->entries[i], .status = "missing", .error = m->unreadable };
		if (book_record(job->book, job->run, &s, NULL, err, errlen) < 0)
			goto done;
		job->missing++;
		fprintf(stderr, "grade: %s: %s\n", job->roster->entries[i].student, m->unreadable);
	}
	rc = 0;
done:
	free(ex_hash);
	return rc;
}

/* An interrupt from here on stops the run cleanly (no SA_RESTART: the
 * batch's poll returns and sees the flag). */
static void catch_interrupts(void)
{
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = { .sa_handler = on_interrupt };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Grades the planned submissions in parallel, with progress on stderr.
 * Returns batch_run()'s answer (BATCH_STOPPED when interrupted). */
static int grade_todo(struct batch_job *job, const struct batch_args *a, char *err, size_t errlen)
{
	static struct batch_ops ops = {
		.lane_start = lane_start, .grade = grade_one, .lane_stop = lane_stop, .emit = record_one,
		.stop = &interrupted, .any_order = true, .started = started_one, .tick = tick,
	};
	job->todo_names = xcalloc(job->n_todo ? job->n_todo : 1, sizeof(*job->todo_names));
	for (size_t i = 0; i < job->n_todo; i++)
		job->todo_names[i] = job->roster->entries[job->todo[i]].student;
	progress_init(&job->progress, stderr, a->quiet, job->n_todo, job->reused, job->todo_names);
	ops.grace = a->grace;
	unsigned jobs = a->jobs ? a->jobs : batch_default_jobs();
	int brc = interrupted ? BATCH_STOPPED : batch_run(job->n_todo, jobs, &ops, job, err, errlen);
	progress_end(&job->progress);
	return brc;
}

/* Closes the run in the gradebook and says how it went; the exit status. */
static int end_run(struct batch_job *job, const struct batch_args *a, int brc, char err[static 512])
{
	if (brc < 0) {
		fprintf(stderr, "grade: %s\n", job->write_failed ? job->write_err : err);
		return EXIT_INTERNAL;
	}
	size_t n = job->roster->n;
	size_t done_count = job->reused + job->graded + job->errors + job->missing;
	if (book_run_end(job->book, job->run, brc == BATCH_STOPPED ? "interrupted" : "finished",
			 job->graded + job->errors, job->reused, err, 512) < 0) {
		fprintf(stderr, "grade: %s\n", err);
		return EXIT_INTERNAL;
	}
	if (brc == BATCH_STOPPED) {
		fprintf(stderr, "grade: interrupted: %zu of %zu graded; rerun the same command to continue\n", done_count,
			n);
		return EXIT_INTERRUPTED;
	}
	printf("%zu students: %zu graded, %zu reused (unchanged), %zu missing, %zu errors; gradebook %s\n", n,
	       job->graded, job->reused, job->missing, job->errors, a->gradebook);
	/* The regrade diff: who this run changed, and by which checks. */
	struct buf diff = BUF_INIT((size_t)1 << 30);
	if (book_diff_text(job->book, job->run, false, &diff, err, 512) < 0)
		fprintf(stderr, "grade: %s\n", err);
	else if (diff.len)
		fputs(diff.data, stdout);
	buf_release(&diff);
	return job->errors ? EXIT_INTERNAL : job->missing ? EXIT_SUBMISSION : EXIT_GRADED;
}

static int run_batch(const struct batch_args *a, int argc, char **argv)
{
	int status = EXIT_INTERNAL;
	char *default_path = NULL, *grader = NULL, *command = NULL;
	struct rubric r = RUBRIC_INIT;
	struct roster roster = ROSTER_INIT;
	struct diag_list diags = DIAG_LIST_INIT;
	struct sandbox_layers layers;
	struct book *book = NULL;
	char err[512] = "", rubric_hash[BOOK_HASH_HEX];
	struct batch_job job = { .rubric = &r, .roster = &roster, .layers = &layers,
				 .worker = WORKER_INIT(&layers), .time_budget = a->time_budget };
	const char *rubric_path = a->rubric_path;
	const char *v = Py_GetVersion();
	char python[128];
	snprintf(python, sizeof(python), "%s", v);

	catch_interrupts();
	if (!rubric_path && !(rubric_path = default_path = cli_default_rubrics())) {
		fprintf(stderr, "grade: cannot find the course rubrics; pass --rubric\n");
		goto done;
	}
	if (rubric_load(&r, rubric_path, &diags) < 0 || diags.errors) {
		diag_print(&diags, stderr, cli_use_color("auto", stderr));
		status = EXIT_RUBRIC;
		goto done;
	}
	if (roster_load(&roster, a->roster_path, &diags) < 0) {
		diag_print(&diags, stderr, cli_use_color("auto", stderr));
		status = EXIT_SUBMISSION;
		goto done;
	}
	if (a->shards)
		roster_keep_shard(&roster, a->shard, a->shards);
	if (book_hash_rubric(&r, rubric_path, rubric_hash, err, sizeof(err)) < 0 ||
	    grader_id(&grader, err, sizeof(err)) < 0 || book_open(&book, a->gradebook, err, sizeof(err)) < 0) {
		fprintf(stderr, "grade: %s\n", err);
		goto done;
	}
	sandbox_probe(&layers);
	sandbox_warn_degraded(&layers, stderr);
	command = join_args(argc, argv);
	struct book_run run = {
		.command = command, .rubric = rubric_path, .rubric_hash = rubric_hash, .grader = grader,
		.python = python, .total = roster.n,
	};
	job.book = book;
	job.members = xcalloc(roster.n, sizeof(*job.members));
	if (book_add_students(book, &roster, err, sizeof(err)) < 0 ||
	    book_run_begin(book, &run, &job.run, err, sizeof(err)) < 0 ||
	    plan(&job, a, rubric_hash, grader, python, err, sizeof(err)) < 0) {
		fprintf(stderr, "grade: %s\n", err);
		goto done;
	}

	status = end_run(&job, a, grade_todo(&job, a, err, sizeof(err)), err);
done:
	if (job.members)
		for (size_t i = 0; i < roster.n; i++) {
			free_strings(job.members[i].exercise_keys, job.members[i].exercise_keys ? r.n_exercises : 0);
			free(job.members[i].unreadable);
		}
	free(job.members);
	free(job.todo);
	free(job.todo_names);
	book_close(book);
	roster_release(&roster);
	rubric_release(&r);
	diag_list_release(&diags);
	free(default_path);
	free(grader);
	free(command);
	return status;
}

static int parse_jobs(const char *text, unsigned *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(text, &end, 10);
	if (errno || !*text || *end || v < 1 || v > 1024 || *text == '-')
		return cli_usage_error("--jobs takes a number from 1 to 1024, not '%s'", text);
	*out = (unsigned)v;
	return 0;
}

/* "I/N": shard I of N, 1 <= I <= N.  Returns 0 or -1. */
static int parse_shard(const char *s, unsigned *index, unsigned *count)
{
	char *end;
	unsigned long i = strtoul(s, &end, 10);
	if (end == s || *end != '/')
		return -1;
	const char *n_text = end + 1;
	unsigned long n = strtoul(n_text, &end, 10);
	if (end == n_text || *end || n == 0 || n > 10000 || i == 0 || i > n)
		return -1;
	*index = (unsigned)i;
	*count = (unsigned)n;
	return 0;
}

int cmd_batch(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rubric", required_argument, NULL, 'r' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "gradebook", required_argument, NULL, 'g' },
		{ "force", no_argument, NULL, 'F' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "grace", required_argument, NULL, 'G' },
		{ "shard", required_argument, NULL, 'S' },
		{ "time-budget", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct batch_args a = { .gradebook = "gradebook.sqlite", .grace = 5, .time_budget = GRADE_DEFAULT_TIME_BUDGET };
	int opt;
	while ((opt = getopt_long(argc, argv, "r:j:g:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': a.rubric_path = optarg; break;
		case 'j':
			if (parse_jobs(optarg, &a.jobs) != 0)
				return EXIT_USAGE;
			break;
		case 'g': a.gradebook = optarg; break;
		case 'F': a.force = true; break;
		case 'q': a.quiet = true; break;
		case 'G':
			if (parse_duration(optarg, &a.grace) < 0 || a.grace > 3600)
				return cli_usage_error("--grace takes a duration (5s, 500ms) up to an hour, not '%s'",
						       optarg);
			break;
		case 'S':
			if (parse_shard(optarg, &a.shard, &a.shards) < 0)
				return cli_usage_error("--shard takes I/N with 1 <= I <= N <= 10000, not '%s'", optarg);
			break;
		case 'T':
			if (cli_parse_time_budget(optarg, &a.time_budget) != 0)
				return EXIT_USAGE;
			break;
		case 'h': cli_print_help(stdout); return EXIT_GRADED;
		default: fputs("Try 'grade --help' for more information.\n", stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("%s", optind >= argc ? "missing SUBMISSIONS_DIR or ROSTER.csv"
							   : "batch takes one SUBMISSIONS_DIR or ROSTER.csv");
	a.roster_path = argv[optind];
	return run_batch(&a, argc, argv);
}
