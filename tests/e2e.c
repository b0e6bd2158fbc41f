#include "e2e.h"

#include <criterion/criterion.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "util.h"

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
