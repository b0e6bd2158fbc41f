/*
 * Fetches in child processes (git/fetch.h): several at once into one
 * cache, each outcome in its job; a server that accepts and never answers
 * killed at the time limit; a missing repository's error; a stop before
 * anything starts; and the mirror opened afterwards without the network.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "git/fetch.h"
#include "git/repo.h"

static char root[64];

static void make_root(void)
{
	snprintf(root, sizeof(root), "/tmp/grade-fetch-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	char *cmd = xasprintf("cd '%s' && export HOME='%s' GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=t "
			      "GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org && "
			      "for r in a b c; do git init -q -b main $r && echo $r > $r/f && git -C $r add f && "
			      "git -C $r commit -qm $r || exit 1; done",
			      root, root);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
}

static void remove_root(void)
{
	char *cmd = xasprintf("rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
}

TestSuite(fetch, .init = make_root, .fini = remove_root, .timeout = 60);

Test(fetch, several_at_once_then_opened_offline)
{
	char *urls[3], *cache = xasprintf("%s/cache", root);
	struct fetch_job jobs[3] = { 0 };
	for (int i = 0; i < 3; i++) {
		urls[i] = xasprintf("%s/%c", root, 'a' + i);
		jobs[i].url = urls[i];
	}
	volatile sig_atomic_t stop = 0;
	char err[256] = "";
	cr_assert_eq(mkdir(cache, 0755), 0);
	cr_assert_eq(fetch_all(cache, jobs, 3, 3, 30, &stop, err, sizeof(err)), 0, "%s", err);
	for (int i = 0; i < 3; i++) {
		cr_assert(jobs[i].done, "%s: %s", urls[i], jobs[i].error);
		cr_assert(jobs[i].cloned, "the first time is a clone");
		cr_assert_str_eq(jobs[i].head_branch, "main");
		cr_assert_gt(jobs[i].fetched_at, (double)time(NULL) - 60);
		struct repo_fetch f;
		cr_assert_eq(repo_open_mirror(cache, urls[i], &f, err, sizeof(err)), 0, "%s", err);
		git_oid tip;
		cr_assert_eq(repo_branch_tip(&f, "main", &tip, err, sizeof(err)), 0, "%s", err);
		repo_fetch_release(&f);
		fetch_job_release(&jobs[i]);
	}
	/* Again: fetched, not cloned. */
	cr_assert_eq(fetch_all(cache, jobs, 3, 2, 30, &stop, err, sizeof(err)), 0, "%s", err);
	for (int i = 0; i < 3; i++) {
		cr_assert(jobs[i].done && !jobs[i].cloned);
		fetch_job_release(&jobs[i]);
		free(urls[i]);
	}
	struct repo_fetch f;
	cr_assert_eq(repo_open_mirror(cache, "/no/such/repository", &f, err, sizeof(err)), -1);
	cr_assert(strstr(err, "the cache has no mirror of '/no/such/repository'"), "%s", err);
	free(cache);
}

Test(fetch, a_silent_server_is_killed_at_the_limit_and_errors_are_kept)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(s, 4), 0);   /* the kernel accepts; nobody answers */
	cr_assert_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
	char *silent = xasprintf("git://127.0.0.1:%d/x.git", ntohs(a.sin_port));
	char *missing = xasprintf("%s/nothing-here", root), *good = xasprintf("%s/a", root);
	char *cache = xasprintf("%s/cache", root);
	struct fetch_job jobs[3] = { { .url = silent }, { .url = missing }, { .url = good } };
	volatile sig_atomic_t stop = 0;
	char err[256] = "";
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(fetch_all(cache, jobs, 3, 3, 1, &stop, err, sizeof(err)), 0, "%s", err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert(!jobs[0].done);
	cr_assert(strstr(jobs[0].error, "no answer within 1 s"), "%s", jobs[0].error);
	cr_assert(!jobs[1].done);
	cr_assert(strstr(jobs[1].error, "nothing-here"), "the fetch's own reason: %s", jobs[1].error);
	cr_assert(jobs[2].done, "the others are not held up: %s", jobs[2].error);
	cr_assert_lt(t1.tv_sec - t0.tv_sec, 30, "killed at the limit, not waited for");
	for (int i = 0; i < 3; i++)
		fetch_job_release(&jobs[i]);

	/* Stopped before anything starts: nothing done, no error. */
	stop = 1;
	cr_assert_eq(fetch_all(cache, jobs, 3, 3, 1, &stop, err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++)
		cr_assert(!jobs[i].done && !jobs[i].error);
	close(s);
	free(silent);
	free(missing);
	free(good);
	free(cache);
}
