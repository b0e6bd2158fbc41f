/*
 * csv.h - RFC 4180 comma-separated values, read and written.
 *
 * Reading: fields separated by ',', records by CRLF or LF; a field in
 * double quotes may hold commas, line breaks and "" for a quote.  A
 * problem (a quote inside an unquoted field, an unterminated quoted
 * field, text after a closing quote) is reported at its file:line:col.
 * Writing quotes exactly the fields that need it (a comma, a quote, CR or
 * LF, or leading/trailing spaces) and ends every record with CRLF, so that
 * a student named `O'Brien, "Jr"` comes back unchanged.
 */
#ifndef GRADE_BOOK_CSV_H
#define GRADE_BOOK_CSV_H

#include <stddef.h>

#include "base/buf.h"
#include "base/diag.h"

struct csv_record {
	char **fields;     /* owned, NUL-terminated */
	size_t n;
	size_t line;       /* 1-based line the record starts on */
};

struct csv_table {
	struct csv_record *records;
	size_t n, alloc;
};

#define CSV_TABLE_INIT { NULL, 0, 0 }

/* Parses 'text' (len bytes, from 'path' for messages) into *out.  Blank
 * lines are skipped.  Returns 0, or -1 with the problem in diags; *out is
 * valid to release either way. */
int csv_parse(struct csv_table *out, const char *path, const char *text, size_t len, struct diag_list *diags);
void csv_table_release(struct csv_table *t);

/* Appends one field to a record being written: a comma before it unless
 * it is the record's first. */
void csv_put_field(struct buf *b, const char *field, int first);
/* Ends the record (CRLF). */
void csv_end_record(struct buf *b);

#endif
