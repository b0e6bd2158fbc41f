/*
 * `grade DIR` and `grade --rev REV DIR` on git repositories, through the
 * built binary, on a repository made here with git (fixed dates, HOME
 * the test's): a clean work tree (the JSON source's commit, dirty false),
 * an edited one (dirty, and the text says so), an older revision graded
 * from the object database (the wrong solution committed first scores
 * less than the reference after it) and named, a revision with a link to
 * /etc/passwd (graded, the note in text and JSON), an unknown revision
 * (a clear error, exit 4), --rev over several DIRs, and no temporary
 * directory left behind.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "support/run.h"

TestSuite(git, .timeout = 240);

#define RUBRIC "../../rubrics/refcount.yaml"

static char root[64], repo[96], tmp[96];
/* The commits: [0] the wrong solution, [1] the reference, [2] a link added. */
static char commits[3][41];

static void read_commit(const char *rev, char out[41])
{
	char *cmd = xasprintf("git -C '%s' rev-parse '%s'", repo, rev);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_not_null(fgets(out, 41, p));
	pclose(p);
	free(cmd);
}

static void make_repo(void)
{
	snprintf(root, sizeof(root), "/tmp/grade-e2e-git-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	snprintf(repo, sizeof(repo), "%s/repo", root);
	snprintf(tmp, sizeof(tmp), "%s/tmp", root);
	setenv("HOME", root, 1);
	/* grade's temporary directories for --rev go here, to be counted. */
	setenv("TMPDIR", tmp, 1);
	char *data = test_data("");
	run_sh("mkdir '%s' && cd '%s' && git init -q -b main repo && cd repo && "
	       "export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t "
	       "GIT_COMMITTER_EMAIL=t@example.org && "
	       "cp '%s/submissions/refcount-subtracts-two/refcount.py' . && git add . && "
	       "GIT_AUTHOR_DATE=2026-01-02T10:00:00+01:00 GIT_COMMITTER_DATE=2026-01-02T10:00:00+01:00 "
	       "git commit -qm wrong && "
	       "cp '%s/../../exercises/refcount/reference/refcount.py' . && "
	       "GIT_AUTHOR_DATE=2026-01-03T10:00:00+01:00 GIT_COMMITTER_DATE=2026-01-03T10:00:00+01:00 "
	       "git commit -qam reference && ln -s /etc/passwd pw && git add pw && "
	       "GIT_AUTHOR_DATE=2026-01-04T10:00:00+01:00 GIT_COMMITTER_DATE=2026-01-04T10:00:00+01:00 "
	       "git commit -qm link",
	       tmp, root, data, data);
	free(data);
	read_commit("HEAD~2", commits[0]);
	read_commit("HEAD~1", commits[1]);
	read_commit("HEAD", commits[2]);
}

static void remove_repo(void)
{
	run_sh("rm -rf '%s'", root);
}

static size_t leftovers(void)
{
	DIR *d = opendir(tmp);
	cr_assert_not_null(d);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static json_t *graded_json(const char *rev, int want_status)
{
	struct run_result r;
	const char *with_rev[] = { "-r", RUBRIC, "-f", "json", "--rev", rev, repo, NULL };
	const char *without[] = { "-r", RUBRIC, "-f", "json", repo, NULL };
	run_grade(&r, rev ? with_rev : without);
	cr_assert_eq(r.status, want_status, "grade exited %d: %s", r.status, r.err);
	json_error_t e;
	json_t *j = json_loads(r.out, 0, &e);
	cr_assert_not_null(j, "%s: %s", e.text, r.out);
	run_result_release(&r);
	return j;
}

/* grade with args exits 0 and its standard output holds want. */
static void expect_text(const char *const *args, const char *want)
{
	struct run_result r;
	run_grade(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, want), "want \"%s\" in:\n%s", want, r.out);
	run_result_release(&r);
}

static const char *source_text(const json_t *report, const char *key)
{
	return json_string_value(json_object_get(json_object_get(report, "source"), key));
}

Test(git, a_work_tree_clean_then_dirty, .init = make_repo, .fini = remove_repo)
{
	json_t *j = graded_json(NULL, 0);
	const json_t *src = json_object_get(j, "source");
	cr_assert_not_null(src, "a work tree's report has a source");
	cr_assert_str_eq(source_text(j, "commit"), commits[2]);
	cr_assert_str_eq(source_text(j, "branch"), "main");
	cr_assert_str_eq(source_text(j, "repo"), repo);
	cr_assert_str_eq(source_text(j, "commit_time"), "2026-01-04T10:00:00+01:00");
	cr_assert(json_is_true(json_object_get(src, "worktree")));
	cr_assert(json_is_false(json_object_get(src, "dirty")));
	cr_assert_str_eq(json_string_value(json_object_get(j, "submission")), repo);
	json_decref(j);

	run_sh("echo '# edited' >> '%s/refcount.py'", repo);
	j = graded_json(NULL, 0);
	cr_assert(json_is_true(json_object_get(json_object_get(j, "source"), "dirty")));
	json_decref(j);
	const char *args[] = { "-r", RUBRIC, repo, NULL };
	char *want = xasprintf("\nsource: repository %s, branch main, commit %.12s (2026-01-04T10:00:00+01:00): "
			       "the work tree's files\n  dirty work tree: uncommitted changes were graded\n",
			       repo, commits[2]);
	expect_text(args, want);
	free(want);
}

Test(git, an_older_revision, .init = make_repo, .fini = remove_repo)
{
	json_t *now = graded_json(NULL, 0), *old = graded_json("HEAD~2", 0), *ref = graded_json(commits[1], 0);
	double s_now = json_number_value(json_object_get(now, "score")), s_old = json_number_value(json_object_get(old, "score")),
	       s_ref = json_number_value(json_object_get(ref, "score"));
	cr_assert_eq(s_ref, s_now, "the reference, committed");
	cr_assert_lt(s_old, s_ref, "HEAD~2 is the wrong solution: %g, not %g", s_old, s_ref);
	cr_assert_str_eq(source_text(old, "commit"), commits[0]);
	cr_assert_null(source_text(old, "branch"), "HEAD~2 names no branch");
	cr_assert(json_is_false(json_object_get(json_object_get(old, "source"), "worktree")));
	cr_assert_null(json_object_get(json_object_get(old, "source"), "dirty"));
	cr_assert_str_eq(source_text(old, "commit_time"), "2026-01-02T10:00:00+01:00");
	cr_assert_str_eq(json_string_value(json_object_get(old, "submission")), repo,
			 "the report names DIR, not the temporary directory");
	json_t *main_tip = graded_json("main", 0);
	cr_assert_str_eq(source_text(main_tip, "branch"), "main");
	json_decref(main_tip);
	json_decref(now);
	json_decref(old);
	json_decref(ref);
	cr_assert_eq(leftovers(), 0, "--rev's directories are removed");
}

Test(git, a_revision_with_a_link_out, .init = make_repo, .fini = remove_repo)
{
	json_t *j = graded_json("HEAD", 0);
	const json_t *notes = json_object_get(json_object_get(j, "source"), "notes");
	cr_assert_eq(json_array_size(notes), 1);
	cr_assert_str_eq(json_string_value(json_array_get(notes, 0)),
			 "not graded: pw: a symbolic link to '/etc/passwd', outside the submission");
	cr_assert_gt(json_number_value(json_object_get(j, "score")), 0, "the rest is graded");
	json_decref(j);
	struct run_result r;
	const char *args[] = { "-r", RUBRIC, "--rev", "HEAD", repo, NULL };
	run_grade(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "the commit's files\n  notes:\n    - not graded: pw: a symbolic link to '/etc/passwd', "
				"outside the submission\n"),
		  "%s", r.out);
	run_result_release(&r);
	cr_assert_eq(leftovers(), 0);
}

Test(git, unknown_revision_and_several_dirs, .init = make_repo, .fini = remove_repo)
{
	struct run_result r;
	const char *args[] = { "-r", RUBRIC, "--rev", "no-such-rev", repo, NULL };
	run_grade(&r, args);
	cr_assert_eq(r.status, 4, "an unknown revision is the submission's error (exit 4): %d", r.status);
	char *want = xasprintf("grade: cannot grade '%s' at 'no-such-rev': unknown revision 'no-such-rev' in '%s'\n",
			       repo, repo);
	cr_assert(strstr(r.err, want), "%s", r.err);
	cr_assert_str_empty(r.out);
	free(want);
	run_result_release(&r);

	/* --rev applies to each DIR; a plain folder cannot have one. */
	run_sh("git clone -q '%s' '%s/second'", repo, root);
	char *second = xasprintf("%s/second", root), *plain = test_data("submissions/refcount-subtracts-two");
	const char *many[] = { "-r", RUBRIC, "-f", "json", "-j", "2", "--rev", "HEAD~1", repo, second, plain, NULL };
	run_grade(&r, many);
	cr_assert_eq(r.status, 4, "%s", r.err);
	cr_assert(strstr(r.err, "is not in a git repository (--rev needs one)"), "%s", r.err);
	char *line2 = strchr(r.out, '\n');
	cr_assert_not_null(line2);
	json_t *a = json_loadb(r.out, (size_t)(line2 - r.out), 0, NULL), *b = json_loads(line2 + 1, 0, NULL);
	cr_assert_not_null(a);
	cr_assert_not_null(b, "%s", r.out);
	cr_assert_str_eq(source_text(a, "commit"), commits[1]);
	cr_assert_str_eq(source_text(b, "commit"), commits[1]);
	cr_assert_str_eq(source_text(b, "repo"), second);
	json_decref(a);
	json_decref(b);
	run_result_release(&r);
	free(second);
	free(plain);
	cr_assert_eq(leftovers(), 0);

	const char *help[] = { "--help", NULL };
	run_grade(&r, help);
	cr_assert(strstr(r.out, "--rev REV"), "grade --help lists --rev");
	run_result_release(&r);
}

/* The JSON report of 'repo' written to FILE by --report, with the CI
 * environment the caller set. */
static json_t *ci_graded_json(const char *extra)
{
	char *file = xasprintf("%s/ci.json", root), *spec = xasprintf("json=%s", file);
	struct run_result r;
	const char *args[] = { "-r", RUBRIC, "--report", spec, extra ? extra : repo, extra ? repo : NULL, NULL };
	run_grade(&r, args);
	cr_assert_eq(r.status, 0, "grade exited %d: %s", r.status, r.err);
	json_error_t e;
	json_t *j = json_load_file(file, 0, &e);
	cr_assert_not_null(j, "%s", e.text);
	run_result_release(&r);
	free(spec);
	free(file);
	return j;
}

Test(git, a_ci_push_names_its_time, .init = make_repo, .fini = remove_repo)
{
	char *event = xasprintf("%s/event.json", root);
	run_sh("printf '{\"after\": \"%s\", \"repository\": {\"pushed_at\": 1767519000}}' > '%s'", commits[2], event);
	setenv("GITHUB_ACTIONS", "true", 1);
	setenv("GITHUB_EVENT_NAME", "push", 1);
	setenv("GITHUB_EVENT_PATH", event, 1);
	json_t *j = ci_graded_json(NULL);
	cr_assert_str_eq(source_text(j, "pushed_at"), "2026-01-04T09:30:00.000Z");
	cr_assert_str_eq(source_text(j, "pushed_by"), "GitHub push event");
	json_decref(j);

	/* The text names it after the commit; --no-ci-detect reads nothing. */
	struct run_result r;
	const char *text[] = { "-r", RUBRIC, "-f", "text", "--no-ci-detect", repo, NULL };
	run_grade(&r, text);
	cr_assert(!strstr(r.out, "pushed"), "%s", r.out);
	run_result_release(&r);
	j = ci_graded_json("--no-ci-detect");
	cr_assert_null(source_text(j, "pushed_at"));
	json_decref(j);

	/* A push of another commit (the job grades an older one) says nothing. */
	run_sh("printf '{\"after\": \"%s\", \"repository\": {\"pushed_at\": 1767519000}}' > '%s'", commits[1], event);
	j = ci_graded_json(NULL);
	cr_assert_null(source_text(j, "pushed_at"));
	json_decref(j);

	/* A payload that cannot be read is a warning; the grading goes on. */
	run_sh("echo '{broken' > '%s'", event);
	const char *args[] = { "-r", RUBRIC, "-f", "text", repo, NULL };
	run_grade(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "warning: no push time in the report: cannot read the push event"), "%s", r.err);
	run_result_release(&r);
	unsetenv("GITHUB_ACTIONS");
	unsetenv("GITHUB_EVENT_NAME");
	unsetenv("GITHUB_EVENT_PATH");
	free(event);
}

Test(git, a_gitlab_push_pipeline_in_the_text, .init = make_repo, .fini = remove_repo)
{
	setenv("GITLAB_CI", "true", 1);
	setenv("CI_PIPELINE_SOURCE", "push", 1);
	setenv("CI_COMMIT_SHA", commits[2], 1);
	setenv("CI_PIPELINE_CREATED_AT", "2026-01-04T09:30:00Z", 1);
	/* GitLab's detection would write its reports into the working
	 * directory (the test data's): they go to the test's instead. */
	char *junit = xasprintf("junit=%s/junit.xml", root), *gitlab = xasprintf("gitlab=%s/cq.json", root);
	const char *args[] = { "-r", RUBRIC, "-f", "text", "--report", junit, "--report", gitlab, repo, NULL };
	char *want = xasprintf("source: repository %s, branch main, commit %.12s (2026-01-04T10:00:00+01:00), "
			       "pushed 2026-01-04T09:30:00.000Z (GitLab push pipeline): the work tree's files\n",
			       repo, commits[2]);
	expect_text(args, want);
	free(want);
	run_sh("grep -q 'name=\"source.pushed_at\" value=\"2026-01-04T09:30:00.000Z\"' '%s/junit.xml'", root);
	free(junit);
	free(gitlab);
	unsetenv("GITLAB_CI");
	unsetenv("CI_PIPELINE_SOURCE");
	unsetenv("CI_COMMIT_SHA");
	unsetenv("CI_PIPELINE_CREATED_AT");
}
