/*
 * tree.c - a commit's tree into a directory, from the object database.
 *
 * One walk serves both tree_check() (dirfd -1: nothing written) and
 * tree_extract(), so what is refused and what counts towards the limits
 * cannot differ between the two.
 */
#include "git/tree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/util.h"
#include "git/repo.h"

struct walk {
	git_repository *repo;
	git_odb *odb;
	struct tree_extract *out;
	size_t entries;
	char *err;
	size_t errlen;
};

static void refuse(struct walk *w, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void refuse(struct walk *w, const char *path, const char *fmt, ...)
{
	struct tree_extract *t = w->out;
	xgrow((void **)&t->refused, &t->alloc, t->n_refused + 1, sizeof(*t->refused));
	va_list ap;
	va_start(ap, fmt);
	t->refused[t->n_refused].reason = xvasprintf(fmt, ap);
	va_end(ap);
	t->refused[t->n_refused++].path = xstrdup(path);
}

/* A name git itself refuses on a checkout, or one that cannot be a file's. */
static bool name_refused(const char *name)
{
	return !*name || !strcmp(name, ".") || !strcmp(name, "..") || !strcasecmp(name, ".git") ||
	       strchr(name, '/') != NULL;
}

/* Whether a relative link target, read from the directory 'depth' levels
 * below the tree's root, stays inside the tree (lexically: nothing in
 * grade follows a link, so a chain of links cannot lead it out). */
static bool target_inside(const char *target, size_t len, int depth)
{
	if (len == 0 || target[0] == '/' || memchr(target, '\0', len))
		return false;
	const char *p = target, *end = target + len;
	while (p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		size_t n = slash ? (size_t)(slash - p) : (size_t)(end - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return false;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		p += n + 1;
	}
	return true;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int blob_entry(struct walk *w, const git_tree_entry *e, const char *path, int dirfd, int depth)
{
	git_filemode_t mode = git_tree_entry_filemode(e);
	const git_oid *id = git_tree_entry_id(e);
	size_t size = 0;
	git_object_t type;
	git_blob *blob = NULL;
	int rc = -1;
	if (git_odb_read_header(&size, &type, w->odb, id) < 0)
		return repo_fail(w->err, w->errlen, "cannot read '%s'", path);
	if (mode == GIT_FILEMODE_LINK) {
		if (size > 4096) {
			refuse(w, path, "a symbolic link with a %zu-byte target", size);
			return 0;
		}
		if (git_blob_lookup(&blob, w->repo, id) < 0)
			return repo_fail(w->err, w->errlen, "cannot read '%s'", path);
		const char *target = git_blob_rawcontent(blob);
		size_t len = (size_t)git_blob_rawsize(blob);
		char *shown = utf8_sanitize(target, len < 200 ? len : 200);
		if (!target_inside(target, len, depth)) {
			refuse(w, path, "a symbolic link to '%s', outside the submission", shown);
			rc = 0;
		} else if (dirfd >= 0) {
			char *t = xstrndup(target, len);
			rc = symlinkat(t, dirfd, git_tree_entry_name(e)) < 0
				     ? fail_errno(w->err, w->errlen, errno, "cannot write '%s'", path) : 0;
			free(t);
		} else {
			rc = 0;
		}
		free(shown);
		goto done;
	}
	if (size > TREE_MAX_FILE_BYTES) {
		refuse(w, path, "%.1f MiB, over the %zu MiB a file may have", (double)size / (1 << 20),
		       TREE_MAX_FILE_BYTES >> 20);
		return 0;
	}
	if (w->out->bytes + size > TREE_MAX_BYTES)
		return fail(w->err, w->errlen, "the commit's files are larger than %zu MiB", TREE_MAX_BYTES >> 20);
	w->out->bytes += size;
	w->out->files++;
	if (dirfd < 0)
		return 0;
	if (git_blob_lookup(&blob, w->repo, id) < 0)
		return repo_fail(w->err, w->errlen, "cannot read '%s'", path);
	int fd = openat(dirfd, git_tree_entry_name(e), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644);
	if (fd < 0) {
		fail_errno(w->err, w->errlen, errno, "cannot write '%s'", path);
		goto done;
	}
	if (write_all(fd, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)) < 0 || close(fd) < 0) {
		fail_errno(w->err, w->errlen, errno, "cannot write '%s'", path);
		goto done;
	}
	rc = 0;
done:
	git_blob_free(blob);
	return rc;
}

static int walk_tree(struct walk *w, const git_tree *tree, const char *prefix, int dirfd, int depth)
{
	if (depth > TREE_MAX_DEPTH)
		return fail(w->err, w->errlen, "the commit's tree is deeper than %d directories", TREE_MAX_DEPTH);
	size_t n = git_tree_entrycount(tree);
	for (size_t i = 0; i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		if (++w->entries > TREE_MAX_ENTRIES)
			return fail(w->err, w->errlen, "the commit's tree has more than %d entries", TREE_MAX_ENTRIES);
		const char *name = git_tree_entry_name(e);
		char *path = *prefix ? xasprintf("%s/%s", prefix, name) : xstrdup(name);
		int rc = 0;
		switch (git_tree_entry_filemode(e)) {
		case GIT_FILEMODE_TREE:
			if (name_refused(name)) {
				refuse(w, path, "a directory name git refuses on a checkout");
				break;
			}
			git_tree *sub = NULL;
			int subfd = -1;
			if (git_tree_lookup(&sub, w->repo, git_tree_entry_id(e)) < 0) {
				rc = repo_fail(w->err, w->errlen, "cannot read '%s'", path);
				break;
			}
			if (dirfd >= 0 && (mkdirat(dirfd, name, 0755) < 0 ||
					   (subfd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0))
				rc = fail_errno(w->err, w->errlen, errno, "cannot write '%s'", path);
			else
				rc = walk_tree(w, sub, path, subfd, depth + 1);
			if (subfd >= 0)
				close(subfd);
			git_tree_free(sub);
			break;
		case GIT_FILEMODE_COMMIT:
			refuse(w, path, "a submodule (grade reads only the repository's own files)");
			break;
		case GIT_FILEMODE_BLOB:
		case GIT_FILEMODE_BLOB_EXECUTABLE:
		case GIT_FILEMODE_LINK:
			if (name_refused(name))
				refuse(w, path, "a file name git refuses on a checkout");
			else
				rc = blob_entry(w, e, path, dirfd, depth);
			break;
		default:
			refuse(w, path, "an entry of unknown mode %o", (unsigned)git_tree_entry_filemode(e));
			break;
		}
		free(path);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int walk_commit(git_repository *repo, const git_oid *commit, int dirfd, struct tree_extract *out, char *err,
		       size_t errlen)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	struct walk w = { .repo = repo, .out = out, .err = err, .errlen = errlen };
	int rc = -1;
	if (git_repository_odb(&w.odb, repo) < 0 || git_commit_lookup(&c, repo, commit) < 0 ||
	    git_commit_tree(&tree, c) < 0) {
		repo_fail(err, errlen, "cannot read commit %.12s", git_oid_tostr_s(commit));
		goto done;
	}
	rc = walk_tree(&w, tree, "", dirfd, 0);
done:
	git_tree_free(tree);
	git_commit_free(c);
	git_odb_free(w.odb);
	return rc;
}

int tree_check(git_repository *repo, const git_oid *commit, struct tree_extract *out, char *err, size_t errlen)
{
	return walk_commit(repo, commit, -1, out, err, errlen);
}

int tree_extract(git_repository *repo, const git_oid *commit, const char *dest, struct tree_extract *out, char *err,
		 size_t errlen)
{
	/* The limits first, writing nothing (tree.h: a tree too large to
	 * grade is written not at all, and is refused before 10,000 files are
	 * written for nothing); the walk that writes then counts the same. */
	struct tree_extract probe = TREE_EXTRACT_INIT;
	int rc = walk_commit(repo, commit, -1, &probe, err, errlen);
	tree_extract_release(&probe);
	if (rc < 0)
		return -1;
	int dirfd = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0)
		return fail_errno(err, errlen, errno, "cannot open '%s'", dest);
	rc = walk_commit(repo, commit, dirfd, out, err, errlen);
	close(dirfd);
	return rc;
}

void tree_extract_release(struct tree_extract *t)
{
	for (size_t i = 0; i < t->n_refused; i++) {
		free(t->refused[i].path);
		free(t->refused[i].reason);
	}
	free(t->refused);
	*t = (struct tree_extract)TREE_EXTRACT_INIT;
}
