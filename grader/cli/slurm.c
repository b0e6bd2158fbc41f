/*
 * slurm.c - `grade slurm ROSTER --shards N [options]`: a class graded as a
 * Slurm job array, one shard a task, and a dependent job that merges the
 * shards' gradebooks (cluster/slurm.h writes the scripts; docs/scale.md).
 *
 * The scripts run the very binary that wrote them (/proc/self/exe) on the
 * absolute paths of the roster, the rubric and DIR, so every node must see
 * them at the same paths: a shared filesystem.  sbatch and squeue run with
 * an argv (cluster/command.h), never through a shell.
 */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/util.h"
#include "book/book.h"
#include "book/export.h"
#include "book/roster.h"
#include "cluster/command.h"
#include "cluster/slurm.h"
#include "control/grade.h"
#include "grade_config.h"
#include "rubric/rubric.h"

#define MAX_LINES 64   /* --setup and --sbatch lines, each */

struct slurm_args {
	const char *roster, *rubric, *dir, *output, *partition, *time, *time_budget;
	unsigned shards, cpus;
	bool wait, dry_run, quiet;
	const char *setup[MAX_LINES], *options[MAX_LINES];
	size_t n_setup, n_options;
};

/* Set by SIGINT/SIGTERM while waiting: the jobs go on, grade stops waiting. */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* 'path' made absolute: resolved when it exists, else its directory
 * resolved and its name appended, else joined to the working directory.
 * A new string. */
static char *absolute(const char *path)
{
	char resolved[PATH_MAX];
	if (realpath(path, resolved))
		return xstrdup(resolved);
	char *d = xstrdup(path), *b = xstrdup(path), *out = NULL;
	if (realpath(dirname(d), resolved))
		out = xasprintf("%s/%s", strcmp(resolved, "/") ? resolved : "", basename(b));
	free(d);
	free(b);
	if (out)
		return out;
	if (path[0] == '/' || !getcwd(resolved, sizeof(resolved)))
		return xstrdup(path);
	return xasprintf("%s/%s", resolved, path);
}

/* The running grade binary, which the scripts run.  NULL after saying why. */
static char *own_binary(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		fprintf(stderr, "grade: cannot read /proc/self/exe: %s\n", strerror(errno));
		return NULL;
	}
	exe[n] = '\0';
	if (str_has_suffix(exe, " (deleted)")) {
		fprintf(stderr, "grade: the running grade binary '%s' was removed or replaced; run the new one\n", exe);
		return NULL;
	}
	return xstrdup(exe);
}

/* An argv as one line a shell would read back, each word quoted when it
 * needs to be. */
static void print_argv(FILE *out, const char *const *argv)
{
	struct buf b = BUF_INIT((size_t)1 << 20);
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			buf_puts(&b, " ");
		if (slurm_directive_safe(argv[i]))
			buf_puts(&b, argv[i]);
		else
			slurm_shell_quote(&b, argv[i]);
	}
	fprintf(out, "%s\n", b.data ? b.data : "");
	buf_release(&b);
}

/* DIR/shards records the shard count DIR's gradebooks were cut for:
 * another count would put other students in the same files.  Returns 0,
 * or EXIT_USAGE after saying why. */
static int check_shard_count(const char *dir, unsigned shards, bool write)
{
	char *path = xasprintf("%s/shards", dir), *text = NULL;
	size_t len = 0;
	int rc = 0;
	if (read_file(&text, &len, path, 64) == 0) {
		unsigned long had = strtoul(text, NULL, 10);
		if (had != shards) {
			fprintf(stderr,
				"grade: '%s' holds the gradebooks of %lu shards (%s); %u shards would mix other "
				"students into them: use another --dir, or empty that one\n",
				dir, had, path, shards);
			rc = EXIT_USAGE;
		}
	} else if (write) {
		char line[32];
		int n = snprintf(line, sizeof(line), "%u\n", shards);
		if (write_file_replace(path, line, (size_t)n) < 0) {
			fprintf(stderr, "grade: cannot write '%s': %s\n", path, strerror(errno));
			rc = EXIT_INTERNAL;
		}
	}
	free(text);
	free(path);
	return rc;
}

static int make_dir(const char *path)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	fprintf(stderr, "grade: cannot create '%s': %s\n", path, strerror(errno));
	return -1;
}

/* Runs `sbatch --parsable ...` and reads the job id.  Returns 0 or -1
 * after saying why. */
static int submit(const char *const *argv, char *id, size_t idlen)
{
	struct command_result r = COMMAND_RESULT_INIT;
	char err[512] = "";
	int rc = -1;
	if (command_run(argv, &r, err, sizeof(err)) < 0)
		fprintf(stderr, "grade: %s\n", err);
	else if (r.status)
		fprintf(stderr, "grade: sbatch exited %d: %s", r.status, r.err[0] ? r.err : "(no message)\n");
	else if (slurm_parse_jobid(r.out, id, idlen) < 0)
		fprintf(stderr, "grade: sbatch printed no job id: '%s'\n", r.out);
	else
		rc = 0;
	command_result_release(&r);
	return rc;
}

/* How to rerun shards ('which': "I", "2,5") and merge again, for a
 * person to copy. */
static void print_rerun_hint(FILE *out, const struct slurm_spec *s, const char *what, const char *which)
{
	struct buf b = BUF_INIT((size_t)1 << 20);
	slurm_shell_quote(&b, s->grade);
	buf_puts(&b, " merge -o ");
	slurm_shell_quote(&b, s->output);
	fprintf(out,
		"to rerun %s, then merge again once it succeeds:\n"
		"  sbatch --dependency=afterok:$(sbatch --parsable --array=%s %s/shard.sbatch) %s/merge.sbatch\n"
		"or, when it is done, merge here: %s %s/shard-*.sqlite\n",
		what, which, s->dir, s->dir, b.data, s->dir);
	buf_release(&b);
}

/* The class in one line, from the merged gradebook; the exit status, as
 * grade batch's: errors 5, missing 4, else 0. */
static int print_summary(const char *output)
{
	struct book *b = NULL;
	struct book_table t = { 0 };
	char err[512] = "";
	int status = EXIT_INTERNAL;
	if (book_open_existing(&b, output, err, sizeof(err)) < 0 || book_load_latest(b, &t, err, sizeof(err)) < 0) {
		fprintf(stderr, "grade: %s\n", err);
		goto done;
	}
	size_t graded = 0, missing = 0, errors = 0;
	double score = 0, max = 0;
	for (size_t i = 0; i < t.n; i++) {
		const struct book_row *r = &t.rows[i];
		if (!strcmp(r->status, "graded")) {
			graded++;
			score += r->score;
			max += r->max_score;
		} else if (!strcmp(r->status, "missing")) {
			missing++;
		} else {
			errors++;
		}
	}
	printf("%zu students: %zu graded, %zu missing, %zu errors", t.n, graded, missing, errors);
	if (graded)
		printf("; mean score %.2f of %.2f (%.1f%%)", score / (double)graded, max / (double)graded,
		       max > 0 ? 100 * score / max : 0.0);
	printf("; gradebook %s\n", output);
	status = errors ? EXIT_INTERNAL : missing ? EXIT_SUBMISSION : EXIT_GRADED;
done:
	book_table_release(&t);
	book_close(b);
	return status;
}

static void sleep_seconds(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	nanosleep(&ts, NULL);   /* a signal ends it early: the loop looks at the flag */
}

/* Counts of the array's tasks by what they are doing. */
struct task_counts {
	unsigned pending, running, done, failed;
};

static struct task_counts count_tasks(const struct slurm_status *st)
{
	struct task_counts c = { 0 };
	for (unsigned i = 0; i < st->shards; i++) {
		const char *t = st->task[i];
		if (!strcmp(t, "COMPLETED"))
			c.done++;
		else if (slurm_state_ended(t))
			c.failed++;
		else if (!strcmp(t, "RUNNING") || !strcmp(t, "COMPLETING"))
			c.running++;
		else
			c.pending++;
	}
	return c;
}

/* The shards whose task ended other than COMPLETED, as "2,5" (new string),
 * each with its state and log on 'out'. */
static char *report_failed(FILE *out, const struct slurm_spec *s, const struct slurm_status *st, const char *array)
{
	struct buf list = BUF_INIT(1 << 20);
	for (unsigned i = 0; i < st->shards; i++) {
		const char *t = st->task[i];
		if (!slurm_state_ended(t) || !strcmp(t, "COMPLETED"))
			continue;
		fprintf(out, "grade: shard %u (job %s_%u): %s; its log: %s/log/shard-%u.%s.out\n", i + 1, array, i + 1,
			t, s->dir, i + 1, array);
		buf_printf(&list, "%s%u", list.len ? "," : "", i + 1);
	}
	return buf_detach(&list, NULL);
}

/* Polls squeue until the merge job completed (0), or can no longer run
 * (EXIT_INTERNAL: a task failed; the merge job is then cancelled), or
 * an interrupt (EXIT_INTERRUPTED: the jobs go on). */
static int wait_jobs(const struct slurm_spec *s, const char *array, const char *merge, bool quiet)
{
	struct slurm_status st;
	slurm_status_init(&st, s->shards);
	struct task_counts last = { UINT_MAX, 0, 0, 0 };
	double start = now_seconds();
	unsigned query_failures = 0;
	char err[512] = "";
	int status = EXIT_INTERNAL;
	for (;;) {
		if (interrupted) {
			fprintf(stderr, "grade: stopped waiting; the jobs go on: array %s, merge %s\n", array, merge);
			status = EXIT_INTERRUPTED;
			goto done;
		}
		if (slurm_query(&st, array, merge, err, sizeof(err)) < 0) {
			/* A busy or restarting controller answers again later. */
			if (++query_failures == 30) {
				fprintf(stderr, "grade: %s; stopped waiting (the jobs go on: array %s, merge %s)\n",
					err, array, merge);
				goto done;
			}
		} else {
			query_failures = 0;
		}
		struct task_counts c = count_tasks(&st);
		if (!quiet && memcmp(&c, &last, sizeof(c))) {
			fprintf(stderr, "grade: shards: %u done, %u running, %u pending, %u failed\n", c.done,
				c.running, c.pending, c.failed);
			last = c;
		}
		if (!strcmp(st.merge, "COMPLETED")) {
			status = EXIT_GRADED;
			goto done;
		}
		if (slurm_state_ended(st.merge) || (!c.pending && !c.running && c.failed)) {
			char *failed = report_failed(stderr, s, &st, array);
			if (!slurm_state_ended(st.merge)) {
				/* afterok can no longer be satisfied: it would stay pending forever. */
				const char *argv[] = { "scancel", merge, NULL };
				struct command_result r = COMMAND_RESULT_INIT;
				if (command_run(argv, &r, err, sizeof(err)) < 0 || r.status)
					fprintf(stderr, "grade: cannot cancel the merge job %s: %s\n", merge,
						r.err && r.err[0] ? r.err : err);
				command_result_release(&r);
				fprintf(stderr, "grade: the merge job %s cannot run (afterok) and was cancelled\n", merge);
			} else {
				fprintf(stderr, "grade: the merge job %s ended %s; its log: %s/log/merge.%s.out\n", merge,
					st.merge, s->dir, merge);
			}
			if (failed[0])
				print_rerun_hint(stderr, s, strchr(failed, ',') ? "those shards" : "that shard", failed);
			free(failed);
			goto done;
		}
		/* Once a second for the first minute (short runs, tests), then every 5 s. */
		sleep_seconds(now_seconds() - start < 60 ? 1 : 5);
	}
done:
	slurm_status_release(&st);
	return status;
}

/* Writes and submits the scripts, or prints them (--dry-run). */
static int run(const struct slurm_args *a, struct slurm_spec *s, const size_t *sizes, size_t students)
{
	struct buf shard = BUF_INIT((size_t)1 << 20), merge = BUF_INIT((size_t)1 << 20);
	char *shard_path = xasprintf("%s/shard.sbatch", s->dir), *merge_path = xasprintf("%s/merge.sbatch", s->dir);
	char *log = xasprintf("%s/log", s->dir), *dependency = NULL, *sbatch = NULL;
	char array[64] = "", merge_id[64] = "";
	int status = EXIT_INTERNAL;
	slurm_shard_script(s, &shard);
	slurm_merge_script(s, &merge);
	const char *submit_array[] = { "sbatch", "--parsable", shard_path, NULL };

	size_t largest = 0;
	for (unsigned i = 0; i < s->shards; i++)
		largest = sizes[i] > largest ? sizes[i] : largest;
	FILE *info = a->dry_run ? stdout : stderr;
	if (!a->quiet || a->dry_run)
		fprintf(info, "grade: %zu students in %u shards (the largest %zu); time limit a task: %s%s\n", students,
			s->shards, largest, s->task_time ? s->task_time : "the partition's default",
			a->time ? " (--time)" : s->task_time ? " (from --time-budget)" : " (--time-budget none)");

	if (a->dry_run) {
		printf("==> %s <==\n%s\n==> %s <==\n%s\n", shard_path, shard.data, merge_path, merge.data);
		printf("==> submitted with <==\n");
		print_argv(stdout, submit_array);
		print_argv(stdout, (const char *const[]){ "sbatch", "--parsable", "--dependency=afterok:ARRAY_JOB_ID",
							  merge_path, NULL });
		status = EXIT_GRADED;
		goto done;
	}
	if (!(sbatch = command_find("sbatch"))) {
		fprintf(stderr, "grade: sbatch is not on PATH: grade slurm submits jobs with Slurm's sbatch "
				"(--dry-run prints the scripts without it)\n");
		goto done;
	}
	if (make_dir(s->dir) < 0 || make_dir(log) < 0)
		goto done;
	if ((status = check_shard_count(s->dir, s->shards, true)) != 0)
		goto done;
	status = EXIT_INTERNAL;
	if (write_file_replace(shard_path, shard.data, shard.len) < 0 ||
	    write_file_replace(merge_path, merge.data, merge.len) < 0) {
		fprintf(stderr, "grade: cannot write the scripts in '%s': %s\n", s->dir, strerror(errno));
		goto done;
	}
	if (submit(submit_array, array, sizeof(array)) < 0)
		goto done;
	dependency = xasprintf("--dependency=afterok:%s", array);
	const char *submit_merge[] = { "sbatch", "--parsable", dependency, merge_path, NULL };
	if (submit(submit_merge, merge_id, sizeof(merge_id)) < 0) {
		fprintf(stderr, "grade: the shards run as job array %s; submit the merge yourself:\n  ", array);
		print_argv(stderr, submit_merge);
		goto done;
	}
	printf("submitted: job array %s (shards 1-%u), merge job %s (after all of them succeed)\n", array,
	       s->shards, merge_id);
	if (!a->wait) {
		printf("shard gradebooks %s/shard-I.sqlite, logs %s/, class gradebook %s\n", s->dir, log, s->output);
		print_rerun_hint(stdout, s, "shard I (a task that failed, was cancelled or lost its node)", "I");
		status = EXIT_GRADED;
		goto done;
	}
	struct sigaction sa = { .sa_handler = on_interrupt };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if ((status = wait_jobs(s, array, merge_id, a->quiet)) == EXIT_GRADED)
		status = print_summary(s->output);
done:
	buf_release(&shard);
	buf_release(&merge);
	free(shard_path);
	free(merge_path);
	free(log);
	free(dependency);
	free(sbatch);
	return status;
}

/* Resolves paths, checks the rubric and the roster, computes the time
 * limits, then run(). */
static int prepare(const struct slurm_args *a)
{
	int status = EXIT_INTERNAL;
	char *grade = NULL, *roster_path = NULL, *rubric_path = NULL, *default_rubric = NULL, *dir = NULL,
	     *output = NULL;
	struct rubric r = RUBRIC_INIT;
	struct roster roster = ROSTER_INIT;
	struct diag_list diags = DIAG_LIST_INIT;
	size_t *sizes = xcalloc(a->shards, sizeof(*sizes));
	char task_time[32], merge_time[32];
	char resolved[PATH_MAX];

	if (!(grade = own_binary()))
		goto done;
	const char *rubric_arg = a->rubric;
	if (!rubric_arg && !(rubric_arg = default_rubric = cli_default_rubrics())) {
		fprintf(stderr, "grade: cannot find the course rubrics; pass --rubric\n");
		goto done;
	}
	if (!realpath(rubric_arg, resolved)) {
		fprintf(stderr, "grade: cannot read the rubric '%s': %s\n", rubric_arg, strerror(errno));
		status = EXIT_RUBRIC;
		goto done;
	}
	rubric_path = xstrdup(resolved);
	/* Its errors here, once, rather than in every task of the array. */
	if (rubric_load(&r, rubric_path, &diags) < 0 || diags.errors) {
		diag_print(&diags, stderr, cli_use_color("auto", stderr));
		status = EXIT_RUBRIC;
		goto done;
	}
	if (!realpath(a->roster, resolved)) {
		fprintf(stderr, "grade: cannot read the roster '%s': %s\n", a->roster, strerror(errno));
		status = EXIT_SUBMISSION;
		goto done;
	}
	roster_path = xstrdup(resolved);
	if (roster_load(&roster, roster_path, &diags) < 0) {
		diag_print(&diags, stderr, cli_use_color("auto", stderr));
		status = EXIT_SUBMISSION;
		goto done;
	}
	dir = absolute(a->dir);
	output = absolute(a->output);
	if (!slurm_directive_safe(dir)) {
		status = cli_usage_error("--dir '%s': Slurm's #SBATCH lines (--output, --chdir) cannot hold this path; "
					 "use one of letters, digits and + , - . / : = @ _ only",
					 dir);
		goto done;
	}
	if ((status = check_shard_count(dir, a->shards, false)) != 0)
		goto done;
	status = EXIT_INTERNAL;

	slurm_shard_sizes(&roster, a->shards, sizes);
	size_t largest = 0;
	for (unsigned i = 0; i < a->shards; i++)
		largest = sizes[i] > largest ? sizes[i] : largest;
	double budget = GRADE_DEFAULT_TIME_BUDGET;
	if (a->time_budget && cli_parse_time_budget(a->time_budget, &budget) != 0) {
		status = EXIT_USAGE;
		goto done;
	}
	unsigned long minutes = slurm_task_minutes(budget, largest, a->cpus);
	if (minutes)
		slurm_format_time(minutes, task_time, sizeof(task_time));
	slurm_format_time(slurm_merge_minutes(roster.n), merge_time, sizeof(merge_time));

	struct slurm_spec s = {
		.grade = grade, .roster = roster_path, .rubric = rubric_path, .dir = dir, .output = output,
		.time_budget = a->time_budget, .shards = a->shards, .cpus_per_task = a->cpus,
		.partition = a->partition, .task_time = a->time ? a->time : minutes ? task_time : NULL,
		.merge_time = merge_time, .setup = a->setup, .n_setup = a->n_setup, .options = a->options,
		.n_options = a->n_options,
	};
	status = run(a, &s, sizes, roster.n);
done:
	free(grade);
	free(roster_path);
	free(rubric_path);
	free(default_rubric);
	free(dir);
	free(output);
	free(sizes);
	rubric_release(&r);
	roster_release(&roster);
	diag_list_release(&diags);
	return status;
}

static int parse_count(const char *opt, const char *text, unsigned max, unsigned *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(text, &end, 10);
	if (errno || !*text || *end || *text == '-' || v < 1 || v > max)
		return cli_usage_error("%s takes a number from 1 to %u, not '%s'", opt, max, text);
	*out = (unsigned)v;
	return 0;
}

/* A line for an #SBATCH directive, or a --setup line, into list. */
static int add_line(const char *opt, const char *text, const char **list, size_t *n, bool directive)
{
	if (*n == MAX_LINES)
		return cli_usage_error("at most %d %s options", MAX_LINES, opt);
	if (directive && (!slurm_directive_safe(text) || text[0] != '-'))
		return cli_usage_error("%s takes one sbatch option such as --account=NAME (letters, digits and "
				       "+ , - . / : = @ _), not '%s'",
				       opt, text);
	if (!directive && strchr(text, '\n'))
		return cli_usage_error("%s takes one line of shell", opt);
	list[(*n)++] = text;
	return 0;
}

int cmd_slurm(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "shards", required_argument, NULL, 'n' },
		{ "partition", required_argument, NULL, 'p' },
		{ "time", required_argument, NULL, 't' },
		{ "cpus-per-task", required_argument, NULL, 'c' },
		{ "dir", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "rubric", required_argument, NULL, 'r' },
		{ "time-budget", required_argument, NULL, 'T' },
		{ "setup", required_argument, NULL, 'S' },
		{ "sbatch", required_argument, NULL, 'B' },
		{ "wait", no_argument, NULL, 'w' },
		{ "dry-run", no_argument, NULL, 'D' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct slurm_args a = { .dir = "grade-slurm", .output = "gradebook.sqlite", .cpus = 1 };
	unsigned long minutes;
	double budget;
	int opt;
	while ((opt = getopt_long(argc, argv, "c:o:r:p:t:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			if (parse_count("--shards", optarg, SLURM_MAX_SHARDS, &a.shards) != 0)
				return EXIT_USAGE;
			break;
		case 'c':
			if (parse_count("--cpus-per-task", optarg, 1024, &a.cpus) != 0)
				return EXIT_USAGE;
			break;
		case 'p':
			if (!slurm_directive_safe(optarg))
				return cli_usage_error("--partition takes partition names, not '%s'", optarg);
			a.partition = optarg;
			break;
		case 't':
			if (slurm_parse_time(optarg, &minutes) < 0 || !slurm_directive_safe(optarg))
				return cli_usage_error("--time takes a Slurm time (MM, HH:MM:SS, D-HH:MM...), not '%s'",
						       optarg);
			a.time = optarg;
			break;
		case 'd': a.dir = optarg; break;
		case 'o': a.output = optarg; break;
		case 'r': a.rubric = optarg; break;
		case 'T':
			if (cli_parse_time_budget(optarg, &budget) != 0)
				return EXIT_USAGE;
			a.time_budget = optarg;
			break;
		case 'S':
			if (add_line("--setup", optarg, a.setup, &a.n_setup, false) != 0)
				return EXIT_USAGE;
			break;
		case 'B':
			if (add_line("--sbatch", optarg, a.options, &a.n_options, true) != 0)
				return EXIT_USAGE;
			break;
		case 'w': a.wait = true; break;
		case 'D': a.dry_run = true; break;
		case 'q': a.quiet = true; break;
		case 'h': cli_print_help(stdout); return EXIT_GRADED;
		default: fputs("Try 'grade --help' for more information.\n", stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("%s", optind >= argc ? "slurm takes the class: a SUBMISSIONS_DIR or ROSTER.csv"
							   : "slurm takes one SUBMISSIONS_DIR or ROSTER.csv");
	if (!a.shards)
		return cli_usage_error("%s", "slurm needs --shards N, the number of array tasks");
	if (a.wait && a.dry_run)
		return cli_usage_error("%s", "--wait and --dry-run do not go together");
	a.roster = argv[optind];
	return prepare(&a);
}
