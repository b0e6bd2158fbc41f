/*
 * A commit's tree into a directory (git/tree.h), on repositories built
 * here with git's plumbing in a temporary directory: a normal tree with
 * subdirectories and an executable; links out of the tree (absolute, and
 * relative with ../..) refused and one inside written; a submodule (a
 * gitlink entry); a 100 MB file; a tree of 100,000 entries (refused at
 * once, nothing written); names git refuses on a checkout.  tree_check()
 * refuses what tree_extract() does.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "base/util.h"
#include "git/repo.h"
#include "git/tree.h"
#include "support/run.h"

TestSuite(tree, .timeout = 120);

static char root[64];

static void make_root(void)
{
	snprintf(root, sizeof(root), "/tmp/grade-tree-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	git_test_env(root);
	run_sh("cd '%s' && git init -q -b main repo && mkdir out", root);
	repo_library_init();
}

static void remove_root(void)
{
	run_sh("rm -rf '%s'", root);
}

/* Runs a shell line in the repository. */
#define IN_REPO(cmd) run_sh("cd '%s/repo' && " cmd, root)

/* The commit 'rev' names, with the repository open in *repo. */
static void resolve(git_repository **repo, const char *rev, git_oid *id)
{
	char *path = xasprintf("%s/repo", root);
	git_object *obj = NULL;
	cr_assert_eq(git_repository_open(repo, path), 0);
	cr_assert_eq(git_revparse_single(&obj, *repo, rev), 0, "%s", rev);
	git_oid_cpy(id, git_object_id(obj));
	git_object_free(obj);
	free(path);
}

static const char *reason_of(const struct tree_extract *t, const char *path)
{
	for (size_t i = 0; i < t->n_refused; i++)
		if (!strcmp(t->refused[i].path, path))
			return t->refused[i].reason;
	return NULL;
}

static bool exists_in_out(const char *rel)
{
	char *p = xasprintf("%s/out/%s", root, rel);
	struct stat st;
	bool yes = lstat(p, &st) == 0;
	free(p);
	return yes;
}

static char *out_file(const char *rel)
{
	char *p = xasprintf("%s/out/%s", root, rel), *text = NULL;
	size_t len;
	cr_assert_eq(read_file(&text, &len, p, 1 << 20), 0, "%s", p);
	free(p);
	return text;
}

/* Extracts HEAD into out/ and checks tree_check() agrees on the refusals. */
static void extract_head(struct tree_extract *t)
{
	git_repository *repo = NULL;
	git_oid id;
	char err[512] = "";
	struct tree_extract check = TREE_EXTRACT_INIT;
	char *out = xasprintf("%s/out", root);
	resolve(&repo, "HEAD", &id);
	cr_assert_eq(tree_check(repo, &id, &check, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(tree_extract(repo, &id, out, t, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(check.n_refused, t->n_refused, "tree_check and tree_extract refuse alike");
	for (size_t i = 0; i < t->n_refused; i++)
		cr_assert_str_eq(check.refused[i].path, t->refused[i].path);
	tree_extract_release(&check);
	git_repository_free(repo);
	free(out);
}

Test(tree, subdirectories_and_an_executable, .init = make_root, .fini = remove_root)
{
	IN_REPO("mkdir -p pkg/sub && echo 'x = 1' > top.py && echo 'y = 2' > pkg/sub/deep.py && "
		"printf '#!/bin/sh\\n' > pkg/run.sh && chmod 755 pkg/run.sh && git add . && git commit -qm one");
	struct tree_extract t = TREE_EXTRACT_INIT;
	extract_head(&t);
	cr_assert_eq(t.n_refused, 0);
	cr_assert_eq(t.files, 3);
	char *deep = out_file("pkg/sub/deep.py");
	cr_assert_str_eq(deep, "y = 2\n");
	free(deep);
	struct stat st;
	char *run = xasprintf("%s/out/pkg/run.sh", root), *top = xasprintf("%s/out/top.py", root);
	cr_assert_eq(stat(run, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0755, "the executable keeps its mode");
	cr_assert_eq(stat(top, &st), 0);
	cr_assert_eq(st.st_mode & 0111, 0, "a plain file is not executable");
	free(run);
	free(top);
	tree_extract_release(&t);
}

Test(tree, links_out_of_the_tree_are_refused, .init = make_root, .fini = remove_root)
{
	IN_REPO("mkdir sub && echo data > sub/file && ln -s /etc/passwd passwd && ln -s ../../etc/passwd up && "
		"ln -s ../../passwd sub/up2 && ln -s sub/file inside && ln -s ../sub/file sub/self && "
		"git add . && git commit -qm links");
	struct tree_extract t = TREE_EXTRACT_INIT;
	extract_head(&t);
	cr_assert_eq(t.n_refused, 3, "refused %zu", t.n_refused);
	const char *why = reason_of(&t, "passwd");
	cr_assert(why && strstr(why, "'/etc/passwd'") && strstr(why, "outside"), "%s", why ? why : "(none)");
	cr_assert(reason_of(&t, "up") && strstr(reason_of(&t, "up"), "'../../etc/passwd'"));
	cr_assert_not_null(reason_of(&t, "sub/up2"));
	cr_assert_not(exists_in_out("passwd"), "nothing is written for a refused link");
	cr_assert_not(exists_in_out("up"));
	cr_assert_not(exists_in_out("sub/up2"));
	char target[64] = "";
	char *inside = xasprintf("%s/out/inside", root);
	cr_assert_gt(readlink(inside, target, sizeof(target) - 1), 0, "a link inside the tree is written");
	cr_assert_str_eq(target, "sub/file");
	cr_assert(exists_in_out("sub/self"));
	free(inside);
	tree_extract_release(&t);
}

Test(tree, a_submodule_is_refused, .init = make_root, .fini = remove_root)
{
	IN_REPO("echo x > a.py && git add a.py && "
		"git update-index --add --cacheinfo 160000,0123456789abcdef0123456789abcdef01234567,sub && "
		"git commit -qm submodule");
	struct tree_extract t = TREE_EXTRACT_INIT;
	extract_head(&t);
	cr_assert_eq(t.n_refused, 1);
	cr_assert(strstr(reason_of(&t, "sub"), "submodule"), "%s", reason_of(&t, "sub"));
	cr_assert_not(exists_in_out("sub"));
	cr_assert(exists_in_out("a.py"));
	tree_extract_release(&t);
}

Test(tree, a_100_mb_file_is_refused_the_rest_written, .init = make_root, .fini = remove_root)
{
	IN_REPO("head -c 100M /dev/zero > big.bin && echo ok > small.py && git add . && git commit -qm big");
	struct tree_extract t = TREE_EXTRACT_INIT;
	extract_head(&t);
	cr_assert_eq(t.n_refused, 1);
	const char *why = reason_of(&t, "big.bin");
	cr_assert(why && strstr(why, "100.0 MiB") && strstr(why, "over the"), "%s", why ? why : "(none)");
	cr_assert_not(exists_in_out("big.bin"));
	cr_assert(exists_in_out("small.py"));
	cr_assert_eq(t.files, 1);
	tree_extract_release(&t);
}

Test(tree, a_tree_of_100000_entries_is_refused_at_once, .init = make_root, .fini = remove_root)
{
	/* One blob under 100,000 names: the index, the tree and the commit
	 * from plumbing, in a second or two. */
	IN_REPO("b=$(echo x | git hash-object -w --stdin) && "
		"seq 1 100000 | awk -v b=\"$b\" '{ printf \"100644 %%s 0\\tf%%06d.py\\n\", b, $1 }' | "
		"git update-index --index-info && git commit -qm many");
	git_repository *repo = NULL;
	git_oid id;
	char err[512] = "";
	struct tree_extract t = TREE_EXTRACT_INIT;
	char *out = xasprintf("%s/out", root);
	resolve(&repo, "HEAD", &id);
	double t0 = now_seconds();
	cr_assert_eq(tree_check(repo, &id, &t, err, sizeof(err)), -1);
	cr_assert(strstr(err, "more than 10000 entries"), "%s", err);
	tree_extract_release(&t);
	err[0] = '\0';
	cr_assert_eq(tree_extract(repo, &id, out, &t, err, sizeof(err)), -1);
	cr_assert(strstr(err, "more than 10000 entries"), "%s", err);
	cr_assert_lt(now_seconds() - t0, 10, "refused quickly");
	cr_assert_not(exists_in_out("f000001.py"), "nothing is written for a tree too large to grade");
	tree_extract_release(&t);
	git_repository_free(repo);
	free(out);
}

Test(tree, names_git_refuses, .init = make_root, .fini = remove_root)
{
	/* git mktree writes names a checkout would refuse; the commit holds
	 * them as a hostile repository would. */
	IN_REPO("b=$(echo x | git hash-object -w --stdin) && "
		"inner=$(printf '100644 blob %%s\\tconfig\\n' \"$b\" | git mktree) && "
		"tree=$(printf '100644 blob %%s\\t.GIT\\n040000 tree %%s\\t.git\\n100644 blob %%s\\tok.py\\n' "
		"\"$b\" \"$inner\" \"$b\" | git mktree) && c=$(git commit-tree -m names \"$tree\") && "
		"git update-ref refs/heads/main \"$c\"");
	struct tree_extract t = TREE_EXTRACT_INIT;
	extract_head(&t);
	cr_assert_eq(t.n_refused, 2, "refused %zu", t.n_refused);
	cr_assert(strstr(reason_of(&t, ".git"), "refuses"), "%s", reason_of(&t, ".git"));
	cr_assert(strstr(reason_of(&t, ".GIT"), "refuses"), "%s", reason_of(&t, ".GIT"));
	cr_assert_not(exists_in_out(".git"));
	cr_assert_not(exists_in_out(".GIT"));
	cr_assert(exists_in_out("ok.py"));
	tree_extract_release(&t);
}
