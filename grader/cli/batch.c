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
#include <sys/stat.h>
#include <unistd.h>

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/error.h"
#include "base/util.h"
#include "book/attempt.h"
#include "book/book.h"
#include "book/csv.h"
#include "book/hash.h"
#include "book/history.h"
#include "book/roster.h"
#include "control/batch.h"
#include "control/grade.h"
#include "control/worker.h"
#include "git/due.h"
#include "git/fetch.h"
#include "git/repo.h"
#include "grade_config.h"
#include "report/report.h"
#include "rubric/rubric.h"
#include "run/scratch.h"
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

/* One thing to grade of a student: their folder, or one commit of their
 * repository (the due one, or the late one beside it). */
struct unit {
	const char *dir;               /* what is graded (borrowed: the roster's path or the attempt's) */
	struct attempt *attempt;       /* NULL for a folder */
	char content[BOOK_HASH_HEX];
	char key[BOOK_HASH_HEX];
	char **exercise_keys;          /* one per rubric exercise */
	int64_t recorded;              /* its row once graded or found (0: not yet) */
};

/* One student of the roster, as this run sees them. */
struct member {
	struct unit units[2];
	size_t n_units;
	struct attempt attempts[2];
	char *unreadable;              /* why there is nothing to grade (missing), or NULL */
	char *failed;                  /* why the repository cannot be read (error, retried), or NULL */
	bool reused;                   /* every unit's result was found */
};

/* A unit still to grade: member and unit indices. */
struct todo_item {
	size_t member, unit;
};

struct batch_job {
	const struct rubric *rubric;
	const struct roster *roster;
	struct member *members;
	struct todo_item *todo;        /* still to grade */
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
	const struct repo_options *repos;
	size_t repo_stats[2];          /* repositories cloned, fetched */
	struct fetch_job *fetches;     /* each repository URL of the roster once (git/fetch.h) */
	char **fetch_urls;             /* their URLs (owned) */
	size_t n_fetches;
	size_t *fetch_of;              /* per member: its fetch, or NO_FETCH (a folder, or no URL) */
};

#define NO_FETCH ((size_t)-1)

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
	const struct todo_item *t = &job->todo[index];
	const struct unit *u = &job->members[t->member].units[t->unit];
	struct grade_result g;
	char err[512] = "";
	if (grade_submission(&job->worker, job->rubric, u->dir, job->time_budget, &g, err, sizeof(err)) < 0) {
		out->error = xstrdup(err);
		out->unreadable = true;
	} else {
		if (u->attempt)
			attempt_apply_penalty(u->attempt, job->repos, &g);
		g.sandbox = *job->layers;
		g.sandbox_known = true;
		struct report_options ro = { .instructor = true };
		json_t *j = report_json(&g, &ro);
		out->text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(j);
		if (!out->text) {
			out->error = xasprintf("cannot format the report of '%s'", u->dir);
			out->internal = true;
		}
	}
	grade_result_release(&g);
}

/* The run item of a member whose units are all recorded: with a late
 * commit beside the due one, the item points at the better score after
 * penalty (the due one on a tie) and names the other. */
static int settle_member(struct batch_job *job, size_t i, bool reused, char *err, size_t errlen)
{
	struct member *m = &job->members[i];
	const char *student = job->roster->entries[i].student;
	if (m->n_units == 1)
		return book_item(job->book, job->run, student, m->units[0].recorded, 0, reused, err, errlen);
	double due = 0, late = 0;
	if (book_final_score(job->book, m->units[0].recorded, &due, err, errlen) < 0 ||
	    book_final_score(job->book, m->units[1].recorded, &late, err, errlen) < 0)
		return -1;
	size_t counted = late > due ? 1 : 0;
	return book_item(job->book, job->run, student, m->units[counted].recorded, m->units[1 - counted].recorded,
			 reused, err, errlen);
}

/* In the parent, as each submission finishes: one transaction. */
static int record_one(void *ctx, size_t index, const struct batch_output *out)
{
	struct batch_job *job = ctx;
	const struct todo_item *t = &job->todo[index];
	size_t i = t->member;
	const struct roster_entry *e = &job->roster->entries[i];
	struct member *m = &job->members[i];
	struct unit *u = &m->units[t->unit];
	struct book_submission s = {
		.who = e,
		.status = out->text ? "graded" : out->unreadable ? "missing" : "error",
		.key = u->key,
		.content_hash = u->content,
		.report = out->text,
		.error = out->error,
		.exercise_keys = (const char *const *)u->exercise_keys,
		.n_exercise_keys = job->rubric->n_exercises,
		.no_item = m->n_units > 1,
		.id_out = &u->recorded,
	};
	const char *status = s.status;
	if (book_record(job->book, job->run, &s, &status, job->write_err, sizeof(job->write_err)) < 0) {
		job->write_failed = true;
		return -1;
	}
	bool all = true;
	for (size_t k = 0; k < m->n_units; k++)
		all = all && m->units[k].recorded;
	if (m->n_units > 1 && all && settle_member(job, i, false, job->write_err, sizeof(job->write_err)) < 0) {
		job->write_failed = true;
		return -1;
	}
	if (!all) {   /* the student's other commit is still being graded: counted then */
		progress_finished(&job->progress, index, strcmp(status, "graded") != 0);
		return 0;
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
	const char *repo_cache;   /* --repo-cache (default: the gradebook's path + ".repos") */
	const char *pushed_at;    /* --pushed-at FILE */
	unsigned fetch_jobs;      /* --fetch-jobs: repositories fetched at a time */
	double fetch_timeout;     /* --fetch-timeout, seconds (0: none) */
	struct repo_options repos;
};

/* Fills m's units: its folder, or the commits of its repository. */
static void plan_member(struct batch_job *job, size_t i)
{
	const struct roster_entry *e = &job->roster->entries[i];
	struct member *m = &job->members[i];
	char why[512] = "";
	if (!repo_is_url(e->path) && !repo_is_local(e->path)) {
		m->units[0].dir = e->path;
		if (book_hash_dir(e->path, m->units[0].content, why, sizeof(why)) < 0)
			m->unreadable = xstrdup(why);
		else
			m->n_units = 1;
		return;
	}
	size_t n = 0;
	char *missing = NULL;
	const struct fetch_job *fetched =
		job->fetch_of && job->fetch_of[i] != NO_FETCH ? &job->fetches[job->fetch_of[i]] : NULL;
	if (attempts_plan(job->book, e, job->repos, fetched, m->attempts, &n, &missing, why, sizeof(why)) < 0) {
		m->failed = xstrdup(why);
		return;
	}
	m->unreadable = missing;
	for (size_t k = 0; k < n; k++) {
		m->units[k].dir = m->attempts[k].dir;
		m->units[k].attempt = &m->attempts[k];
		memcpy(m->units[k].content, m->attempts[k].content, BOOK_HASH_HEX);
	}
	m->n_units = n;
}

/* Every repository of the roster fetched before planning (git/fetch.h):
 * each URL once, --fetch-jobs at a time, each within --fetch-timeout.  A
 * member whose path gives no URL keeps NO_FETCH: planning says why. */
static int fetch_repositories(struct batch_job *job, const struct batch_args *a, char *err, size_t errlen)
{
	size_t n = job->roster->n;
	job->fetch_of = xcalloc(n ? n : 1, sizeof(*job->fetch_of));
	job->fetch_urls = xcalloc(n ? n : 1, sizeof(*job->fetch_urls));
	for (size_t i = 0; i < n; i++) {
		const char *path = job->roster->entries[i].path;
		char why[512];
		char *url = repo_is_url(path) || repo_is_local(path) ? attempt_url(path, why, sizeof(why)) : NULL;
		job->fetch_of[i] = NO_FETCH;
		if (!url)
			continue;
		size_t k = 0;
		while (k < job->n_fetches && strcmp(job->fetch_urls[k], url))
			k++;
		if (k == job->n_fetches)
			job->fetch_urls[job->n_fetches++] = url;
		else
			free(url);
		job->fetch_of[i] = k;
	}
	if (!job->n_fetches)
		return 0;
	job->fetches = xcalloc(job->n_fetches, sizeof(*job->fetches));
	for (size_t k = 0; k < job->n_fetches; k++)
		job->fetches[k].url = job->fetch_urls[k];
	/* The cache's directory first: children would race to create it. */
	if (mkdir(job->repos->cache_dir, 0755) < 0 && errno != EEXIST)
		return fail_errno(err, errlen, errno, "cannot create the repository cache '%s'", job->repos->cache_dir);
	return fetch_all(job->repos->cache_dir, job->fetches, job->n_fetches, a->fetch_jobs, a->fetch_timeout,
			 &interrupted, err, errlen);
}

/* The members with nothing to grade: recorded as missing or error. */
static int record_unplanned(struct batch_job *job, char *err, size_t errlen)
{
	for (size_t i = 0; i < job->roster->n; i++) {
		struct member *m = &job->members[i];
		if (m->n_units || (!m->failed && !m->unreadable))   /* graded, or not reached (interrupted) */
			continue;
		const char *why = m->failed ? m->failed : m->unreadable;
		struct book_submission s = { .who = &job->roster->entries[i], .status = m->failed ? "error" : "missing",
					     .error = why };
		if (book_record(job->book, job->run, &s, NULL, err, errlen) < 0)
			return -1;
		if (m->failed)
			job->errors++;
		else
			job->missing++;
		fprintf(stderr, "grade: %s: %s\n", job->roster->entries[i].student, why);
	}
	return 0;
}

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
	/* Repositories are fetched first, all at once; then planned, one
	 * transaction each for their evidence. */
	if (fetch_repositories(job, a, err, errlen) < 0)
		goto done;
	for (size_t i = 0; i < n && !interrupted; i++)
		plan_member(job, i);
	job->todo = xcalloc(2 * n + 1, sizeof(*job->todo));
	if (book_begin(job->book, err, errlen) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		const struct roster_entry *e = &job->roster->entries[i];
		struct member *m = &job->members[i];
		bool all_found = m->n_units > 0;
		for (size_t k = 0; k < m->n_units; k++) {
			struct unit *u = &m->units[k];
			const char *extra = u->attempt ? u->attempt->key_extra : "";
			const char *parts[] = { u->content, rubric_hash, grader, python, budget, extra };
			/* A folder's key is what it was before repositories came. */
			digest_strings(parts, u->attempt ? ARRAY_SIZE(parts) : ARRAY_SIZE(parts) - 1, u->key);
			u->exercise_keys = xcalloc(r->n_exercises ? r->n_exercises : 1, sizeof(char *));
			for (size_t x = 0; x < r->n_exercises; x++) {
				const char *xparts[] = { u->content, ex_hash[x], grader, python, budget, extra };
				u->exercise_keys[x] = xmalloc(BOOK_HASH_HEX);
				digest_strings(xparts, u->attempt ? ARRAY_SIZE(xparts) : ARRAY_SIZE(xparts) - 1,
						  u->exercise_keys[x]);
			}
			int64_t id = 0;
			if (!a->force && book_find(job->book, u->key, e->student, &id, err, errlen) < 0)
				goto done;
			u->recorded = id;
			if (!id) {
				all_found = false;
				job->todo[job->n_todo++] = (struct todo_item){ i, k };
			}
		}
		if (all_found) {
			if (settle_member(job, i, true, err, errlen) < 0)
				goto done;
			m->reused = true;
			job->reused++;
		}
	}
	if (book_commit(job->book, err, errlen) < 0)
		goto done;
	rc = record_unplanned(job, err, errlen);
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
		job->todo_names[i] = job->roster->entries[job->todo[i].member].student;
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
	if (job->repo_stats[0] + job->repo_stats[1])
		printf("%zu repositories: %zu cloned, %zu fetched (cache %s)\n", job->repo_stats[0] + job->repo_stats[1],
		       job->repo_stats[0], job->repo_stats[1], a->repos.cache_dir);
	/* The regrade diff: who this run changed, and by which checks. */
	struct buf diff = BUF_INIT((size_t)1 << 30);
	if (book_diff_text(job->book, job->run, false, &diff, err, 512) < 0)
		fprintf(stderr, "grade: %s\n", err);
	else if (diff.len)
		fputs(diff.data, stdout);
	buf_release(&diff);
	return job->errors ? EXIT_INTERNAL : job->missing ? EXIT_SUBMISSION : EXIT_GRADED;
}

/* --pushed-at FILE: a CSV with the columns student, commit, pushed_at
 * (in that order, after a header row), as a hosting platform exports
 * push events. */
static int load_pushed(const char *path, struct csv_table *out, struct diag_list *diags)
{
	char *text = NULL;
	size_t len = 0;
	int rc = read_file(&text, &len, path, (size_t)64 << 20);
	if (rc < 0) {
		free(text);
		return diag_file(diags, path, "cannot read the push times: %s", strerror(-rc));
	}
	rc = csv_parse(out, path, text, len, diags);
	struct diag_source src = { path, text, len };
	if (rc == 0 && (out->n == 0 || out->records[0].n < 3 || strcmp(out->records[0].fields[0], "student") ||
			strcmp(out->records[0].fields[1], "commit") || strcmp(out->records[0].fields[2], "pushed_at")))
		rc = diag_at(diags, &src, 0, 0, "the header row must be 'student,commit,pushed_at'");
	for (size_t i = 1; rc == 0 && i < out->n; i++) {
		int64_t t;
		char why[256];
		if (out->records[i].n < 3 || due_parse_time(out->records[i].fields[2], &t, why, sizeof(why)) < 0)
			rc = diag_at(diags, &src, out->records[i].line - 1, 0, "pushed_at: %s",
				     out->records[i].n < 3 ? "missing" : why);
	}
	free(text);
	return rc < 0 ? -1 : 0;
}

static int run_batch(struct batch_args *a, int argc, char **argv)
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
				 .worker = WORKER_INIT(&layers), .time_budget = a->time_budget, .repos = &a->repos };
	struct repo_options *ro = &a->repos;
	struct csv_table pushed = CSV_TABLE_INIT;
	char *cache = NULL, *scratch_root = NULL;
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
	if (a->pushed_at && load_pushed(a->pushed_at, &pushed, &diags) < 0) {
		diag_print(&diags, stderr, cli_use_color("auto", stderr));
		status = EXIT_USAGE;
		goto done;
	}
	/* Repositories: their cache, and a private directory for their trees. */
	cache = a->repo_cache ? xstrdup(a->repo_cache) : xasprintf("%s.repos", a->gradebook);
	const char *tmp = getenv("TMPDIR");
	scratch_root = xasprintf("%s/grade-batch-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(scratch_root)) {
		fprintf(stderr, "grade: cannot create a directory under %s: %s\n", tmp && *tmp ? tmp : "/tmp",
			strerror(errno));
		free(scratch_root);
		scratch_root = NULL;
		goto done;
	}
	ro->cache_dir = cache;
	ro->scratch_root = scratch_root;
	ro->pushed = a->pushed_at ? &pushed : NULL;
	ro->stats = job.repo_stats;
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
			struct member *m = &job.members[i];
			for (size_t k = 0; k < 2; k++) {
				free_strings(m->units[k].exercise_keys, m->units[k].exercise_keys ? r.n_exercises : 0);
				attempt_release(&m->attempts[k]);
			}
			free(m->unreadable);
			free(m->failed);
		}
	if (scratch_root)
		scratch_remove(scratch_root);
	free(scratch_root);
	free(cache);
	csv_table_release(&pushed);
	for (size_t k = 0; k < job.n_fetches; k++) {
		if (job.fetches)
			fetch_job_release(&job.fetches[k]);
		free(job.fetch_urls[k]);
	}
	free(job.fetches);
	free(job.fetch_urls);
	free(job.fetch_of);
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
		{ "repo-cache", required_argument, NULL, 'C' },
		{ "branch", required_argument, NULL, 'B' },
		{ "deadline", required_argument, NULL, 'D' },
		{ "date-source", required_argument, NULL, 'd' },
		{ "late-policy", required_argument, NULL, 'L' },
		{ "pushed-at", required_argument, NULL, 'P' },
		{ "fetch-jobs", required_argument, NULL, 'J' },
		{ "fetch-timeout", required_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct batch_args a = { .gradebook = "gradebook.sqlite", .grace = 5, .time_budget = GRADE_DEFAULT_TIME_BUDGET,
				.fetch_jobs = 8, .fetch_timeout = 300 };
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
		case 'C': a.repo_cache = optarg; break;
		case 'B': a.repos.branch = optarg; break;
		case 'D': {
			char why[256];
			if (due_parse_time(optarg, &a.repos.deadline, why, sizeof(why)) < 0)
				return cli_usage_error("--deadline: %s", why);
			a.repos.has_deadline = true;
			a.repos.deadline_text = optarg;
			break;
		}
		case 'd': {
			int src = due_source_parse(optarg);
			if (src < 0)
				return cli_usage_error("--date-source takes committer, fetched or pushed, not '%s'", optarg);
			a.repos.date_source = (enum due_source)src;
			break;
		}
		case 'L': {
			char why[512];
			if (late_policy_parse(optarg, &a.repos.policy, why, sizeof(why)) < 0)
				return cli_usage_error("--late-policy: %s", why);
			a.repos.has_policy = true;
			break;
		}
		case 'P': a.pushed_at = optarg; break;
		case 'J': {
			char *end = NULL;
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || *optarg == '-' || v < 1 || v > 64)
				return cli_usage_error("--fetch-jobs takes a number from 1 to 64, not '%s'", optarg);
			a.fetch_jobs = (unsigned)v;
			break;
		}
		case 'X':
			if (!strcmp(optarg, "none"))
				a.fetch_timeout = 0;
			else if (parse_duration(optarg, &a.fetch_timeout) < 0 || a.fetch_timeout <= 0 ||
				 a.fetch_timeout > 86400)
				return cli_usage_error("--fetch-timeout takes a duration (300s, 2.5) up to a day, or none, "
						       "not '%s'", optarg);
			break;
		case 'h': cli_print_help(stdout); return EXIT_GRADED;
		default: fputs("Try 'grade --help' for more information.\n", stderr); return EXIT_USAGE;
		}
	}
	if (a.repos.date_source == DUE_PUSHED && !a.pushed_at)
		return cli_usage_error("%s", "--date-source pushed needs --pushed-at FILE");
	if (optind != argc - 1)
		return cli_usage_error("%s", optind >= argc ? "missing SUBMISSIONS_DIR or ROSTER.csv"
							   : "batch takes one SUBMISSIONS_DIR or ROSTER.csv");
	a.roster_path = argv[optind];
	return run_batch(&a, argc, argv);
}
