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
