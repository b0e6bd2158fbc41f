/*
 * hash.h - the content hashes a gradebook result is keyed on (SHA-256,
 * nettle), as 64 lower-case hex digits.
 *
 * A result is reused only when every input that made it is the same: the
 * submission's files (names and bytes), the rubric's files, the grader
 * (its version and its very binary) and the embedded Python's version.
 * Hashing more than grading reads costs only a needless regrade; hashing
 * less would reuse a stale result, so the submission hash takes every
 * file the scratch copy could take (run/scratch.h) and a few it skips
 * (.so files, symbolic links as their target's name); only .git,
 * __pycache__ and compiled .pyc/.pyo files are left out.
 */
#ifndef GRADE_BOOK_HASH_H
#define GRADE_BOOK_HASH_H

#include <stddef.h>

#include "base/digest.h"
#include "rubric/rubric.h"

#define BOOK_HASH_HEX DIGEST_HEX   /* 64 hex digits and the NUL (base/digest.h: keys from strings) */

/* The submission directory 'dir': every file's path (relative, sorted),
 * type and bytes.  Returns 0, or -1 with a message in err (unreadable,
 * deeper than 32 directories, more than 100,000 files). */
int book_hash_dir(const char *dir, char out[BOOK_HASH_HEX], char *err, size_t errlen);

/* One file's bytes (the grader binary).  Returns 0 or -1 with a message. */
int book_hash_file(const char *path, char out[BOOK_HASH_HEX], char *err, size_t errlen);

/* Exercise 'ex' of a loaded rubric: its rubric file's bytes and its id.
 * Returns 0 or -1 with a message (the file went away). */
int book_hash_exercise(const struct exercise *ex, char out[BOOK_HASH_HEX], char *err, size_t errlen);

/* The whole rubric: the file or directory it was loaded from (a course
 * file's own bytes) and every exercise's hash, in order. */
int book_hash_rubric(const struct rubric *r, const char *path, char out[BOOK_HASH_HEX], char *err, size_t errlen);

#endif
