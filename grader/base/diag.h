/*
 * diag.h - diagnostics about input files: "file:line:col: message".
 *
 * Positions are stored 1-based (0 means unknown).  Callers that hold the
 * file's text pass it in a struct diag_source so the offending line can be
 * quoted under the message, jq/compiler style:
 *
 *     rubrics/refcount.yaml:12:5: unknown key 'wieght' (did you mean 'weight'?)
 *        12 |     wieght: 10
 *           |     ^
 *
 * Every diag_* function that records an error returns -1, so a loader can
 * write 'return diag_at(...)'.
 */
#ifndef GRADE_DIAG_H
#define GRADE_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum diag_severity { DIAG_ERROR, DIAG_WARNING };

struct diag {
	enum diag_severity severity;
	char *file;     /* owned; may be NULL */
	int line, col;  /* 1-based; 0 when unknown */
	char *message;  /* owned */
	char *quote;    /* owned copy of the source line, or NULL */
};

struct diag_list {
	struct diag *items;
	size_t count, alloc;
	size_t errors;
};

#define DIAG_LIST_INIT { NULL, 0, 0, 0 }

/* Borrowed view of a file's text, for quoting lines. */
struct diag_source {
	const char *path;
	const char *text;  /* may be NULL */
	size_t len;
};

/* line0 and col0 are 0-based, as libyaml marks are. */
int diag_at(struct diag_list *list, const struct diag_source *src, size_t line0, size_t col0,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void diag_warn_at(struct diag_list *list, const struct diag_source *src, size_t line0, size_t col0,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* An error about a whole file (unreadable, not UTF-8...). */
int diag_file(struct diag_list *list, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prints every diagnostic; colour escapes only when 'color'. */
void diag_print(const struct diag_list *list, FILE *out, bool color);
/* One diagnostic as a single line "file:line:col: message" (caller frees). */
char *diag_format_line(const struct diag *d);
void diag_list_release(struct diag_list *list);

#endif
