#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

TestSuite(buf, .timeout = 10);

Test(buf, appends_within_limit)
{
	struct buf b = BUF_INIT(16);
	cr_assert_eq(buf_puts(&b, "hello "), 0);
	cr_assert_eq(buf_printf(&b, "%d", 42), 0);
	cr_assert_str_eq(b.data, "hello 42");
	cr_assert_eq(b.len, 8);
	cr_assert_not(buf_truncated(&b));
	buf_release(&b);
}

Test(buf, truncates_and_counts_dropped_bytes)
{
	struct buf b = BUF_INIT(4);
	cr_assert_eq(buf_puts(&b, "abcdef"), -1);
	cr_assert_str_eq(b.data, "abcd");
	cr_assert_eq(b.dropped, 2);
	cr_assert_eq(buf_puts(&b, "xyz"), -1);
	cr_assert_eq(b.dropped, 5);
	cr_assert(buf_truncated(&b));
	buf_release(&b);
}

Test(buf, memory_stays_bounded_under_a_flood)
{
	struct buf b = BUF_INIT(1024);
	char chunk[4096];
	memset(chunk, 'x', sizeof(chunk));
	for (int i = 0; i < 10000; i++)
		buf_append(&b, chunk, sizeof(chunk));
	cr_assert_eq(b.len, 1024);
	cr_assert_leq(b.alloc, 2048);
	cr_assert_eq(b.dropped, 10000u * 4096u - 1024u);
	buf_release(&b);
}

Test(buf, detach_hands_over_and_resets)
{
	struct buf b = BUF_INIT(100);
	size_t len = 99;
	char *empty = buf_detach(&b, &len);
	cr_assert_str_eq(empty, "");
	cr_assert_eq(len, 0);
	free(empty);
	buf_puts(&b, "abc");
	char *s = buf_detach(&b, &len);
	cr_assert_str_eq(s, "abc");
	cr_assert_eq(len, 3);
	cr_assert_null(b.data);
	free(s);
}
