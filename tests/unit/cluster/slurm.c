/*
 * The Slurm scripts of grade slurm (cluster/slurm.h): the time limit of a
 * task, Slurm's time format, shard sizes, quoting, and the scripts
 * themselves, run by /bin/sh with a stand-in for grade that records its
 * argv, as a job array task would run them.  And command.h's runner, on
 * which they are submitted.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/util.h"
#include "book/roster.h"
#include "cluster/command.h"
#include "cluster/slurm.h"

TestSuite(slurm, .timeout = 30);

Test(slurm, the_time_limit_is_the_budget_times_the_shard_over_its_cpus_with_a_margin)
{
	/* 100 submissions, 4 at a time: 25 rounds of 12 s, + 30 s start-up,
	 * x 1.5, + 2 min: 615 s, 10.25 minutes, rounded up. */
	cr_expect_eq(slurm_task_minutes(12, 100, 4), 11);
	/* A partial round counts as a whole one: 108 over 4 is 27 rounds
	 * (651 s, 11 minutes), 109 is 28 (669 s, 12 minutes). */
	cr_expect_eq(slurm_task_minutes(12, 108, 4), 11);
	cr_expect_eq(slurm_task_minutes(12, 109, 4), 12);
	/* An empty shard still starts grade. */
	cr_expect_eq(slurm_task_minutes(12, 0, 1), 3);      /* 165 s */
	/* More CPUs than students: one round. */
	cr_expect_eq(slurm_task_minutes(60, 3, 8), slurm_task_minutes(60, 1, 1));
	/* No budget: no bound. */
	cr_expect_eq(slurm_task_minutes(0, 1000, 1), 0);
	/* Grows with the budget and the shard, shrinks with the CPUs. */
	cr_expect_gt(slurm_task_minutes(24, 100, 4), slurm_task_minutes(12, 100, 4));
	cr_expect_gt(slurm_task_minutes(12, 200, 4), slurm_task_minutes(12, 100, 4));
	cr_expect_lt(slurm_task_minutes(12, 100, 8), slurm_task_minutes(12, 100, 4));
	cr_expect_eq(slurm_merge_minutes(400), 10);
	cr_expect_eq(slurm_merge_minutes(25000), 35);
}

Test(slurm, times_are_written_in_slurms_format)
{
	char t[32];
	slurm_format_time(3, t, sizeof(t));
	cr_expect_str_eq(t, "00:03:00");
	slurm_format_time(61, t, sizeof(t));
	cr_expect_str_eq(t, "01:01:00");
	slurm_format_time(24 * 60 - 1, t, sizeof(t));
	cr_expect_str_eq(t, "23:59:00");
	slurm_format_time(24 * 60, t, sizeof(t));
	cr_expect_str_eq(t, "1-00:00:00");
	slurm_format_time(3 * 24 * 60 + 125, t, sizeof(t));
	cr_expect_str_eq(t, "3-02:05:00");
	/* What is written reads back. */
	for (unsigned long m = 1; m < 5 * 24 * 60; m += 37) {
		unsigned long back = 0;
		slurm_format_time(m, t, sizeof(t));
		cr_expect_eq(slurm_parse_time(t, &back), 0, "%s", t);
		cr_expect_eq(back, m, "%s", t);
	}
}

Test(slurm, every_slurm_time_format_is_read)
{
	static const struct {
		const char *text;
		unsigned long minutes;
	} good[] = {
		{ "30", 30 },             /* M */
		{ "1:30", 2 },            /* M:S, seconds rounded up */
		{ "2:00", 2 },
		{ "2:00:00", 120 },       /* H:M:S */
		{ "1-0", 1440 },          /* D-H */
		{ "1-2:3", 1563 },        /* D-H:M */
		{ "1-2:3:4", 1564 },      /* D-H:M:S */
		{ "UNLIMITED", 0 },
		{ "infinite", 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		unsigned long m = 99999;
		cr_expect_eq(slurm_parse_time(good[i].text, &m), 0, "%s", good[i].text);
		cr_expect_eq(m, good[i].minutes, "%s: %lu", good[i].text, m);
	}
	static const char *const bad[] = { "", "a", "1:2:3:4", "1-", "-1", "0", "0:00", "1--2", "1-2-3", "1h",
					   " 5", "5 ", "1:", ":1", "1-2:3:4:5" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		unsigned long m;
		cr_expect_eq(slurm_parse_time(bad[i], &m), -1, "'%s'", bad[i]);
	}
}

Test(slurm, shard_sizes_are_grade_batchs_shards)
{
	struct roster r = ROSTER_INIT;
	r.n = r.alloc = 500;
	r.entries = xcalloc(r.n, sizeof(*r.entries));
	for (size_t i = 0; i < r.n; i++)
		r.entries[i].student = xasprintf("student%zu", i);
	size_t sizes[7], want[7] = { 0 }, total = 0;
	slurm_shard_sizes(&r, 7, sizes);
	for (size_t i = 0; i < r.n; i++)
		want[roster_shard_of(r.entries[i].student, 7) - 1]++;
	for (int i = 0; i < 7; i++) {
		cr_expect_eq(sizes[i], want[i], "shard %d", i + 1);
		/* A hash spreads 500 over 7 roughly evenly (71 each). */
		cr_expect(sizes[i] > 40 && sizes[i] < 110, "shard %d: %zu", i + 1, sizes[i]);
		total += sizes[i];
	}
	cr_expect_eq(total, r.n);
	slurm_shard_sizes(&r, 1, sizes);
	cr_expect_eq(sizes[0], r.n);
	roster_release(&r);
}

Test(slurm, only_plain_words_go_into_sbatch_lines)
{
	static const char *const safe[] = { "/scratch/cs101/grade-slurm", "debug,long", "--account=cs101", "1-00:00:00",
					    "a+b@c_d.e" };
	static const char *const unsafe[] = { "", "/tmp/a b", "it's", "50%", "$HOME", "a\nb", "a\"b", "a\\b", "a;b",
					      "`x`", "a\tb" };
	for (size_t i = 0; i < ARRAY_SIZE(safe); i++)
		cr_expect(slurm_directive_safe(safe[i]), "%s", safe[i]);
	for (size_t i = 0; i < ARRAY_SIZE(unsafe); i++)
		cr_expect_not(slurm_directive_safe(unsafe[i]), "%s", unsafe[i]);
}

/* The words /bin/sh reads from 'script', one per line of its output. */
static char *sh_output(const char *script)
{
	const char *argv[] = { "sh", "-c", script, NULL };
	struct command_result r = COMMAND_RESULT_INIT;
	char err[256];
	cr_assert_eq(command_run(argv, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(r.status, 0, "sh -c %s: %s", script, r.err);
	char *out = xstrdup(r.out);
	command_result_release(&r);
	return out;
}

Test(slurm, a_quoted_word_reads_back_as_itself)
{
	static const char *const words[] = { "plain", "with space", "it's", "''", "$(touch /tmp/grade-slurm-pwned)",
					     "`id`", "a\nnew line", "\\back\\slash", "*", "-n", "\"dq\"", "$HOME ~ ; &|" };
	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		struct buf b = BUF_INIT(1 << 16);
		buf_puts(&b, "printf '%s' ");
		slurm_shell_quote(&b, words[i]);
		char *out = sh_output(b.data);
		cr_expect_str_eq(out, words[i]);
		free(out);
		buf_release(&b);
	}
	cr_expect_neq(access("/tmp/grade-slurm-pwned", F_OK), 0);
}

static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/grade-slurm-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(path, mode), 0);
}

/* A stand-in for grade in a folder whose name needs quoting: it writes its
 * arguments, one a line, to dir/args and exits $FAKE_STATUS. */
static char *fake_grade(void)
{
	char *folder = xasprintf("%s/it's a $(dir)", dir), *path = xasprintf("%s/grade", folder);
	cr_assert_eq(mkdir(folder, 0755), 0);
	char *text = xasprintf("#!/bin/sh\nfor a in \"$@\"; do printf '%%s\\n' \"$a\"; done > '%s/args'\n"
			       "exit \"${FAKE_STATUS:-0}\"\n",
			       dir);
	write_text(path, text, 0755);
	free(text);
	free(folder);
	return path;
}

static struct slurm_spec spec(const char *grade)
{
	static char roster[128], rubric[128], output[128];
	snprintf(roster, sizeof(roster), "%s/class list \"2026\".csv", dir);
	snprintf(rubric, sizeof(rubric), "%s/rubric's.yaml", dir);
	snprintf(output, sizeof(output), "%s/class $book.sqlite", dir);
	return (struct slurm_spec){ .grade = grade, .roster = roster, .rubric = rubric, .dir = dir, .output = output,
				    .shards = 4, .cpus_per_task = 2, .task_time = "00:11:00",
				    .merge_time = "00:10:00" };
}

/* Runs script (the text) with sh, in env; returns its exit status. */
static int run_script(const char *text, const char *env)
{
	char *path = xasprintf("%s/script.sbatch", dir);
	write_text(path, text, 0644);
	char *cmd = xasprintf("env %s sh '%s' >/dev/null 2>&1", env, path);
	int st = system(cmd);
	free(cmd);
	free(path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *args_file(void)
{
	char *path = xasprintf("%s/args", dir), *text = NULL;
	size_t len;
	cr_assert_eq(read_file(&text, &len, path, 1 << 20), 0, "%s: the script did not run grade", path);
	unlink(path);
	free(path);
	return text;
}

/* The #SBATCH lines come before the first command: sbatch reads no more. */
static void directives_first(const char *script)
{
	bool commands = false;
	for (const char *line = script; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] == '\n')) {
		if (!strncmp(line, "#SBATCH", 7))
			cr_expect_not(commands, "an #SBATCH line after a command: %.40s", line);
		else if (line[0] != '#' && line[0] != '\n')
			commands = true;
	}
}

Test(slurm, a_shard_task_runs_grade_batch_on_its_shard, .init = make_dir, .fini = remove_dir)
{
	char *grade = fake_grade();
	struct slurm_spec s = spec(grade);
	const char *setup[] = { "export GRADE_SETUP_RAN=yes", "echo set-up" };
	const char *options[] = { "--account=cs101", "--mem=2G" };
	s.setup = setup;
	s.n_setup = 2;
	s.options = options;
	s.n_options = 2;
	s.partition = "debug";
	s.time_budget = "30s";
	struct buf b = BUF_INIT(1 << 20);
	slurm_shard_script(&s, &b);
	cr_expect(strstr(b.data, "#!/bin/sh\n") == b.data);
	cr_expect_not_null(strstr(b.data, "\n#SBATCH --array=1-4\n"));
	cr_expect_not_null(strstr(b.data, "\n#SBATCH --cpus-per-task=2\n"));
	cr_expect_not_null(strstr(b.data, "\n#SBATCH --time=00:11:00\n"));
	cr_expect_not_null(strstr(b.data, "\n#SBATCH --partition=debug\n"));
	cr_expect_not_null(strstr(b.data, "\n#SBATCH --account=cs101\n#SBATCH --mem=2G\n"));
	char *log = xasprintf("\n#SBATCH --output=%s/log/shard-%%a.%%A.out\n", dir);
	cr_expect_not_null(strstr(b.data, log), "%s", b.data);
	free(log);
	directives_first(b.data);

	/* Array task 3 of a 2-CPU allocation, as slurmd would start it. */
	cr_assert_eq(run_script(b.data, "SLURM_ARRAY_TASK_ID=3 SLURM_CPUS_PER_TASK=2"), 0);
	char *got = args_file();
	char *want = xasprintf("batch\n--shard\n3/4\n--gradebook\n%s/shard-3.sqlite\n-j\n2\n-r\n%s\n--time-budget\n30s\n%s\n",
			       dir, s.rubric, s.roster);
	cr_expect_str_eq(got, want);
	free(got);
	free(want);
	/* Some submissions missing (4): the shard is complete, the task succeeds. */
	cr_expect_eq(run_script(b.data, "SLURM_ARRAY_TASK_ID=1 SLURM_CPUS_PER_TASK=1 FAKE_STATUS=4"), 0);
	free(args_file());
	/* Interrupted (130) or failed (5): the task fails, and afterok holds the merge. */
	cr_expect_eq(run_script(b.data, "SLURM_ARRAY_TASK_ID=1 SLURM_CPUS_PER_TASK=1 FAKE_STATUS=130"), 130);
	free(args_file());
	cr_expect_eq(run_script(b.data, "SLURM_ARRAY_TASK_ID=1 SLURM_CPUS_PER_TASK=1 FAKE_STATUS=5"), 5);
	free(args_file());
	/* Outside a job array it refuses to guess a shard. */
	cr_expect_neq(run_script(b.data, "-u SLURM_ARRAY_TASK_ID"), 0);
	buf_release(&b);
	free(grade);
}

Test(slurm, without_a_time_or_a_budget_the_partition_decides, .init = make_dir, .fini = remove_dir)
{
	struct slurm_spec s = spec("/bin/true");
	s.task_time = NULL;
	s.time_budget = "none";
	struct buf b = BUF_INIT(1 << 20);
	slurm_shard_script(&s, &b);
	cr_expect_null(strstr(b.data, "--time="));
	cr_expect_null(strstr(b.data, "--partition"));
	cr_expect_not_null(strstr(b.data, " --time-budget 'none' "));
	buf_release(&b);
}

Test(slurm, the_merge_job_merges_every_shard_into_the_output, .init = make_dir, .fini = remove_dir)
{
	char *grade = fake_grade();
	struct slurm_spec s = spec(grade);
	struct buf b = BUF_INIT(1 << 20);
	slurm_merge_script(&s, &b);
	cr_expect_not_null(strstr(b.data, "\n#SBATCH --time=00:10:00\n"));
	cr_expect_null(strstr(b.data, "--array"));
	directives_first(b.data);
	cr_assert_eq(run_script(b.data, ""), 0);
	char *got = args_file();
	char *want = xasprintf("merge\n-o\n%s\n%s/shard-1.sqlite\n%s/shard-2.sqlite\n%s/shard-3.sqlite\n%s/shard-4.sqlite\n",
			       s.output, dir, dir, dir, dir);
	cr_expect_str_eq(got, want);
	free(got);
	free(want);
	cr_expect_eq(run_script(b.data, "FAKE_STATUS=5"), 5);
	free(args_file());
	buf_release(&b);
	free(grade);
}

Test(slurm, sbatch_parsable_gives_the_job_id)
{
	char id[32];
	cr_expect_eq(slurm_parse_jobid("123\n", id, sizeof(id)), 0);
	cr_expect_str_eq(id, "123");
	cr_expect_eq(slurm_parse_jobid("4567;cluster\n", id, sizeof(id)), 0);
	cr_expect_str_eq(id, "4567");
	cr_expect_eq(slurm_parse_jobid("89", id, sizeof(id)), 0);
	cr_expect_str_eq(id, "89");
	cr_expect_eq(slurm_parse_jobid("", id, sizeof(id)), -1);
	cr_expect_eq(slurm_parse_jobid("Submitted batch job 12\n", id, sizeof(id)), -1);
	cr_expect_eq(slurm_parse_jobid("12a\n", id, sizeof(id)), -1);
	cr_expect_eq(slurm_parse_jobid("123456789", id, 4), -1);
}

Test(slurm, squeue_lines_become_the_tasks_and_the_merge)
{
	struct slurm_status st;
	slurm_status_init(&st, 4);
	slurm_status_parse(&st,
			   "7|2|RUNNING|None\n"
			   "7|1|COMPLETED|None\n"
			   "7|3|PENDING|Resources\n"
			   "7|9|RUNNING|None\n"      /* not a shard of this array */
			   "5|4|FAILED|None\n"       /* another job */
			   "garbage\n"
			   "8|N/A|PENDING|Dependency\n",
			   "7", "8");
	cr_expect_str_eq(st.task[0], "COMPLETED");
	cr_expect_str_eq(st.task[1], "RUNNING");
	cr_expect_str_eq(st.task[2], "PENDING");
	cr_expect_str_eq(st.task[3], "");
	cr_expect_str_eq(st.merge, "PENDING");
	cr_expect_str_eq(st.merge_reason, "Dependency");
	/* Later: task 1 forgotten by squeue keeps its state. */
	slurm_status_parse(&st, "7|2|CANCELLED|None\n7|3|COMPLETED|None\n7|4|COMPLETED|None\n"
				"8|N/A|PENDING|DependencyNeverSatisfied", "7", "8");
	cr_expect_str_eq(st.task[0], "COMPLETED");
	cr_expect_str_eq(st.task[1], "CANCELLED");
	cr_expect_str_eq(st.merge_reason, "DependencyNeverSatisfied");
	slurm_status_release(&st);

	cr_expect(slurm_state_ended("COMPLETED"));
	cr_expect(slurm_state_ended("CANCELLED"));
	cr_expect(slurm_state_ended("NODE_FAIL"));
	cr_expect(slurm_state_ended("TIMEOUT"));
	cr_expect_not(slurm_state_ended("RUNNING"));
	cr_expect_not(slurm_state_ended("COMPLETING"));
	cr_expect_not(slurm_state_ended("PENDING"));
	cr_expect_not(slurm_state_ended(""));
}

Test(slurm, commands_run_with_an_argv_and_keep_their_output)
{
	char *sh = command_find("sh");
	cr_assert_not_null(sh);
	cr_expect_eq(sh[0], '/');
	free(sh);
	cr_expect_null(command_find("grade-no-such-program"));

	struct command_result r = COMMAND_RESULT_INIT;
	char err[256] = "";
	const char *argv[] = { "sh", "-c", "printf out; printf err >&2; exit 3", NULL };
	cr_assert_eq(command_run(argv, &r, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(r.status, 3);
	cr_expect_str_eq(r.out, "out");
	cr_expect_str_eq(r.err, "err");
	command_result_release(&r);

	/* An argument is one word, whatever it holds. */
	const char *echo[] = { "printf", "%s|", "a b", "$(x)", NULL };
	cr_assert_eq(command_run(echo, &r, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(r.out, "a b|$(x)|");
	command_result_release(&r);

	/* More output than kept: drained to the end, the program is not blocked. */
	const char *flood[] = { "head", "-c", "3000000", "/dev/zero", NULL };
	cr_assert_eq(command_run(flood, &r, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(r.status, 0);
	command_result_release(&r);

	const char *missing[] = { "grade-no-such-program", NULL };
	cr_expect_eq(command_run(missing, &r, err, sizeof(err)), -1);
	cr_expect_not_null(strstr(err, "'grade-no-such-program' is not on PATH"), "%s", err);
	command_result_release(&r);
}
