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

#include <stddef.h>

#define SCRATCH_MAX_FILES 1000
#define SCRATCH_MAX_DEPTH 8
#define SCRATCH_MAX_BYTES ((size_t)64 << 20)
/* The private tmpfs: what student code may write there, all files included. */
#define SCRATCH_FS_BYTES ((size_t)96 << 20)
#define SCRATCH_FS_FILES 4096
#define SCRATCH_TMPFS_DIR "/tmp/submission"

/* Creates a fresh directory and copies the submission into it: on a private
 * tmpfs mounted over /tmp in a new mount namespace of the calling process
 * (SCRATCH_TMPFS_DIR, bounded by SCRATCH_FS_BYTES and SCRATCH_FS_FILES),
 * else, where the host refuses mount namespaces, under $TMPDIR (else /tmp).
 * Call it in a process of its own (the supervisor): it changes the
 * process's view of /tmp.  Returns 0 with *out (malloc'd, absolute) set, or
 * -1 with a message in err and nothing left behind. */
int scratch_create(const char *submission_dir, char **out, char *err, size_t errlen);

/* Removes the directory and everything in it, never following links.
 * Safe on NULL. */
void scratch_remove(const char *dir);

#endif
