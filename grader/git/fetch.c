/*
 * fetch.c - fetches in child processes, in parallel, with a time limit
 * (fetch.h).
 */
#include "git/fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/util.h"
#include "git/repo.h"

#define MAX_PARALLEL 64
#define MAX_REPLY 4096

struct running {
	pid_t pid;
	int fd;                 /* the child's reply */
	size_t job;
	double started;
	char reply[MAX_REPLY];
	size_t len;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The child: one fetch, its outcome as "ok CLONED FETCHED_AT" or
 * "error MESSAGE" on fd; never returns. */
static void child(const char *cache_dir, const char *url, int fd)
{
	struct repo_fetch f;
	char err[MAX_REPLY - 16] = "", line[MAX_REPLY];
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (repo_fetch(cache_dir, url, &f, err, sizeof(err)) == 0) {
		/* A branch name has no space (git check-ref-format); "-": none. */
		snprintf(line, sizeof(line), "ok %d %.6f %s", f.cloned ? 1 : 0, f.fetched_at,
			 f.head_branch ? f.head_branch : "-");
		repo_fetch_release(&f);
	} else {
		snprintf(line, sizeof(line), "error %s", err);
	}
	size_t len = strlen(line), off = 0;
	while (off < len) {
		ssize_t w = write(fd, line + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	_exit(0);
}

static int start(const char *cache_dir, struct fetch_job *j, size_t index, struct running *r, char *err,
		 size_t errlen)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return fail_errno(err, errlen, errno, "cannot fetch '%s': pipe", j->url);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return fail_errno(err, errlen, errno, "cannot fetch '%s': fork", j->url);
	}
	if (pid == 0) {
		close(p[0]);
		child(cache_dir, j->url, p[1]);
	}
	close(p[1]);
	*r = (struct running){ .pid = pid, .fd = p[0], .job = index, .started = now() };
	return 0;
}

/* The child has closed its end (or was killed): its reply into its job. */
static void finish(struct fetch_job *jobs, struct running *r, bool timed_out, double timeout)
{
	struct fetch_job *j = &jobs[r->job];
	int status = 0;
	if (timed_out)
		kill(r->pid, SIGKILL);
	while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR)
		;
	close(r->fd);
	r->reply[r->len < MAX_REPLY ? r->len : MAX_REPLY - 1] = '\0';
	int cloned = 0, head_at = 0;
	double at = 0;
	if (timed_out) {
		j->error = xasprintf("cannot fetch '%s': no answer within %g s (--fetch-timeout)", j->url, timeout);
	} else if (sscanf(r->reply, "ok %d %lf %n", &cloned, &at, &head_at) == 2 && head_at > 0) {
		const char *head = r->reply + head_at;
		j->done = true;
		j->cloned = cloned;
		j->fetched_at = at;
		j->head_branch = *head && strcmp(head, "-") ? xstrdup(head) : NULL;
	} else if (!strncmp(r->reply, "error ", 6)) {
		j->error = xstrdup(r->reply + 6);
	} else if (WIFSIGNALED(status)) {
		j->error = xasprintf("cannot fetch '%s': the fetch was killed by signal %d", j->url, WTERMSIG(status));
	} else {
		j->error = xasprintf("cannot fetch '%s': the fetch ended without an answer", j->url);
	}
}

int fetch_all(const char *cache_dir, struct fetch_job *jobs, size_t n, unsigned parallel, double timeout,
	      volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	struct running run[MAX_PARALLEL];
	struct pollfd fds[MAX_PARALLEL];
	size_t n_run = 0, next = 0;
	int rc = 0;
	if (parallel < 1)
		parallel = 1;
	if (parallel > MAX_PARALLEL)
		parallel = MAX_PARALLEL;
	for (size_t i = 0; i < n; i++)
		jobs[i].done = false, jobs[i].error = jobs[i].head_branch = NULL;
	while (next < n || n_run) {
		while (next < n && n_run < parallel && !*stop) {
			if (start(cache_dir, &jobs[next], next, &run[n_run], err, errlen) < 0) {
				if (!n_run) {   /* nothing runs: say so, and stop here */
					rc = -1;
					goto stopped;
				}
				break;          /* fewer at a time: start it when one ends */
			}
			next++;
			n_run++;
		}
		if (*stop)
			goto stopped;
		/* Wait for a reply, or for the first time limit to come. */
		double t = now(), wait = -1;
		for (size_t k = 0; k < n_run; k++) {
			fds[k] = (struct pollfd){ .fd = run[k].fd, .events = POLLIN };
			if (timeout > 0) {
				double left = run[k].started + timeout - t;
				wait = wait < 0 || left < wait ? (left > 0 ? left : 0) : wait;
			}
		}
		int ms = wait < 0 ? 1000 : (int)(wait * 1000) + 1;
		if (ms > 1000)
			ms = 1000;   /* to see *stop */
		if (poll(fds, n_run, ms) < 0 && errno != EINTR) {
			rc = fail_errno(err, errlen, errno, "poll");
			goto stopped;
		}
		t = now();
		for (size_t k = 0; k < n_run;) {
			struct running *r = &run[k];
			bool ended = false, timed_out = false;
			if (fds[k].revents) {
				ssize_t got = read(r->fd, r->reply + r->len, MAX_REPLY - 1 - r->len);
				if (got > 0)
					r->len += (size_t)got;
				else if (got == 0 || (errno != EINTR && errno != EAGAIN))
					ended = true;
				if (r->len >= MAX_REPLY - 1)
					ended = true;
			}
			if (!ended && timeout > 0 && t - r->started >= timeout)
				ended = timed_out = true;
			if (!ended) {
				k++;
				continue;
			}
			finish(jobs, r, timed_out, timeout);
			run[k] = run[n_run - 1];
			fds[k] = fds[n_run - 1];
			n_run--;
		}
	}
	return 0;
stopped:
	for (size_t k = 0; k < n_run; k++) {
		kill(run[k].pid, SIGKILL);
		while (waitpid(run[k].pid, NULL, 0) < 0 && errno == EINTR)
			;
		close(run[k].fd);
	}
	return rc;
}

void fetch_job_release(struct fetch_job *j)
{
	free(j->error);
	free(j->head_branch);
	j->error = j->head_branch = NULL;
}
