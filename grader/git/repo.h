/*
 * repo.h - students' git repositories, through libgit2: what a roster path
 * is, and a clone cache that clones once and fetches afterwards.
 *
 * Every repository is graded from the cache, whatever the roster gives (a
 * URL, a local work tree, a bare repository): one code path, and each
 * fetch is evidence of when a commit existed (due.h).  The cache holds one
 * bare mirror per URL (CACHE/<hash of the URL>.git, its branches as
 * refs/heads/..., pruned, force-updated), so objects are reused from run to
 * run and a force-push is seen as such.
 *
 * libgit2's codes are converted here: 0 or -1 with git's own message in
 * err.  One thread; libgit2 is initialised once per process.
 */
#ifndef GRADE_GIT_REPO_H
#define GRADE_GIT_REPO_H

#include <stdbool.h>
#include <stddef.h>

#include <git2.h>

/* Initialises libgit2 for this process (idempotent); its options are set
 * for untrusted repositories (no ownership checks on the cache, which is
 * ours; strict object creation). */
void repo_library_init(void);

/* fail() with libgit2's last message appended ("...: reason"). */
int repo_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Whether a roster path names a repository: a URL (scheme://..., or
 * user@host:path as ssh), a directory with a .git, or a bare repository. */
bool repo_is_url(const char *path);
bool repo_is_local(const char *path);

/* What one fetch found. */
struct repo_fetch {
	git_repository *repo;    /* the cache's mirror: release with git_repository_free */
	char *head_branch;       /* the remote's default branch ("main"), or NULL when it has none */
	bool cloned;             /* the first time: cloned, not fetched */
	double fetched_at;       /* the time the fetch completed (Unix seconds) */
};

/* Clones (first time) or fetches 'url' into the cache 'cache_dir' (created
 * when missing).  A local path is given as an absolute path.  Returns 0,
 * or -1 with the reason in err (authentication, no such repository,
 * network): the student's error, retried on the next run. */
int repo_fetch(const char *cache_dir, const char *url, struct repo_fetch *out, char *err, size_t errlen);
void repo_fetch_release(struct repo_fetch *f);

/* The mirror of 'url' that repo_fetch() (in this process or a child's,
 * fetch.h) wrote, opened without the network: repo only; head_branch,
 * cloned and fetched_at are the caller's to fill from that fetch (the
 * remote's default branch is known only while connected).
 * Returns 0, or -1 when the cache has no such mirror. */
int repo_open_mirror(const char *cache_dir, const char *url, struct repo_fetch *out, char *err, size_t errlen);

/* The mirror's branch 'branch' (NULL: the remote's default) into *tip.
 * Returns 0, 1 when there is no such branch (or the repository is empty),
 * -1 on error. */
int repo_branch_tip(const struct repo_fetch *f, const char *branch, git_oid *tip, char *err, size_t errlen);

#endif
