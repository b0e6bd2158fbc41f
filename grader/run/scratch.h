/*
 * scratch.h - a private copy of a submission for its checks to run in.
 *
 * The check child sees only this copy (Landlock makes it the one writable
 * directory and the audit hook the one readable directory besides
 * Python's): not the submission directory itself, which may sit next to
 * rubrics, reference solutions or other students' work.
 *
 * The copy never follows a symbolic link (a link in a submission is
 * skipped, whatever it points to), skips compiled files (.pyc, .so,
 * __pycache__: native code and forged bytecode have no place in a Python
 * exercise), and is bounded in files, depth and bytes.
 */
#ifndef GRADE_SCRATCH_H
#define GRADE_SCRATCH_H

#include <stdbool.h>
#include <stddef.h>

#define SCRATCH_MAX_FILES 1000
#define SCRATCH_MAX_DEPTH 8
#define SCRATCH_MAX_BYTES ((size_t)64 << 20)
/* The private tmpfs: what student code may write there, all files included. */
#define SCRATCH_FS_BYTES ((size_t)96 << 20)
#define SCRATCH_FS_FILES 4096
/* Every copy on the private tmpfs has this path (one at a time). */
#define SCRATCH_TMPFS_DIR "/tmp/submission"

struct scratch {
	int src_fd;       /* the submission directory, opened once */
	bool on_tmpfs;    /* copies go to the private tmpfs (else under /tmp) */
	char *dir;        /* the current copy (absolute), or NULL */
};

#define SCRATCH_INIT { -1, false, NULL }

/* Opens the submission directory, then, in a new mount namespace of the
 * calling process, mounts a private tmpfs over /tmp (bounded by
 * SCRATCH_FS_BYTES and SCRATCH_FS_FILES; in memory, where a disk-backed
 * /tmp can cost a millisecond per file created) for the copies.  Where the
 * host refuses mount namespaces, copies go under /tmp
 * instead.  Call it in a process of its own (the supervisor): it changes
 * the process's view of /tmp.  Returns 0, or -1 with a message in err. */
int scratch_open(struct scratch *s, const char *submission_dir, char *err, size_t errlen);

/* Replaces the current copy (if any) with a fresh one in s->dir (on the
 * tmpfs, always SCRATCH_TMPFS_DIR: no check child of the previous copy may
 * be alive).  Returns 0,
 * or -1 with a message in err (too many files, too large...). */
int scratch_fresh_copy(struct scratch *s, char *err, size_t errlen);

/* Makes the current copy fresh again in place: its contents are removed
 * and copied anew, the directory itself (its path and inode, which a live
 * check child's Landlock rule names) stays.  Without a current copy, the
 * same as scratch_fresh_copy().  Returns 0, or -1 with a message in err;
 * the copy is then unusable (scratch_fresh_copy() replaces it). */
int scratch_refresh(struct scratch *s, char *err, size_t errlen);

/* Removes the copy and closes the submission directory. */
void scratch_close(struct scratch *s);

/* Removes a directory and everything in it, never following links.  Safe
 * on NULL. */
void scratch_remove(const char *dir);

#endif
