/*
 * buf.h - a growable byte buffer with a hard size limit.
 *
 * Modelled on curl's dynbuf: untrusted producers (student output, frames)
 * write into it, and it never grows past 'limit'.  Bytes beyond the limit
 * are counted in 'dropped' and the buffer is marked truncated, so callers
 * can keep draining a pipe while their memory stays bounded.
 *
 * 'data' is NULL or NUL-terminated.  buf_release frees it; buf_detach hands
 * it over to the caller.
 */
#ifndef GRADE_BUF_H
#define GRADE_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t limit;      /* the most bytes ever kept */
	size_t dropped;    /* bytes refused because of the limit */
};

#define BUF_INIT(max) { NULL, 0, 0, (max), 0 }

void buf_init(struct buf *b, size_t limit);
/* Appends what fits; returns 0, or -1 when some bytes were dropped. */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline bool buf_truncated(const struct buf *b) { return b->dropped > 0; }
/* Returns the NUL-terminated contents (never NULL) and resets the buffer. */
char *buf_detach(struct buf *b, size_t *len);
void buf_release(struct buf *b);

#endif
