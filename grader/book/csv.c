#include "book/csv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

void csv_table_release(struct csv_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free_strings(t->records[i].fields, t->records[i].n);
	free(t->records);
	*t = (struct csv_table)CSV_TABLE_INIT;
}

struct reader {
	const char *text;
	size_t len, pos;
	size_t line, line_start;   /* 0-based line, offset of its first byte */
	struct diag_source src;
	struct diag_list *diags;
};

static int problem(struct reader *r, size_t at, const char *what)
{
	/* The line and column of 'at' (at >= line_start: same line, or a
	 * later one inside a quoted field). */
	size_t line = r->line, start = r->line_start;
	for (size_t i = start; i < at && i < r->len; i++)
		if (r->text[i] == '\n') {
			line++;
			start = i + 1;
		}
	return diag_at(r->diags, &r->src, line, at - start, "%s", what);
}

static void newline(struct reader *r)
{
	r->line++;
	r->line_start = r->pos;
}

/* One field at r->pos into *out; the position after it (at ',', a line
 * break or the end). */
static int read_field(struct reader *r, char **out)
{
	struct buf f = BUF_INIT(r->len + 1);
	buf_puts(&f, "");
	if (r->pos < r->len && r->text[r->pos] == '"') {
		size_t open = r->pos++, open_line = r->line, open_start = r->line_start;
		for (;;) {
			if (r->pos >= r->len) {
				buf_release(&f);
				r->line = open_line;
				r->line_start = open_start;
				return problem(r, open, "unterminated quoted field");
			}
			char c = r->text[r->pos++];
			if (c == '"') {
				if (r->pos < r->len && r->text[r->pos] == '"') {
					buf_append(&f, "\"", 1);
					r->pos++;
					continue;
				}
				break;
			}
			buf_append(&f, &c, 1);
			if (c == '\n')
				newline(r);
		}
		if (r->pos < r->len && !strchr(",\r\n", r->text[r->pos])) {
			buf_release(&f);
			return problem(r, r->pos, "text after a closing quote (a quote inside a field is written \"\")");
		}
	} else {
		size_t start = r->pos;
		while (r->pos < r->len && !strchr(",\r\n", r->text[r->pos])) {
			if (r->text[r->pos] == '"') {
				buf_release(&f);
				return problem(r, r->pos, "a quote inside an unquoted field (quote the whole field)");
			}
			r->pos++;
		}
		buf_append(&f, r->text + start, r->pos - start);
	}
	*out = buf_detach(&f, NULL);
	return 0;
}

int csv_parse(struct csv_table *out, const char *path, const char *text, size_t len, struct diag_list *diags)
{
	struct reader r = { .text = text, .len = len, .src = { path, text, len }, .diags = diags };
	*out = (struct csv_table)CSV_TABLE_INIT;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		r.pos = r.line_start = 3;   /* a spreadsheet's byte order mark */
	while (r.pos < len) {
		if (text[r.pos] == '\n' || (text[r.pos] == '\r' && r.pos + 1 < len && text[r.pos + 1] == '\n')) {
			r.pos += text[r.pos] == '\r' ? 2 : 1;
			newline(&r);
			continue;   /* a blank line */
		}
		struct csv_record rec = { .line = r.line + 1 };
		size_t alloc = 0;
		for (;;) {
			char *field = NULL;
			if (read_field(&r, &field) < 0) {
				free_strings(rec.fields, rec.n);
				return -1;
			}
			xgrow((void **)&rec.fields, &alloc, rec.n + 1, sizeof(*rec.fields));
			rec.fields[rec.n++] = field;
			if (r.pos < len && text[r.pos] == ',') {
				r.pos++;
				continue;
			}
			break;
		}
		if (r.pos < len && text[r.pos] == '\r') {
			if (r.pos + 1 >= len || text[r.pos + 1] != '\n') {
				free_strings(rec.fields, rec.n);
				return problem(&r, r.pos, "a carriage return alone (records end with CRLF or LF)");
			}
			r.pos++;
		}
		if (r.pos < len) {
			r.pos++;   /* the '\n' */
			newline(&r);
		}
		xgrow((void **)&out->records, &out->alloc, out->n + 1, sizeof(*out->records));
		out->records[out->n++] = rec;
	}
	return 0;
}

void csv_put_field(struct buf *b, const char *field, int first)
{
	if (!first)
		buf_puts(b, ",");
	if (!field)
		field = "";
	size_t n = strlen(field);
	bool quote = strpbrk(field, ",\"\r\n") || (n && (field[0] == ' ' || field[n - 1] == ' '));
	if (!quote) {
		buf_puts(b, field);
		return;
	}
	buf_puts(b, "\"");
	for (const char *p = field; *p;) {
		size_t span = strcspn(p, "\"");
		buf_append(b, p, span);
		p += span;
		if (*p == '"') {
			buf_puts(b, "\"\"");
			p++;
		}
	}
	buf_puts(b, "\"");
}

void csv_end_record(struct buf *b)
{
	buf_puts(b, "\r\n");
}
