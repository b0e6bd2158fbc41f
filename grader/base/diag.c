#include "base/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static char *quote_line(const struct diag_source *src, size_t line0)
{
	if (!src || !src->text)
		return NULL;
	const char *p = src->text, *end = src->text + src->len;
	for (size_t l = 0; l < line0 && p < end; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return NULL;
		p = nl + 1;
	}
	if (p >= end)
		return NULL;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
	if (n && p[n - 1] == '\r')
		n--;
	if (n > 200)
		n = 200;
	return xstrndup(p, n);
}

static void add(struct diag_list *list, enum diag_severity sev, const char *path, int line, int col,
		char *quote, const char *fmt, va_list ap) __attribute__((format(printf, 7, 0)));

static void add(struct diag_list *list, enum diag_severity sev, const char *path, int line, int col,
		char *quote, const char *fmt, va_list ap)
{
	xgrow((void **)&list->items, &list->alloc, list->count + 1, sizeof(*list->items));
	struct diag *d = &list->items[list->count++];
	d->severity = sev;
	d->file = path ? xstrdup(path) : NULL;
	d->line = line;
	d->col = col;
	d->message = xvasprintf(fmt, ap);
	d->quote = quote;
	if (sev == DIAG_ERROR)
		list->errors++;
}

/* A diagnostic at a 0-based position of src, its line quoted. */
static void add_at(struct diag_list *list, enum diag_severity sev, const struct diag_source *src, size_t line0,
		   size_t col0, const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));

static void add_at(struct diag_list *list, enum diag_severity sev, const struct diag_source *src, size_t line0,
		   size_t col0, const char *fmt, va_list ap)
{
	add(list, sev, src ? src->path : NULL, (int)line0 + 1, (int)col0 + 1, quote_line(src, line0), fmt, ap);
}

int diag_at(struct diag_list *list, const struct diag_source *src, size_t line0, size_t col0,
	    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_at(list, DIAG_ERROR, src, line0, col0, fmt, ap);
	va_end(ap);
	return -1;
}

void diag_warn_at(struct diag_list *list, const struct diag_source *src, size_t line0, size_t col0,
		  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_at(list, DIAG_WARNING, src, line0, col0, fmt, ap);
	va_end(ap);
}

int diag_file(struct diag_list *list, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(list, DIAG_ERROR, path, 0, 0, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

char *diag_format_line(const struct diag *d)
{
	const char *sev = d->severity == DIAG_WARNING ? "warning: " : "";
	const char *file = d->file ? d->file : "grade";
	if (d->line > 0)
		return xasprintf("%s:%d:%d: %s%s", file, d->line, d->col, sev, d->message);
	return xasprintf("%s: %s%s", file, sev, d->message);
}

void diag_print(const struct diag_list *list, FILE *out, bool color)
{
	const char *bold = color ? "\033[1m" : "", *red = color ? "\033[1;31m" : "",
		   *mag = color ? "\033[1;35m" : "", *off = color ? "\033[0m" : "";
	for (size_t i = 0; i < list->count; i++) {
		const struct diag *d = &list->items[i];
		const char *file = d->file ? d->file : "grade";
		const char *kind = d->severity == DIAG_WARNING ? "warning" : "error";
		const char *kc = d->severity == DIAG_WARNING ? mag : red;
		if (d->line > 0)
			fprintf(out, "%s%s:%d:%d:%s %s%s:%s %s\n", bold, file, d->line, d->col, off,
				kc, kind, off, d->message);
		else
			fprintf(out, "%s%s:%s %s%s:%s %s\n", bold, file, off, kc, kind, off, d->message);
		if (d->quote) {
			fprintf(out, "%5d | %s\n      | ", d->line, d->quote);
			/* Keep tabs so the caret lines up under the quoted text. */
			for (int c = 1; c < d->col && d->quote[c - 1]; c++)
				fputc(d->quote[c - 1] == '\t' ? '\t' : ' ', out);
			fprintf(out, "%s^%s\n", kc, off);
		}
	}
}

void diag_list_release(struct diag_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].file);
		free(list->items[i].message);
		free(list->items[i].quote);
	}
	free(list->items);
	*list = (struct diag_list)DIAG_LIST_INIT;
}
