/*
 * `grade DIR` on a git repository (git/worktree.h), on repositories built
 * here with git in a temporary directory: a work tree's commit, branch and
 * dirtiness (edited, staged, untracked, ignored; only DIR's part of it),
 * a detached HEAD, an unborn branch, folders that are no repository's
 * files, git's ceiling; and revisions read into a directory (HEAD~1, a
 * branch, a tag, a bare repository), an unknown one, one that is no
 * commit.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "git/worktree.h"
#include "support/run.h"

TestSuite(worktree, .timeout = 60);

static char root[64];

#define IN_REPO(cmd) run_sh("cd '%s/repo' && " cmd, root)

static void make_root(void)
{
	snprintf(root, sizeof(root), "/tmp/grade-worktree-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	git_test_env(root);
	unsetenv("GIT_CEILING_DIRECTORIES");
	run_sh("cd '%s' && git init -q -b main repo && mkdir out plain", root);
	IN_REPO("mkdir a b && echo one > a/x.py && echo one > b/y.py && echo 'ignored*' > .gitignore && "
		"git add . && git commit -qm one && echo two > a/x.py && "
		"GIT_COMMITTER_DATE=2026-01-03T09:30:00-05:00 git commit -qam two && git tag v2");
}

static void remove_root(void)
{
	run_sh("rm -rf '%s'", root);
}

/* worktree_source on root/rel: its return value, the source in *s. */
static int source_of(const char *rel, struct grade_source **s)
{
	char *dir = xasprintf("%s/%s", root, rel);
	char err[512] = "";
	int rc = worktree_source(dir, s, err, sizeof(err));
	cr_assert_geq(rc, 0, "%s", err);
	cr_assert_eq(rc == 1, *s != NULL);
	free(dir);
	return rc;
}

static void drop(struct grade_source **s)
{
	grade_source_free(*s);
	*s = NULL;
}

static bool dirty(const char *rel)
{
	struct grade_source *s = NULL;
	cr_assert_eq(source_of(rel, &s), 1, "%s", rel);
	bool d = s->dirty;
	drop(&s);
	return d;
}

Test(worktree, a_clean_work_tree, .init = make_root, .fini = remove_root)
{
	struct grade_source *s = NULL;
	char *dir = xasprintf("%s/repo", root);
	cr_assert_eq(source_of("repo", &s), 1);
	cr_assert_str_eq(s->repo, dir, "the work tree's top is DIR as given");
	cr_assert_str_eq(s->branch, "main");
	cr_assert_eq(strlen(s->commit), 40);
	cr_assert_str_eq(s->commit_time, "2026-01-03T09:30:00-05:00", "the committer's date in the committer's zone");
	cr_assert(s->worktree);
	cr_assert_not(s->dirty);
	cr_assert_eq(s->n_notes, 0);
	drop(&s);
	free(dir);
}

Test(worktree, what_makes_it_dirty, .init = make_root, .fini = remove_root)
{
	IN_REPO("touch ignored.tmp");
	cr_assert_not(dirty("repo"), "an ignored file is not a change");
	IN_REPO("echo 3 >> a/x.py");
	cr_assert(dirty("repo"), "an edited tracked file");
	IN_REPO("git add a/x.py");
	cr_assert(dirty("repo"), "a staged change is not committed either");
	IN_REPO("git reset -q --hard && echo new > b/new.py");
	cr_assert(dirty("repo"), "an untracked file");
}

Test(worktree, only_dirs_part_counts, .init = make_root, .fini = remove_root)
{
	struct grade_source *s = NULL;
	char *top = NULL;
	cr_assert_eq(source_of("repo/a", &s), 1);
	top = realpath(s->repo, NULL);
	cr_assert_str_eq(s->repo, top, "a subdirectory names the work tree's top");
	drop(&s);
	free(top);
	IN_REPO("echo 3 >> b/y.py && mkdir -p b/newdir && echo z > b/newdir/z.py");
	cr_assert_not(dirty("repo/a"), "changes beside DIR are not DIR's");
	cr_assert(dirty("repo/b"));
	cr_assert(dirty("repo"));
	IN_REPO("echo new > a/new.py");
	cr_assert(dirty("repo/a"));
}

Test(worktree, folders_that_are_no_repositorys_files, .init = make_root, .fini = remove_root)
{
	struct grade_source *s = NULL;
	cr_assert_eq(source_of("plain", &s), 0, "a plain folder");
	IN_REPO("mkdir -p ignored-subs/alice untracked/bob && echo x > ignored-subs/alice/a.py && "
		"echo x > untracked/bob/b.py");
	cr_assert_eq(source_of("repo/ignored-subs/alice", &s), 0, "an ignored folder holds none of the commit's files");
	cr_assert_eq(source_of("repo/untracked/bob", &s), 0, "nor does an untracked one");
	cr_assert_eq(source_of("repo/.git", &s), 0, "nor the repository's own directory");
	char *ceiling = xasprintf("/nowhere:%s/repo", root);
	setenv("GIT_CEILING_DIRECTORIES", ceiling, 1);
	cr_assert_eq(source_of("repo/a", &s), 0, "git's ceiling stops the search");
	cr_assert_eq(source_of("repo", &s), 1, "the ceiling itself is searched");
	drop(&s);
	free(ceiling);
	unsetenv("GIT_CEILING_DIRECTORIES");
	run_sh("git init -q --bare '%s/bare.git'", root);
	cr_assert_eq(source_of("bare.git", &s), 0, "a bare repository has no work tree");
}

Test(worktree, detached_and_unborn, .init = make_root, .fini = remove_root)
{
	struct grade_source *s = NULL;
	IN_REPO("git checkout -q --detach HEAD~1");
	cr_assert_eq(source_of("repo", &s), 1);
	cr_assert_null(s->branch, "a detached HEAD is on no branch");
	cr_assert_str_eq(s->commit_time, "2026-01-02T10:00:00+01:00");
	drop(&s);
	run_sh("cd '%s' && git init -q -b trunk fresh && echo x > fresh/a.py", root);
	cr_assert_eq(source_of("fresh", &s), 1);
	cr_assert_str_eq(s->branch, "trunk");
	cr_assert_null(s->commit, "an unborn branch has no commit");
	cr_assert_null(s->commit_time);
	cr_assert(s->dirty, "its files are all untracked");
	drop(&s);
}

/* worktree_rev of root/repo at rev into a fresh root/out: 0 or -1. */
static int rev_of(const char *repo, const char *rev, struct grade_source **s, char *err, size_t errlen)
{
	char *dir = xasprintf("%s/%s", root, repo), *out = xasprintf("%s/out", root);
	run_sh("rm -rf '%s' && mkdir '%s'", out, out);
	int rc = worktree_rev(dir, rev, out, s, err, errlen);
	cr_assert_eq(rc == 0, *s != NULL);
	free(dir);
	free(out);
	return rc;
}

static char *out_text(const char *rel)
{
	char *p = xasprintf("%s/out/%s", root, rel), *text = NULL;
	size_t len;
	cr_assert_eq(read_file(&text, &len, p, 1 << 20), 0, "%s", p);
	free(p);
	return text;
}

Test(worktree, revisions, .init = make_root, .fini = remove_root)
{
	struct grade_source *s = NULL;
	char err[512] = "";
	cr_assert_eq(rev_of("repo", "HEAD~1", &s, err, sizeof(err)), 0, "%s", err);
	char *x = out_text("a/x.py");
	cr_assert_str_eq(x, "one\n", "the older content");
	free(x);
	cr_assert_null(s->branch, "HEAD~1 names no branch");
	cr_assert_not(s->worktree);
	cr_assert_str_eq(s->commit_time, "2026-01-02T10:00:00+01:00");
	drop(&s);
	const char *branches[][2] = { { "main", "main" }, { "HEAD", "main" }, { "v2", NULL } };
	for (size_t i = 0; i < ARRAY_SIZE(branches); i++) {
		cr_assert_eq(rev_of("repo/a", branches[i][0], &s, err, sizeof(err)), 0, "%s", err);
		x = out_text("a/x.py");
		cr_assert_str_eq(x, "two\n");
		free(x);
		if (branches[i][1])
			cr_assert_str_eq(s->branch, branches[i][1], "%s", branches[i][0]);
		else
			cr_assert_null(s->branch, "a tag is no branch");
		drop(&s);
	}
	run_sh("git clone -q --bare '%s/repo' '%s/bare.git'", root, root);
	cr_assert_eq(rev_of("bare.git", "main~1", &s, err, sizeof(err)), 0, "%s", err);
	drop(&s);
}

Test(worktree, revisions_that_cannot_be_graded, .init = make_root, .fini = remove_root)
{
	struct grade_source *s = NULL;
	char err[512] = "";
	cr_assert_eq(rev_of("repo", "no-such-branch", &s, err, sizeof(err)), -1);
	cr_assert(strstr(err, "unknown revision 'no-such-branch' in '"), "%s", err);
	cr_assert_eq(rev_of("repo", "HEAD~9", &s, err, sizeof(err)), -1);
	cr_assert(strstr(err, "unknown revision 'HEAD~9'"), "%s", err);
	cr_assert_eq(rev_of("repo", "HEAD:a/x.py", &s, err, sizeof(err)), -1);
	cr_assert(strstr(err, "is not a commit"), "%s", err);
	cr_assert_eq(rev_of("plain", "HEAD", &s, err, sizeof(err)), -1);
	cr_assert(strstr(err, "is not in a git repository"), "%s", err);
}

Test(worktree, refused_entries_become_notes, .init = make_root, .fini = remove_root)
{
	struct grade_source *s = NULL;
	char err[512] = "";
	IN_REPO("ln -s /etc/passwd a/pw && git add a/pw && git commit -qm link");
	cr_assert_eq(rev_of("repo", "HEAD", &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(s->n_notes, 1);
	cr_assert_str_eq(s->notes[0], "not graded: a/pw: a symbolic link to '/etc/passwd', outside the submission");
	drop(&s);
}
