#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "book/roster.h"

TestSuite(roster, .timeout = 10);

static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/grade-roster-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
}

static char *write_file(const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

Test(roster, a_directory_is_one_student_per_folder, .init = make_dir, .fini = remove_dir)
{
	const char *names[] = { "zoe", "amy", ".hidden" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		cr_assert_eq(mkdir(p, 0755), 0);
		free(p);
	}
	free(write_file("notes.txt", "not a submission"));
	struct roster r;
	struct diag_list d = DIAG_LIST_INIT;
	cr_assert_eq(roster_load(&r, dir, &d), 0);
	cr_assert_eq(r.n, 2);
	cr_assert_str_eq(r.entries[0].student, "amy");
	cr_assert_str_eq(r.entries[1].student, "zoe");
	char *want = xasprintf("%s/zoe", dir);
	cr_assert_str_eq(r.entries[1].path, want);
	cr_assert_null(r.entries[1].commit);
	free(want);
	roster_release(&r);
	diag_list_release(&d);
}

Test(roster, csv_with_optional_columns_in_any_order, .init = make_dir, .fini = remove_dir)
{
	char *p = write_file("class.csv", "email,path,student,section,name\n"
					  "a@x.org,subs/a,a1,B,\"Smith, Ann\"\n"
					  ",/abs/b,b2,,\n");
	struct roster r;
	struct diag_list d = DIAG_LIST_INIT;
	cr_assert_eq(roster_load(&r, p, &d), 0);
	cr_assert_eq(r.n, 2);
	char *rel = xasprintf("%s/subs/a", dir);
	cr_assert_str_eq(r.entries[0].path, rel, "relative to the roster's directory");
	cr_assert_str_eq(r.entries[0].name, "Smith, Ann");
	cr_assert_str_eq(r.entries[0].email, "a@x.org");
	cr_assert_str_eq(r.entries[1].path, "/abs/b");
	cr_assert_null(r.entries[1].name, "an empty cell is no name");
	cr_assert_eq(r.entries[1].line, 3);
	free(rel);
	free(p);
	roster_release(&r);
	diag_list_release(&d);
}

static void bad(const char *text, const char *want)
{
	char *p = write_file("bad.csv", text);
	struct roster r;
	struct diag_list d = DIAG_LIST_INIT;
	cr_assert_eq(roster_load(&r, p, &d), -1, "%s", text);
	cr_assert_geq(d.errors, 1);
	char *line = diag_format_line(&d.items[0]);
	cr_assert(strstr(line, want), "got '%s', want '%s'", line, want);
	free(line);
	free(p);
	roster_release(&r);
	diag_list_release(&d);
}

Test(roster, problems_named_at_their_line, .init = make_dir, .fini = remove_dir)
{
	bad("name,path\nx,y\n", "bad.csv:1:1: the header row needs the columns 'student' and 'path'");
	bad("student,path\na,x\nb,y\na,z\n", "bad.csv:4:1: student 'a' is already on line 2");
	bad("student,path\na,\n", "bad.csv:2:1: row 1 has no path");
	bad("", "empty roster");
}

/* Shards: stable (a pure function of the id), 1..count, spread over all
 * of them, and keeping one shard keeps exactly its students, in order. */
Test(roster, shards_are_stable_and_partition_the_roster)
{
	unsigned seen[5] = { 0 };
	for (int i = 0; i < 200; i++) {
		char id[32];
		snprintf(id, sizeof(id), "student%d", i);
		unsigned s = roster_shard_of(id, 4);
		cr_assert(s >= 1 && s <= 4, "%s in shard %u", id, s);
		cr_assert_eq(roster_shard_of(id, 4), s);
		seen[s]++;
		cr_assert_eq(roster_shard_of(id, 1), 1);
	}
	for (unsigned s = 1; s <= 4; s++)
		cr_expect_gt(seen[s], 20, "shard %u holds %u of 200", s, seen[s]);
	/* Known values (SHA-256 of the length-prefixed id, its first 64 bits
	 * mod N, plus one: docs/gradebook.md): shards must never move under a
	 * course's feet between versions of grade. */
	cr_expect_eq(roster_shard_of("alice", 7), 6);
	cr_expect_eq(roster_shard_of("bob", 3), 2);
	cr_expect_eq(roster_shard_of("student1", 10), 7);
	size_t total = 0;
	for (unsigned s = 1; s <= 4; s++) {
		struct roster r = ROSTER_INIT;
		for (int i = 0; i < 200; i++) {
			struct roster_entry e = { .student = xasprintf("student%d", i), .path = xstrdup("p") };
			xgrow((void **)&r.entries, &r.alloc, r.n + 1, sizeof(*r.entries));
			r.entries[r.n++] = e;
		}
		roster_keep_shard(&r, s, 4);
		cr_expect_eq(r.n, seen[s]);
		for (size_t k = 0; k < r.n; k++)
			cr_expect_eq(roster_shard_of(r.entries[k].student, 4), s);
		for (size_t k = 1; k < r.n; k++)
			cr_expect_lt(atoi(r.entries[k - 1].student + 7), atoi(r.entries[k].student + 7), "order kept");
		total += r.n;
		roster_release(&r);
	}
	cr_expect_eq(total, 200);
}
