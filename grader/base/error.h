/*
 * error.h - the one error convention of grade's library.
 *
 *   - A function that can fail returns 0 on success and a negative value on
 *     failure: -1, or a negative code its header names (WIRE_EOF...).  A
 *     function returning a pointer returns NULL instead.
 *   - The words go into the caller's buffer, 'char *err, size_t errlen',
 *     through fail() / fail_errno(): one line, lower-case, no final full
 *     stop, the subject in quotes, the problem first ("cannot open 'x':
 *     No such file or directory").  Problems at a position in an input file
 *     go into a struct diag_list instead (diag.h).
 *   - Foreign conventions are converted once, in the module that wraps them:
 *     libyaml's 1/0 (rubric/), CPython's NULL/-1 with an exception set (py/:
 *     the exception becomes data, never stays pending), libgit2's and
 *     SQLite's codes.
 *   - What student code did is not an error of grade's: it is data in the
 *     observation and the verdict.
 *   - Text for people and exit statuses are made only at the edges: cli/
 *     and report/.
 *   - Invariants (a caller's contract, an impossible state) are assert()ed:
 *     checked in debug builds, compiled out with -Db_ndebug=true.
 */
#ifndef GRADE_BASE_ERROR_H
#define GRADE_BASE_ERROR_H

#include <assert.h>
#include <stddef.h>

/* Writes the message into err (when err is not NULL) and returns -1, so a
 * caller can write 'return fail(err, errlen, "...")'. */
int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The same, followed by ": strerror(errnum)" when errnum is not 0. */
int fail_errno(char *err, size_t errlen, int errnum, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
