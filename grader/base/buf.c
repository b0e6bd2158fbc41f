#include "base/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

void buf_init(struct buf *b, size_t limit)
{
	*b = (struct buf)BUF_INIT(limit);
}

int buf_append(struct buf *b, const void *data, size_t len)
{
	size_t room = b->limit > b->len ? b->limit - b->len : 0;
	size_t take = len < room ? len : room;
	if (take || !b->data) {
		xgrow((void **)&b->data, &b->alloc, b->len + take + 1, 1);
		memcpy(b->data + b->len, data, take);
		b->len += take;
		b->data[b->len] = '\0';
	}
	if (take < len) {
		b->dropped += len - take;
		return -1;
	}
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	int rc = buf_puts(b, s);
	free(s);
	return rc;
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *data = b->data ? b->data : xstrdup("");
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->alloc = b->dropped = 0;
	return data;
}

void buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = b->dropped = 0;
}
