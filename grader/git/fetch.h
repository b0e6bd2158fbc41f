/*
 * fetch.h - many repositories fetched into the clone cache (repo.h) at
 * once, each in a child process of its own with a time limit.
 *
 * libgit2 has no time limit of its own for a server that accepts and then
 * says nothing, and one thread per process: so each fetch is a fork()ed
 * child that runs repo_fetch() and reports on a pipe, up to 'parallel' at
 * a time; one that takes longer than 'timeout' seconds is killed and is
 * that repository's error ("timed out"), like any other failed fetch: the
 * batch goes on and the next run tries again.  A child also keeps what a
 * hostile server might do to libgit2's parsers out of the controller.
 *
 * Afterwards repo_open_mirror() opens each fetched mirror without the
 * network.  The caller passes each URL once (two fetches into one mirror
 * would contend for its locks).
 */
#ifndef GRADE_GIT_FETCH_H
#define GRADE_GIT_FETCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

struct fetch_job {
	const char *url;        /* as repo_fetch takes it (borrowed) */
	/* Filled by fetch_all: */
	bool done;              /* fetched; else 'error' says why (or the run was stopped first) */
	bool cloned;
	double fetched_at;      /* Unix seconds, when the fetch completed */
	char *head_branch;      /* the remote's default branch (new), or NULL when it has none */
	char *error;            /* new, or NULL */
};

/* Fetches every job's URL into 'cache_dir', 'parallel' at a time, each
 * within 'timeout' seconds (0: none).  When *stop becomes non-zero, the
 * children running are killed and no more start (their jobs keep done
 * false and error NULL).  Returns 0 (each job's own outcome in it), or -1
 * when no child can be started at all (the message in err). */
int fetch_all(const char *cache_dir, struct fetch_job *jobs, size_t n, unsigned parallel, double timeout,
	      volatile sig_atomic_t *stop, char *err, size_t errlen);
void fetch_job_release(struct fetch_job *j);

#endif
