/*
 * Interrupts and crashes lose nothing (issue 16): a class of 200
 * submissions graded once without interruption for reference, then again
 * into a fresh gradebook while being interrupted at random moments —
 * SIGINT to the whole process group (a Ctrl-C on the terminal), SIGTERM
 * to grade alone, with and without grace, and kill -9 — each time resumed
 * by the same command, until a run finishes.  Every interrupted run exits
 * 130 saying how far it got, every kill leaves a gradebook that passes
 * integrity_check and holds what was committed, no interruption is ever
 * recorded as a verdict on a submission, and the end result is the
 * reference's, student by student and check by check.
 *
 * The moments are random (the seed is in the failure message); nothing is
 * asserted about timing.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "support/run.h"

TestSuite(interrupt, .timeout = 600);

#define N_SUBMISSIONS 200
#define RUBRIC "../../rubrics/refcount.yaml"

static char dir[64];

static void make_class(void)
{
	snprintf(dir, sizeof(dir), "/tmp/grade-interrupt-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	static const char *const kinds[] = { "refcount-correct", "refcount-subtracts-two", "refcount-syntax-error",
					     "refcount-keeps-argument", "refcount-prints" };
	char *data = test_data("submissions");
	for (int i = 0; i < N_SUBMISSIONS; i++) {
		/* Each one different, so that nothing is reused by chance. */
		char *from = xasprintf("%s/%s/refcount.py", data, kinds[i % 5]), *sub = xasprintf("%s/class/s%03d", dir, i);
		char *to = xasprintf("%s/refcount.py", sub), *text = NULL;
		size_t len = 0;
		cr_assert_eq(read_file(&text, &len, from, 1 << 20), 0, "%s", from);
		if (i == 0)
			run_sh("mkdir '%s/class'", dir);
		cr_assert_eq(mkdir(sub, 0755), 0);
		FILE *f = fopen(to, "w");
		cr_assert_not_null(f);
		fprintf(f, "%s\n# %d\n", text, i);
		fclose(f);
		free(text);
		free(from);
		free(sub);
		free(to);
	}
	free(data);
}

static void remove_class(void)
{
	run_sh("rm -rf '%s'", dir);
}

/* Starts `grade batch` on the class into gradebook 'gb', in a process
 * group of its own, its output into files; returns its pid. */
static pid_t start_batch(const char *gb, const char *grace)
{
	char *gbp = xasprintf("%s/%s", dir, gb), *class = xasprintf("%s/class", dir),
	     *out = xasprintf("%s/out.txt", dir), *err = xasprintf("%s/err.txt", dir), *data = test_data("");
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		setpgid(0, 0);
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (o < 0 || e < 0 || chdir(data) < 0)
			_exit(126);
		dup2(o, 1);
		dup2(e, 2);
		execl(getenv("GRADE_BIN"), "grade", "batch", "-j", "2", "-r", RUBRIC, "--grace", grace, "--gradebook",
		      gbp, class, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	free(gbp);
	free(class);
	free(out);
	free(err);
	free(data);
	return pid;
}

static int wait_status(pid_t pid)
{
	int st = 0;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *slurp(const char *name)
{
	char *p = xasprintf("%s/%s", dir, name), *text = NULL;
	size_t len = 0;
	cr_assert_eq(read_file(&text, &len, p, 1 << 24), 0, "%s", p);
	free(p);
	return text;
}

static char *query(const char *gb, const char *sql)
{
	char *db = xasprintf("%s/%s", dir, gb);
	const char *argv[] = { "sqlite3", "-batch", "-bail", db, sql, NULL };
	struct run_result r;
	run_command(&r, argv);
	cr_assert_eq(r.status, 0, "sqlite3 %s: %s", sql, r.err);
	char *out = xstrdup(r.out);
	run_result_release(&r);
	free(db);
	return out;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Each student's result and every check's status, one line each. */
static const char results_sql[] =
	"SELECT l.student || ' ' || l.status || ' ' || l.score || ' ' ||"
	" (SELECT group_concat(c.check_id || '=' || c.status, ',') FROM"
	"   (SELECT * FROM checks WHERE submission_id = l.id ORDER BY exercise, position) c)"
	" FROM latest l ORDER BY l.student;";

Test(interrupt, interrupted_and_killed_runs_resume_to_the_same_gradebook, .init = make_class, .fini = remove_class)
{
	if (system("command -v sqlite3 >/dev/null 2>&1") != 0)
		cr_skip_test("the sqlite3 shell is not installed (Debian: sqlite3)");
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	srand(seed);

	double t0 = now();
	int status = wait_status(start_batch("reference.sqlite", "5s"));
	double full = now() - t0;
	cr_assert_eq(status, 0, "reference run: %d: %s", status, slurp("err.txt"));
	char *reference = query("reference.sqlite", results_sql);

	/* SIGINT to the group with grace, SIGTERM without, kill -9, a
	 * double Ctrl-C; then resumed until a run finishes. */
	static const struct { int sig; bool group; const char *grace; } attacks[] = {
		{ SIGINT, true, "5s" }, { SIGTERM, false, "0s" }, { SIGKILL, false, "5s" }, { SIGINT, true, "30s" },
		{ SIGKILL, true, "5s" },
	};
	size_t committed = 0;
	for (size_t a = 0; a < ARRAY_SIZE(attacks); a++) {
		pid_t pid = start_batch("book.sqlite", attacks[a].grace);
		/* Somewhere in what is left to grade. */
		double at = full * (0.05 + 0.5 * rand() / (double)RAND_MAX);
		usleep((useconds_t)(at * 1e6));
		kill(attacks[a].group ? -pid : pid, attacks[a].sig);
		if (a == 3) {
			usleep(20000);
			kill(-pid, SIGINT);   /* impatient: the second one ends the grace */
		}
		status = wait_status(pid);
		char *err = slurp("err.txt");
		if (attacks[a].sig == SIGKILL && status != 0) {
			cr_assert_eq(status, 128 + SIGKILL, "seed %u, attack %zu: %d: %s", seed, a, status, err);
		} else if (attacks[a].sig != SIGKILL && status == 130) {
			cr_assert(strstr(err, "graded; rerun the same command to continue"), "seed %u: %s", seed, err);
		} else {
			/* It finished before the signal came. */
			cr_assert_eq(status, 0, "seed %u, attack %zu: exit %d: %s", seed, a, status, err);
		}
		free(err);
		char *check = query("book.sqlite", "PRAGMA integrity_check;");
		cr_assert_str_eq(check, "ok\n", "seed %u, attack %zu", seed, a);
		free(check);
		/* Nothing is lost: the book only grows, and no interruption
		 * is recorded as a failure of the grader or of the code. */
		char *count = query("book.sqlite", "SELECT count(*) FROM submissions;");
		size_t n = strtoul(count, NULL, 10);
		cr_assert_geq(n, committed, "seed %u, attack %zu: %zu rows after %zu", seed, a, n, committed);
		committed = n;
		free(count);
		char *errors = query("book.sqlite", "SELECT count(*) FROM submissions WHERE status != 'graded'"
						    " OR id IN (SELECT submission_id FROM checks WHERE status = 'crash');");
		cr_assert_str_eq(errors, "0\n", "seed %u, attack %zu", seed, a);
		free(errors);
	}
	status = wait_status(start_batch("book.sqlite", "5s"));
	char *out = slurp("out.txt");
	cr_assert_eq(status, 0, "seed %u: resume: %d", seed, status);
	cr_assert(strstr(out, "200 students: "), "%s", out);
	free(out);
	char *dup = query("book.sqlite", "SELECT count(*) - count(DISTINCT student) FROM submissions;");
	cr_assert_str_eq(dup, "0\n", "seed %u: a submission committed before was graded again", seed);
	free(dup);

	char *resumed = query("book.sqlite", results_sql);
	cr_assert_str_eq(resumed, reference, "seed %u", seed);
	free(resumed);
	free(reference);
}
