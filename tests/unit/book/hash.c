#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "book/hash.h"

TestSuite(hash, .timeout = 10);

static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/grade-hash-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
}

static void put(const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f, "%s", p);
	fputs(text, f);
	fclose(f);
	free(p);
}

static void hash(char out[BOOK_HASH_HEX])
{
	char err[256];
	cr_assert_eq(book_hash_dir(dir, out, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(strlen(out), 64);
}

Test(hash, content_names_and_bytes_count_compiled_files_do_not, .init = make_dir, .fini = remove_dir)
{
	char a[BOOK_HASH_HEX], b[BOOK_HASH_HEX];
	put("refcount.py", "x = 1\n");
	hash(a);
	hash(b);
	cr_assert_str_eq(a, b, "the same tree, the same hash");

	put("refcount.py", "x = 2\n");
	hash(b);
	cr_assert_str_neq(a, b, "one byte changed");
	put("refcount.py", "x = 1\n");
	hash(b);
	cr_assert_str_eq(a, b);

	/* Left out: what the scratch copy never takes either. */
	char *sub = xasprintf("%s/__pycache__", dir);
	cr_assert_eq(mkdir(sub, 0755), 0);
	free(sub);
	put("__pycache__/refcount.cpython-311.pyc", "junk");
	put("old.pyc", "junk");
	hash(b);
	cr_assert_str_eq(a, b, "compiled files do not count");

	/* A helper module counts: a check can import it. */
	put("helper.py", "");
	hash(b);
	cr_assert_str_neq(a, b);
}

Test(hash, a_rename_is_a_change, .init = make_dir, .fini = remove_dir)
{
	char a[BOOK_HASH_HEX], b[BOOK_HASH_HEX];
	put("a.py", "same");
	hash(a);
	char *from = xasprintf("%s/a.py", dir), *to = xasprintf("%s/b.py", dir);
	cr_assert_eq(rename(from, to), 0);
	hash(b);
	cr_assert_str_neq(a, b);
	free(from);
	free(to);
}

Test(hash, a_missing_directory_is_an_error)
{
	char out[BOOK_HASH_HEX], err[256];
	cr_assert_eq(book_hash_dir("/nonexistent/grade-test", out, err, sizeof(err)), -1);
	cr_assert(strstr(err, "cannot open submission '/nonexistent/grade-test'"), "%s", err);
}
