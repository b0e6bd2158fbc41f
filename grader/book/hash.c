#include "book/hash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/digest.h"
#include "base/error.h"
#include "base/util.h"

#define MAX_DEPTH 32
#define MAX_FILES 100000

struct walk {
	struct sha256_ctx ctx;
	size_t files;
	char *err;
	size_t errlen;
};


static bool left_out(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, ".git") || !strcmp(name, "__pycache__") ||
	       str_has_suffix(name, ".pyc") || str_has_suffix(name, ".pyo");
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Streams the file's bytes into the hash, its length first. */
static int hash_fd(struct sha256_ctx *ctx, int fd, const char *what, char *err, size_t errlen)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return fail_errno(err, errlen, errno, "cannot read '%s'", what);
	uint8_t n[8];
	for (int i = 0; i < 8; i++)
		n[i] = (uint8_t)((uint64_t)st.st_size >> (8 * i));
	sha256_update(ctx, sizeof(n), n);
	char buf[65536];
	for (;;) {
		ssize_t got = read(fd, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return fail_errno(err, errlen, errno, "cannot read '%s'", what);
		if (got == 0)
			return 0;
		sha256_update(ctx, (size_t)got, (const uint8_t *)buf);
	}
}

static int walk_dir(struct walk *w, int dirfd, const char *rel, int depth)
{
	if (depth > MAX_DEPTH)
		return fail(w->err, w->errlen, "'%s' is more than %d directories deep", rel, MAX_DEPTH);
	int rc = -1, dup_fd = dup(dirfd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	char **names = NULL;
	size_t n = 0, alloc = 0;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		fail_errno(w->err, w->errlen, errno, "cannot list '%s'", rel);
		goto done;
	}
	struct dirent *e;
	while ((errno = 0, e = readdir(d))) {
		if (left_out(e->d_name))
			continue;
		xgrow((void **)&names, &alloc, n + 1, sizeof(*names));
		names[n++] = xstrdup(e->d_name);
	}
	if (errno) {
		fail_errno(w->err, w->errlen, errno, "cannot list '%s'", rel);
		goto done;
	}
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		char *path = *rel ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		struct stat st;
		int frc = 0;
		if (++w->files > MAX_FILES)
			frc = fail(w->err, w->errlen, "more than %d files", MAX_FILES);
		else if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			frc = fail_errno(w->err, w->errlen, errno, "cannot read '%s'", path);
		else if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			digest_field(&w->ctx, "D", 1);
			digest_field(&w->ctx, path, strlen(path));
			frc = sub < 0 ? fail_errno(w->err, w->errlen, errno, "cannot open '%s'", path)
				      : walk_dir(w, sub, path, depth + 1);
			if (sub >= 0)
				close(sub);
		} else if (S_ISREG(st.st_mode)) {
			int fd = openat(dirfd, names[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			digest_field(&w->ctx, "F", 1);
			digest_field(&w->ctx, path, strlen(path));
			frc = fd < 0 ? fail_errno(w->err, w->errlen, errno, "cannot open '%s'", path)
				     : hash_fd(&w->ctx, fd, path, w->err, w->errlen);
			if (fd >= 0)
				close(fd);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t len = readlinkat(dirfd, names[i], target, sizeof(target));
			digest_field(&w->ctx, "L", 1);
			digest_field(&w->ctx, path, strlen(path));
			digest_field(&w->ctx, target, len > 0 ? (size_t)len : 0);
		}
		free(path);
		if (frc < 0)
			goto done;
	}
	rc = 0;
done:
	if (d)
		closedir(d);
	free_strings(names, n);
	return rc;
}

int book_hash_dir(const char *dir, char out[BOOK_HASH_HEX], char *err, size_t errlen)
{
	struct walk w = { .err = err, .errlen = errlen };
	sha256_init(&w.ctx);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(err, errlen, errno, "cannot open submission '%s'", dir);
	int rc = walk_dir(&w, fd, "", 0);
	close(fd);
	if (rc == 0)
		digest_hex(&w.ctx, out);
	return rc;
}

int book_hash_file(const char *path, char out[BOOK_HASH_HEX], char *err, size_t errlen)
{
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(err, errlen, errno, "cannot open '%s'", path);
	int rc = hash_fd(&ctx, fd, path, err, errlen);
	close(fd);
	if (rc == 0)
		digest_hex(&ctx, out);
	return rc;
}

int book_hash_exercise(const struct exercise *ex, char out[BOOK_HASH_HEX], char *err, size_t errlen)
{
	char file[BOOK_HASH_HEX];
	if (book_hash_file(ex->path, file, err, errlen) < 0)
		return -1;
	const char *parts[] = { "exercise", ex->id, file };
	digest_strings(parts, ARRAY_SIZE(parts), out);
	return 0;
}

int book_hash_rubric(const struct rubric *r, const char *path, char out[BOOK_HASH_HEX], char *err, size_t errlen)
{
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	struct stat st;
	digest_field(&ctx, "rubric", 6);
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		char file[BOOK_HASH_HEX];
		if (book_hash_file(path, file, err, errlen) < 0)
			return -1;
		digest_field(&ctx, file, strlen(file));
	}
	for (size_t i = 0; i < r->n_exercises; i++) {
		char ex[BOOK_HASH_HEX];
		if (book_hash_exercise(&r->exercises[i], ex, err, errlen) < 0)
			return -1;
		digest_field(&ctx, ex, strlen(ex));
	}
	digest_hex(&ctx, out);
	return 0;
}
