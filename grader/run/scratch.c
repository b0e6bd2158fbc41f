#include "run/scratch.h"

#include "base/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/wire.h"
#include "base/util.h"

struct budget {
	size_t files;
	size_t bytes;
};

static bool skipped_name(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, "__pycache__") || !strcmp(name, ".git") ||
	       str_has_suffix(name, ".pyc") || str_has_suffix(name, ".pyo") || str_has_suffix(name, ".so");
}

static int copy_file(int src_dir, int dst_dir, const char *name, struct budget *b)
{
	char chunk[65536];
	int rc = -1;
	int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	int out = -1;
	struct stat st;
	if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = 0; /* vanished, or not a regular file after all: skip */
		goto done;
	}
	if (b->bytes + (size_t)st.st_size > SCRATCH_MAX_BYTES)
		goto done;
	out = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0)
		goto done;
	for (;;) {
		ssize_t n = read(in, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto done;
		if (n == 0)
			break;
		b->bytes += (size_t)n;
		if (b->bytes > SCRATCH_MAX_BYTES || write_all(out, chunk, (size_t)n) < 0)
			goto done;
	}
	rc = 0;
done:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

/* Copies the entries of src_dir into dst_dir; takes ownership of neither. */
static int copy_tree(int src_dir, int dst_dir, int depth, struct budget *b, char *err, size_t errlen)
{
	int rc = 0;
	int fd = dup(src_dir);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return fail(err, errlen, "cannot list the submission: %s", strerror(errno));
	}
	/* The duplicate shares its position with src_dir, which the previous copy read to the end. */
	rewinddir(d);
	struct dirent *e;
	while (rc == 0 && (e = readdir(d))) {
		if (skipped_name(e->d_name))
			continue;
		struct stat st;
		if (fstatat(src_dir, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISLNK(st.st_mode))
			continue;
		if (++b->files > SCRATCH_MAX_FILES) {
			snprintf(err, errlen, "the submission has more than %d files", SCRATCH_MAX_FILES);
			rc = -1;
		} else if (S_ISREG(st.st_mode)) {
			if (copy_file(src_dir, dst_dir, e->d_name, b) < 0) {
				snprintf(err, errlen, b->bytes > SCRATCH_MAX_BYTES ? "the submission is larger than %zu MiB"
					 : "cannot copy the submission (%zu MiB at most)", SCRATCH_MAX_BYTES >> 20);
				rc = -1;
			}
		} else if (S_ISDIR(st.st_mode) && depth < SCRATCH_MAX_DEPTH) {
			int sub_src = openat(src_dir, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int sub_dst = -1;
			if (sub_src >= 0 && mkdirat(dst_dir, e->d_name, 0755) == 0)
				sub_dst = openat(dst_dir, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub_src >= 0 && sub_dst >= 0)
				rc = copy_tree(sub_src, sub_dst, depth + 1, b, err, errlen);
			if (sub_src >= 0)
				close(sub_src);
			if (sub_dst >= 0)
				close(sub_dst);
		}
	}
	closedir(d);
	return rc;
}

/*
 * A private tmpfs over /tmp, in a mount namespace of our own: bounded in
 * bytes and files whatever the student writes, in memory (a disk-backed
 * /tmp can cost a millisecond per file created), and gone when the last
 * process of the namespace is.  Needs the user namespace the zygote set up
 * (or root); returns -1 where the host refuses.
 */
static int private_tmpfs(void)
{
	char opts[96];
	snprintf(opts, sizeof(opts), "size=%zu,nr_inodes=%d,mode=0700", SCRATCH_FS_BYTES, SCRATCH_FS_FILES);
	if (unshare(CLONE_NEWNS) < 0)
		return -1;
	/* Nothing we mount may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	return mount("grade-scratch", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, opts);
}

int scratch_open(struct scratch *s, const char *submission_dir, char *err, size_t errlen)
{
	*s = (struct scratch)SCRATCH_INIT;
	/* Opened first: the submission may live under the /tmp we cover. */
	s->src_fd = open(submission_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->src_fd < 0) {
		return fail(err, errlen, "cannot open %s: %s", submission_dir, strerror(errno));
	}
	s->on_tmpfs = private_tmpfs() == 0;
	return 0;
}

static bool remove_entries(int dir, int depth);

/* Copies the submission into the (empty) directory 'dir'. */
static int copy_into(struct scratch *s, const char *dir, char *err, size_t errlen)
{
	struct budget b = { 0, 0 };
	int rc = -1;
	int dst = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dst < 0)
		snprintf(err, errlen, "cannot open %s: %s", dir, strerror(errno));
	else
		rc = copy_tree(s->src_fd, dst, 0, &b, err, errlen);
	if (dst >= 0)
		close(dst);
	return rc;
}

int scratch_fresh_copy(struct scratch *s, char *err, size_t errlen)
{
	scratch_remove(s->dir);
	free(s->dir);
	s->dir = NULL;
	char *dir;
	if (s->on_tmpfs) {
		/* The same path for every copy: the zygote has pointed the check
		 * children's TMPDIR there once for all (audit_preset()). */
		dir = xstrdup(SCRATCH_TMPFS_DIR);
		if (mkdir(dir, 0700) < 0) {
			snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
			free(dir);
			return -1;
		}
	} else {
		/* Under /tmp itself: the zygote's environment is empty but for the
		 * TMPDIR it set for check children, which names the tmpfs copy. */
		dir = xstrdup("/tmp/grade-scratch-XXXXXX");
		if (!mkdtemp(dir)) {
			snprintf(err, errlen, "cannot create a scratch directory: %s", strerror(errno));
			free(dir);
			return -1;
		}
	}
	if (copy_into(s, dir, err, errlen) < 0) {
		scratch_remove(dir);
		free(dir);
		return -1;
	}
	s->dir = dir;
	return 0;
}

int scratch_refresh(struct scratch *s, char *err, size_t errlen)
{
	if (!s->dir)
		return scratch_fresh_copy(s, err, errlen);
	int fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		return fail(err, errlen, "cannot open %s: %s", s->dir, strerror(errno));
	}
	/* What the checks wrote, removed, or made unreadable goes; the
	 * directory itself stays, and so does its inode. */
	bool emptied = fchmod(fd, 0700) == 0 && remove_entries(fd, 0);
	close(fd);
	if (!emptied) {
		return fail(err, errlen, "cannot empty %s", s->dir);
	}
	return copy_into(s, s->dir, err, errlen);
}

void scratch_close(struct scratch *s)
{
	scratch_remove(s->dir);
	free(s->dir);
	if (s->src_fd >= 0)
		close(s->src_fd);
	*s = (struct scratch)SCRATCH_INIT;
}

/* Removes everything in 'dir', never following links; true when nothing
 * is left. */
static bool remove_entries(int dir, int depth)
{
	int fd = dup(dir);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	bool all_gone = true;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dir, e->d_name, 0) == 0)
			continue;
		if (errno != EISDIR) {
			all_gone = false;
			continue;
		}
		int sub = depth < 64 ? openat(dir, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
		if (sub >= 0) {
			remove_entries(sub, depth + 1);
			close(sub);
		}
		if (unlinkat(dir, e->d_name, AT_REMOVEDIR) < 0)
			all_gone = false;
	}
	closedir(d);
	return all_gone;
}

void scratch_remove(const char *dir)
{
	if (!dir)
		return;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		remove_entries(fd, 0);
		close(fd);
	}
	rmdir(dir);
}
