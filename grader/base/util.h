/*
 * util.h - allocation that cannot fail, and small string helpers.
 *
 * Out-of-memory in the grader itself is not recoverable in any useful way
 * (as in git's xmalloc): these functions print one line and abort.
 */
#ifndef GRADE_UTIL_H
#define GRADE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grows *items (of *alloc elements of elem_size) to hold at least need. */
void xgrow(void **items, size_t *alloc, size_t need, size_t elem_size);
char *xstrdup(const char *s);
/* Frees list[0..n) and the list (NULL is fine). */
void free_strings(char **list, size_t n);
char *xstrndup(const char *s, size_t n);
/* Returns a new string the caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Reads a whole file into a NUL-terminated buffer (*out, caller frees).
 * Returns 0, or -errno. Files larger than limit give -EFBIG. */
int read_file(char **out, size_t *len, const char *path, size_t limit);
/* The same for 'name' in the directory dirfd, never following a symbolic
 * link (-ELOOP) and refusing what is not a regular file (-EINVAL). */
int read_file_at(int dirfd, const char *name, char **out, size_t *len, size_t limit);

/* Writes len bytes of data to path so that a reader never sees half of
 * it: through a temporary file renamed over path.  What is not a regular
 * file (/dev/null, a pipe, a terminal) is written in place, never
 * replaced (as root, a rename would replace /dev/null).  Returns 0 or -1
 * (errno set). */
int write_file_replace(const char *path, const char *data, size_t len);

/* Monotonic clock in seconds. */
double now_seconds(void);

bool str_has_suffix(const char *s, const char *suffix);
/* a if it is not NULL, else b (the GNU 'a ?: b', in standard C). */
static inline const char *str_or(const char *a, const char *b) { return a ? a : b; }
bool utf8_valid(const char *s, size_t len);



/* Lower-case hex of len bytes (caller frees). */
char *hex_encode(const void *data, size_t len);
/* Standard base64 (RFC 4648, padded) of len bytes (caller frees). */
char *base64_encode(const void *data, size_t len);
/* Decodes hex into out (room for strlen(hex) / 2 bytes); returns the byte count. */
size_t hex_decode(const char *hex, char *out);

/* Copies len bytes, replacing each invalid UTF-8 sequence and NUL with
 * U+FFFD, so that student output can go into JSON.  Caller frees. */
char *utf8_sanitize(const char *s, size_t len);
#endif
