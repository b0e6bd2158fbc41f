/*
 * The regrade diff: `grade batch` ends by listing the students whose
 * score changed since their previous run (old → new, with the checks whose
 * status changed), and `grade export diff` prints the same later.  A class
 * of three is graded, then one check of the rubric or one submission
 * changes, and the class is graded again.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "support/run.h"

TestSuite(diff, .timeout = 240);

static char dir[64];

/* alice (correct), bob (returns a string: fails the secret check), carol
 * (correct), and a copy of the rubric to change. */
static void make_class(void)
{
	snprintf(dir, sizeof(dir), "/tmp/grade-diff-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	char *data = test_data("submissions"), *rubric = test_data("rubrics/book/hidden.yaml");
	run_sh("mkdir '%s/class' && cp -r '%s/refcount-correct' '%s/class/alice' && "
	   "cp -r '%s/refcount-returns-string' '%s/class/bob' && cp -r '%s/refcount-correct' '%s/class/carol' && "
	   "cp '%s' '%s/rubric.yaml'",
	   dir, data, dir, data, dir, data, dir, rubric, dir);
	free(rubric);
	free(data);
}

static void remove_class(void)
{
	run_sh("rm -rf '%s'", dir);
}

/* grade with args (in the class's directory: the paths are relative);
 * its standard output (new string) once it exited 0. */
static char *grade_out(const char *const *args)
{
	char *cmd = xasprintf("cd '%s' && '%s'", dir, getenv("GRADE_BIN"));
	for (size_t i = 0; args[i]; i++) {
		char *more = xasprintf("%s '%s'", cmd, args[i]);
		free(cmd);
		cmd = more;
	}
	const char *argv[] = { "sh", "-c", cmd, NULL };
	struct run_result r;
	run_command(&r, argv);
	cr_assert_eq(r.status, 0, "%s: %d: %s", cmd, r.status, r.err);
	char *out = xstrdup(r.out);
	run_result_release(&r);
	free(cmd);
	return out;
}

/* grade batch of the class; its standard output (new string). */
static char *batch(void)
{
	const char *args[] = { "batch", "-r", "rubric.yaml", "--quiet", "--gradebook", "gb.sqlite", "class", NULL };
	return grade_out(args);
}

static char *export_diff(void)
{
	const char *args[] = { "export", "diff", "--gradebook", "gb.sqlite", NULL };
	return grade_out(args);
}

/* The part of batch's output after its summary line. */
static const char *listing(const char *out)
{
	const char *nl = strchr(out, '\n');
	cr_assert_not_null(nl, "%s", out);
	return nl + 1;
}

Test(diff, one_check_of_the_rubric_changed, .init = make_class, .fini = remove_class)
{
	char *out = batch();
	cr_assert_str_eq(listing(out), "", "a first run has nothing to compare: %s", out);
	free(out);
	/* The secret check now wants a str: alice and carol lose it, bob gets it. */
	run_sh("sed -i 's/returns_type: int/returns_type: str/' '%s/rubric.yaml'", dir);
	out = batch();
	const char *want = "score changes since the previous run (3 students):\n"
			   "  alice  3 → 1 (-2)  refcount/secret pass → fail\n"
			   "  bob    1 → 3 (+2)  refcount/secret fail → pass\n"
			   "  carol  3 → 1 (-2)  refcount/secret pass → fail\n";
	cr_assert_str_eq(listing(out), want);
	free(out);
	/* Later, from the gradebook: the same. */
	out = export_diff();
	cr_assert_str_eq(out, want);
	free(out);
	/* A run that changes nothing lists nothing, and is then the last run. */
	out = batch();
	cr_assert(strstr(out, "0 graded, 3 reused"), "%s", out);
	cr_assert_str_eq(listing(out), "");
	free(out);
	out = export_diff();
	cr_assert_str_eq(out, "no score changed since each student's previous run\n");
	free(out);
}

Test(diff, one_submission_changed, .init = make_class, .fini = remove_class)
{
	free(batch());
	char *fixed = test_data("submissions/refcount-correct/refcount.py");
	run_sh("cp '%s' '%s/class/bob/refcount.py'", fixed, dir);
	free(fixed);
	char *out = batch();
	cr_assert(strstr(out, "1 graded, 2 reused"), "%s", out);
	cr_assert_str_eq(listing(out), "score changes since the previous run (1 student):\n"
				       "  bob  1 → 3 (+2)  refcount/secret fail → pass\n");
	free(out);
	/* A student whose submission disappears: graded → missing. */
	run_sh("rm -rf '%s/class/carol'", dir);
	run_sh("printf 'student,path\\nalice,class/alice\\nbob,class/bob\\ncarol,class/carol\\n' > '%s/roster.csv'", dir);
	run_sh("cd '%s' && '%s' batch -r rubric.yaml --quiet --gradebook gb.sqlite roster.csv > out.txt 2>/dev/null; "
	   "test $? = 4 && grep -q '^  carol  3 → missing$' out.txt",
	   dir, getenv("GRADE_BIN"));
}
