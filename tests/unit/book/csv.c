#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "book/csv.h"

TestSuite(csv, .timeout = 10);

static struct csv_table parse_ok(const char *text)
{
	struct csv_table t;
	struct diag_list d = DIAG_LIST_INIT;
	cr_assert_eq(csv_parse(&t, "r.csv", text, strlen(text), &d), 0, "%s", d.count ? d.items[0].message : "");
	cr_assert_eq(d.errors, 0);
	diag_list_release(&d);
	return t;
}

Test(csv, quoted_fields_hold_commas_quotes_and_newlines)
{
	struct csv_table t = parse_ok("a,b\r\n\"O'Brien, \"\"Jr\"\"\",\"two\nlines\"\n\nlast,\n");
	cr_assert_eq(t.n, 3);
	cr_assert_eq(t.records[1].n, 2);
	cr_assert_str_eq(t.records[1].fields[0], "O'Brien, \"Jr\"");
	cr_assert_str_eq(t.records[1].fields[1], "two\nlines");
	cr_assert_eq(t.records[1].line, 2);
	/* The blank line is skipped; the record after it knows its line. */
	cr_assert_eq(t.records[2].line, 5);
	cr_assert_eq(t.records[2].n, 2);
	cr_assert_str_eq(t.records[2].fields[1], "");
	csv_table_release(&t);
}

Test(csv, no_final_newline_and_bom)
{
	struct csv_table t = parse_ok("\xef\xbb\xbfstudent,path\nx,y");
	cr_assert_eq(t.n, 2);
	cr_assert_str_eq(t.records[0].fields[0], "student");
	cr_assert_str_eq(t.records[1].fields[1], "y");
	csv_table_release(&t);
}

static void parse_bad(const char *text, int line, int col, const char *what)
{
	struct csv_table t;
	struct diag_list d = DIAG_LIST_INIT;
	cr_assert_eq(csv_parse(&t, "r.csv", text, strlen(text), &d), -1, "%s", text);
	cr_assert_eq(d.errors, 1);
	cr_assert_eq(d.items[0].line, line, "%s: line %d", text, d.items[0].line);
	cr_assert_eq(d.items[0].col, col, "%s: col %d", text, d.items[0].col);
	cr_assert(strstr(d.items[0].message, what), "%s", d.items[0].message);
	diag_list_release(&d);
	csv_table_release(&t);
}

Test(csv, problems_at_their_position)
{
	parse_bad("a,b\nx,\"open\n", 2, 3, "unterminated");
	parse_bad("a,b\nx,y\"z\n", 2, 4, "a quote inside an unquoted field");
	parse_bad("a\n\"q\"x,y\n", 2, 4, "text after a closing quote");
	parse_bad("a,\"multi\nline\" y\n", 2, 6, "text after a closing quote");
}

/* Whatever is written reads back the same. */
Test(csv, written_fields_read_back)
{
	const char *fields[] = { "plain", "O'Brien, \"Jr\"", "", " padded ", "a\r\nb", "\"", "ünïcode" };
	struct buf b = BUF_INIT(1 << 20);
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		csv_put_field(&b, fields[i], i == 0);
	csv_end_record(&b);
	cr_assert_str_eq(b.data, "plain,\"O'Brien, \"\"Jr\"\"\",,\" padded \",\"a\r\nb\",\"\"\"\",ünïcode\r\n");
	struct csv_table t = parse_ok(b.data);
	cr_assert_eq(t.n, 1);
	cr_assert_eq(t.records[0].n, ARRAY_SIZE(fields));
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		cr_assert_str_eq(t.records[0].fields[i], fields[i]);
	csv_table_release(&t);
	buf_release(&b);
}
