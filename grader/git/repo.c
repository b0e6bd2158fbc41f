/*
 * repo.c - the clone cache (repo.h).
 */
#include "git/repo.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/util.h"
#include "base/digest.h"

#define MIRROR_REFSPEC "+refs/heads/*:refs/heads/*"

void repo_library_init(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	git_libgit2_init();
	/* Objects we write (none but fetched ones) are checked; the cache is
	 * ours, so ownership checks would only refuse it under another uid. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 1);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
}

int repo_fail(char *err, size_t errlen, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	const git_error *e = git_error_last();
	if (e && e->message && *e->message)
		return fail(err, errlen, "%s: %s", what, e->message);
	return fail(err, errlen, "%s", what);
}

bool repo_is_url(const char *path)
{
	const char *colon = strchr(path, ':');
	if (!colon || colon == path)
		return false;
	if (!strncmp(colon, "://", 3))
		return true;
	/* scp-like ssh: user@host:path, with no slash before the colon */
	const char *at = strchr(path, '@');
	const char *slash = strchr(path, '/');
	return at && at < colon && (!slash || slash > colon);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool repo_is_local(const char *path)
{
	char *dotgit = xasprintf("%s/.git", path);
	char *objects = xasprintf("%s/objects", path);
	char *head = xasprintf("%s/HEAD", path);
	bool yes = access(dotgit, F_OK) == 0 || (is_dir(objects) && access(head, F_OK) == 0);
	free(dotgit);
	free(objects);
	free(head);
	return yes;
}

/* ssh through the user's agent, once; nothing else is ever asked for (a
 * batch has no one to type a password). */
static int credentials(git_credential **out, const char *url, const char *user, unsigned int allowed, void *payload)
{
	int *tries = payload;
	(void)url;
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && (*tries)++ == 0)
		return git_credential_ssh_key_from_agent(out, user ? user : "git");
	return GIT_PASSTHROUGH;
}

static int mirror_open(git_repository **repo, const char *dir, const char *url, bool *cloned, char *err,
		       size_t errlen)
{
	git_remote *remote = NULL;
	*cloned = false;
	if (git_repository_open_bare(repo, dir) == 0)
		return 0;
	*cloned = true;
	if (git_repository_init(repo, dir, 1) < 0)
		return repo_fail(err, errlen, "cannot create the cache '%s'", dir);
	if (git_remote_create_with_fetchspec(&remote, *repo, "origin", url, MIRROR_REFSPEC) < 0) {
		repo_fail(err, errlen, "cannot use '%s'", url);
		git_repository_free(*repo);
		*repo = NULL;
		return -1;
	}
	git_remote_free(remote);
	return 0;
}

static char *mirror_dir(const char *cache_dir, const char *url)
{
	char hash[DIGEST_HEX];
	const char *parts[] = { "repo", url };
	digest_strings(parts, 2, hash);
	return xasprintf("%s/%.24s.git", cache_dir, hash);
}

int repo_open_mirror(const char *cache_dir, const char *url, struct repo_fetch *out, char *err, size_t errlen)
{
	char *dir = mirror_dir(cache_dir, url);
	int rc = -1;
	*out = (struct repo_fetch){ 0 };
	repo_library_init();
	if (git_repository_open_bare(&out->repo, dir) < 0) {
		repo_fail(err, errlen, "the cache has no mirror of '%s' (%s)", url, dir);
		goto done;
	}
	rc = 0;
done:
	free(dir);
	if (rc < 0)
		repo_fetch_release(out);
	return rc;
}

int repo_fetch(const char *cache_dir, const char *url, struct repo_fetch *out, char *err, size_t errlen)
{
	git_remote *remote = NULL;
	git_buf head = { 0 };
	char *dir = NULL;
	int rc = -1, tries = 0;
	*out = (struct repo_fetch){ 0 };
	repo_library_init();
	if (mkdir(cache_dir, 0755) < 0 && errno != EEXIST)
		return fail_errno(err, errlen, errno, "cannot create the repository cache '%s'", cache_dir);
	dir = mirror_dir(cache_dir, url);
	if (mirror_open(&out->repo, dir, url, &out->cloned, err, errlen) < 0)
		goto done;
	if (git_remote_lookup(&remote, out->repo, "origin") < 0) {
		repo_fail(err, errlen, "the cache '%s' has no origin", dir);
		goto done;
	}
	git_fetch_options fo;
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.prune = GIT_FETCH_PRUNE;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.callbacks.credentials = credentials;
	fo.callbacks.payload = &tries;
	if (git_remote_fetch(remote, NULL, &fo, "grade fetch") < 0) {
		repo_fail(err, errlen, "cannot fetch '%s'", url);
		goto done;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	out->fetched_at = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (git_remote_default_branch(&head, remote) == 0 && head.ptr && !strncmp(head.ptr, "refs/heads/", 11)) {
		out->head_branch = xstrdup(head.ptr + 11);
		git_repository_set_head(out->repo, head.ptr);
	}
	rc = 0;
done:
	git_buf_dispose(&head);
	git_remote_free(remote);
	free(dir);
	if (rc < 0)
		repo_fetch_release(out);
	return rc;
}

void repo_fetch_release(struct repo_fetch *f)
{
	git_repository_free(f->repo);
	free(f->head_branch);
	*f = (struct repo_fetch){ 0 };
}

int repo_branch_tip(const struct repo_fetch *f, const char *branch, git_oid *tip, char *err, size_t errlen)
{
	if (!branch)
		branch = f->head_branch;
	if (!branch)
		return 1;
	char *ref = xasprintf("refs/heads/%s", branch);
	int rc = git_reference_name_to_id(tip, f->repo, ref);
	free(ref);
	if (rc == GIT_ENOTFOUND)
		return 1;
	if (rc < 0)
		return repo_fail(err, errlen, "cannot read branch '%s'", branch);
	return 0;
}
