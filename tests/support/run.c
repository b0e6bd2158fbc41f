#include "support/run.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "rubric/rubric.h"
#include "base/util.h"

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct corpus_case *)a)->name, ((const struct corpus_case *)b)->name);
}

struct corpus_case *corpus_cases(const char *subdir, size_t *n)
{
	const char *root = getenv("GRADE_TEST_DATA");
	char *dir = xasprintf("%s/%s", root ? root : ".", subdir);
	DIR *d = opendir(dir);
	size_t cap = 256;
	struct corpus_case *cases = cr_malloc(cap * sizeof(*cases));
	struct dirent *e;
	*n = 0;
	while (d && (e = readdir(d)) && *n < cap) {
		if (e->d_name[0] == '.')
			continue;
		char *exp = xasprintf("%s/%s/expected.json", dir, e->d_name);
		if (access(exp, R_OK) == 0)
			snprintf(cases[(*n)++].name, sizeof(cases[0].name), "%.127s", e->d_name);
		free(exp);
	}
	if (d)
		closedir(d);
	free(dir);
	qsort(cases, *n, sizeof(*cases), by_name);
	return cases;
}

char *test_data(const char *rel)
{
	const char *root = getenv("GRADE_TEST_DATA");
	cr_assert_not_null(root, "GRADE_TEST_DATA is not set (run through meson test)");
	return xasprintf("%s/%s", root, rel);
}

void run_grade(struct run_result *r, const char *const *args)
{
	const char *bin = getenv("GRADE_BIN");
	cr_assert_not_null(bin, "GRADE_BIN is not set (run through meson test)");
	const char *argv[32] = { bin };
	size_t n = 1;
	for (size_t i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	run_command(r, argv);
}

void run_command(struct run_result *r, const char *const *argv)
{
	int out[2], err[2];
	cr_assert_eq(pipe(out), 0);
	cr_assert_eq(pipe(err), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char *root = test_data("");
		if (chdir(root) < 0)
			_exit(126);
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	struct buf bo = BUF_INIT(64 << 20), be = BUF_INIT(64 << 20);
	struct pollfd p[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };
	int open_fds = 2;
	while (open_fds > 0) {
		if (poll(p, 2, -1) < 0)
			break;
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			char chunk[65536];
			ssize_t n = read(p[i].fd, chunk, sizeof(chunk));
			if (n <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open_fds--;
			} else {
				buf_append(i ? &be : &bo, chunk, (size_t)n);
			}
		}
	}
	int status = 0;
	waitpid(pid, &status, 0);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	r->out = buf_detach(&bo, NULL);
	r->err = buf_detach(&be, NULL);
}

void run_result_release(struct run_result *r)
{
	free(r->out);
	free(r->err);
}

/* The major.minor of the Python that made the report ("3.13.0 (main, ...)"). */
void report_python(json_t *report, int *major, int *minor)
{
	const char *v = json_string_value(json_object_get(json_object_get(report, "grader"), "python"));
	*major = *minor = 0;
	cr_assert(v && sscanf(v, "%d.%d", major, minor) == 2, "grader.python is '%s'", str_or(v, "(none)"));
}

/* Applies expected.json's "python" entries that hold for major.minor. */
void expect_for_version(json_t *expected, int major, int minor, const char *name)
{
	const char *cond_text;
	json_t *over;
	json_object_foreach(json_object_get(expected, "python"), cond_text, over) {
		struct version_cond cond;
		cr_assert_eq(parse_version_cond(cond_text, &cond), 0, "%s: bad python condition '%s'", name, cond_text);
		if (!version_cond_holds(&cond, major, minor))
			continue;
		const char *key;
		json_t *value;
		json_object_foreach(over, key, value) {
			json_t *base = json_object_get(expected, key);
			if (json_is_object(base) && json_is_object(value))
				json_object_update(base, value);
			else
				json_object_set(expected, key, value);
		}
	}
}

void git_test_env(const char *home)
{
	setenv("HOME", home, 1);
	setenv("GIT_AUTHOR_DATE", "2026-01-02T10:00:00+01:00", 1);
	setenv("GIT_COMMITTER_DATE", "2026-01-02T10:00:00+01:00", 1);
	setenv("GIT_AUTHOR_NAME", "t", 1);
	setenv("GIT_AUTHOR_EMAIL", "t@example.org", 1);
	setenv("GIT_COMMITTER_NAME", "t", 1);
	setenv("GIT_COMMITTER_EMAIL", "t@example.org", 1);
}

void run_sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = xvasprintf(fmt, ap);
	va_end(ap);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	free(cmd);
}
