/* command.c - runs a program with an argv and keeps its output (command.h). */
#include "cluster/command.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/util.h"

extern char **environ;

static bool executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *command_find(const char *name)
{
	if (strchr(name, '/'))
		return executable(name) ? xstrdup(name) : NULL;
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;; p++) {
		size_t n = strcspn(p, ":");
		/* An empty entry is the current directory, as for execvp. */
		char *candidate = n ? xasprintf("%.*s/%s", (int)n, p, name) : xasprintf("./%s", name);
		if (executable(candidate))
			return candidate;
		free(candidate);
		p += n;
		if (!*p)
			return NULL;
	}
}

/* Reads both pipes until both are closed. */
static void drain(int out_fd, int err_fd, struct buf *out, struct buf *err)
{
	struct pollfd fds[2] = { { .fd = out_fd, .events = POLLIN }, { .fd = err_fd, .events = POLLIN } };
	struct buf *bufs[2] = { out, err };
	int open_fds = 2;
	char chunk[8192];
	while (open_fds) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			ssize_t n = read(fds[i].fd, chunk, sizeof(chunk));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				fds[i].fd = -1;
				open_fds--;
				continue;
			}
			buf_append(bufs[i], chunk, (size_t)n);   /* beyond the limit: dropped, still drained */
		}
	}
}

int command_run(const char *const argv[], struct command_result *r, char *err, size_t errlen)
{
	int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 }, rc = -1;
	struct buf out = BUF_INIT(COMMAND_OUTPUT_LIMIT), errb = BUF_INIT(COMMAND_OUTPUT_LIMIT);
	posix_spawn_file_actions_t fa;
	bool fa_ready = false;
	char *path = NULL;
	r->status = -1;
	r->out = r->err = NULL;
	if (!(path = command_find(argv[0]))) {
		fail(err, errlen, "'%s' is not on PATH", argv[0]);
		goto done;
	}
	if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0) {
		fail_errno(err, errlen, errno, "cannot run '%s'", argv[0]);
		goto done;
	}
	int e = posix_spawn_file_actions_init(&fa);
	fa_ready = e == 0;
	if (!e)
		e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!e)
		e = posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
	if (!e)
		e = posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
	pid_t pid;
	/* posix_spawn's argv is char *const[]: it does not write to the strings. */
	if (!e)
		e = posix_spawn(&pid, path, &fa, NULL, (char *const *)argv, environ);
	if (e) {
		fail_errno(err, errlen, e, "cannot run '%s'", path);
		goto done;
	}
	close(out_pipe[1]);
	close(err_pipe[1]);
	out_pipe[1] = err_pipe[1] = -1;
	drain(out_pipe[0], err_pipe[0], &out, &errb);
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			fail_errno(err, errlen, errno, "cannot wait for '%s'", path);
			goto done;
		}
	}
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	rc = 0;
done:
	if (fa_ready)
		posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; i < 2; i++) {
		if (out_pipe[i] >= 0)
			close(out_pipe[i]);
		if (err_pipe[i] >= 0)
			close(err_pipe[i]);
	}
	r->out = buf_detach(&out, NULL);
	r->err = buf_detach(&errb, NULL);
	free(path);
	return rc;
}

void command_result_release(struct command_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}
