/*
 * worktree.c - a work tree's state, or one of its revisions (worktree.h).
 */
#include "git/worktree.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "base/error.h"
#include "base/util.h"
#include "git/due.h"
#include "git/repo.h"
#include "git/tree.h"

static int open_repo(git_repository **repo, const char *dir)
{
	repo_library_init();
	/* git's ceiling, read here rather than through
	 * GIT_REPOSITORY_OPEN_FROM_ENV, which would also let GIT_DIR
	 * replace 'dir' for every DIR of the run. */
	return git_repository_open_ext(repo, dir, 0, getenv("GIT_CEILING_DIRECTORIES"));
}

/* The commit's id and committer date into s. */
static void set_commit(struct grade_source *s, const git_commit *c)
{
	char hex[GIT_OID_HEXSZ + 1], when[32];
	git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
	due_format_time((int64_t)git_commit_time(c), git_commit_time_offset(c), when);
	s->commit = xstrdup(hex);
	s->commit_time = xstrdup(when);
}

/* The branch a reference names, HEAD's included ("main"), or NULL. */
static char *branch_of(git_reference *ref)
{
	git_reference *resolved = NULL;
	char *name = NULL;
	if (git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC && git_reference_resolve(&resolved, ref) == 0)
		ref = resolved;
	if (git_reference_is_branch(ref) || git_reference_is_remote(ref))
		name = xstrdup(git_reference_shorthand(ref));
	git_reference_free(resolved);
	return name;
}

/* HEAD: its branch and commit into s; an unborn branch has a name and
 * no commit.  Returns 0 or -1. */
static int read_head(git_repository *repo, struct grade_source *s, char *err, size_t errlen)
{
	git_reference *head = NULL, *sym = NULL;
	git_commit *c = NULL;
	int rc = -1;
	int e = git_repository_head(&head, repo);
	if (e == GIT_EUNBORNBRANCH) {
		if (git_reference_lookup(&sym, repo, "HEAD") < 0) {
			repo_fail(err, errlen, "%s", "cannot read HEAD");
			goto done;
		}
		const char *target = git_reference_symbolic_target(sym);
		if (target && !strncmp(target, "refs/heads/", 11))
			s->branch = xstrdup(target + 11);
		rc = 0;
		goto done;
	}
	if (e < 0 || git_reference_peel((git_object **)&c, head, GIT_OBJECT_COMMIT) < 0) {
		repo_fail(err, errlen, "%s", "cannot read HEAD");
		goto done;
	}
	s->branch = branch_of(head);
	set_commit(s, c);
	rc = 0;
done:
	git_commit_free(c);
	git_reference_free(sym);
	git_reference_free(head);
	return rc;
}

static bool under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	return !n || (!strncmp(path, prefix, n) && (path[n] == '/' || !path[n]));
}

/* Whether the work tree has changes under 'prefix' (relative to its top,
 * "" for all of it): staged or not, or untracked files not ignored.
 * Returns 1, 0 or -1. */
static int is_dirty(git_repository *repo, const char *prefix, char *err, size_t errlen)
{
	git_status_options so;
	git_status_list *list = NULL;
	char *spec = (char *)prefix;
	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
	so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	/* Untracked directories are listed once, not walked: one is enough. */
	so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_EXCLUDE_SUBMODULES |
		   GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH;
	/* The pathspec only narrows the walk (a name with wildcards is not
	 * matched literally by every libgit2); the entries are checked below. */
	if (*prefix && !strpbrk(prefix, "*?[\\")) {
		so.pathspec.strings = &spec;
		so.pathspec.count = 1;
	}
	if (git_status_list_new(&list, repo, &so) < 0)
		return repo_fail(err, errlen, "%s", "cannot read the work tree's status");
	int dirty = 0;
	size_t n = git_status_list_entrycount(list);
	for (size_t i = 0; i < n && !dirty; i++) {
		const git_status_entry *e = git_status_byindex(list, i);
		if (e->status == GIT_STATUS_CURRENT || (e->status & GIT_STATUS_IGNORED))
			continue;
		const git_diff_delta *d = e->index_to_workdir ? e->index_to_workdir : e->head_to_index;
		if (d && ((d->new_file.path && under(d->new_file.path, prefix)) ||
			  (d->old_file.path && under(d->old_file.path, prefix))))
			dirty = 1;
	}
	git_status_list_free(list);
	return dirty;
}

/* Whether the index tracks anything under 'prefix' ("" : the whole tree,
 * always). */
static int tracks(git_repository *repo, const char *prefix, char *err, size_t errlen)
{
	if (!*prefix)
		return 1;
	git_index *index = NULL;
	if (git_repository_index(&index, repo) < 0)
		return repo_fail(err, errlen, "%s", "cannot read the index");
	char *dir = xasprintf("%s/", prefix);
	size_t pos;
	int found = git_index_find_prefix(&pos, index, dir) == 0;
	free(dir);
	git_index_free(index);
	return found;
}

int worktree_source(const char *dir, struct grade_source **out, char *err, size_t errlen)
{
	git_repository *repo = NULL;
	struct grade_source *s = NULL;
	char abs_dir[PATH_MAX], abs_top[PATH_MAX];
	int rc = -1;
	*out = NULL;
	int e = open_repo(&repo, dir);
	if (e == GIT_ENOTFOUND) {
		rc = 0;
		goto done;
	}
	if (e < 0) {
		repo_fail(err, errlen, "cannot open the git repository of '%s'", dir);
		goto done;
	}
	const char *top = git_repository_workdir(repo);
	if (!top) {
		rc = 0;   /* a bare repository has no files to grade here */
		goto done;
	}
	if (!realpath(dir, abs_dir) || !realpath(top, abs_top)) {
		fail_errno(err, errlen, errno, "cannot resolve '%s'", dir);
		goto done;
	}
	size_t n = strlen(abs_top);
	bool root = !strcmp(abs_top, "/");
	if (!root && (strncmp(abs_dir, abs_top, n) || (abs_dir[n] != '/' && abs_dir[n]))) {
		rc = 0;   /* inside the repository's own directory, not its work tree */
		goto done;
	}
	const char *prefix = !strcmp(abs_dir, abs_top) ? "" : abs_dir + (root ? 1 : n + 1);
	/* A folder the repository tracks nothing in (an ignored directory of
	 * submissions in a course's repository) is not its files. */
	int t = tracks(repo, prefix, err, errlen);
	if (t <= 0) {
		rc = t;
		goto done;
	}
	s = xcalloc(1, sizeof(*s));
	s->repo = xstrdup(*prefix ? abs_top : dir);
	s->worktree = true;
	if (read_head(repo, s, err, errlen) < 0)
		goto done;
	int dirty = is_dirty(repo, prefix, err, errlen);
	if (dirty < 0)
		goto done;
	s->dirty = dirty;
	*out = s;
	s = NULL;
	rc = 1;
done:
	grade_source_free(s);
	git_repository_free(repo);
	return rc;
}

int worktree_rev(const char *dir, const char *rev, const char *dest, struct grade_source **out, char *err,
		 size_t errlen)
{
	git_repository *repo = NULL;
	git_object *obj = NULL;
	git_reference *ref = NULL;
	git_commit *c = NULL;
	struct tree_extract tx = TREE_EXTRACT_INIT;
	struct grade_source *s = NULL;
	int rc = -1;
	*out = NULL;
	int e = open_repo(&repo, dir);
	if (e == GIT_ENOTFOUND) {
		fail(err, errlen, "'%s' is not in a git repository (--rev needs one)", dir);
		goto done;
	}
	if (e < 0) {
		repo_fail(err, errlen, "cannot open the git repository of '%s'", dir);
		goto done;
	}
	e = git_revparse_ext(&obj, &ref, repo, rev);
	if (e == GIT_ENOTFOUND || e == GIT_EINVALIDSPEC || e == GIT_EAMBIGUOUS) {
		fail(err, errlen, "%s revision '%s' in '%s'", e == GIT_EAMBIGUOUS ? "ambiguous" : "unknown", rev, dir);
		goto done;
	}
	if (e < 0) {
		repo_fail(err, errlen, "cannot read revision '%s' in '%s'", rev, dir);
		goto done;
	}
	if (git_object_peel((git_object **)&c, obj, GIT_OBJECT_COMMIT) < 0) {
		fail(err, errlen, "revision '%s' in '%s' is not a commit", rev, dir);
		goto done;
	}
	if (tree_extract(repo, git_commit_id(c), dest, &tx, err, errlen) < 0)
		goto done;
	s = xcalloc(1, sizeof(*s));
	s->repo = xstrdup(dir);
	s->branch = ref ? branch_of(ref) : NULL;
	set_commit(s, c);
	s->notes = xcalloc(tx.n_refused ? tx.n_refused : 1, sizeof(*s->notes));
	for (size_t i = 0; i < tx.n_refused; i++)
		s->notes[s->n_notes++] = xasprintf("not graded: %s: %s", tx.refused[i].path, tx.refused[i].reason);
	*out = s;
	s = NULL;
	rc = 0;
done:
	grade_source_free(s);
	tree_extract_release(&tx);
	git_commit_free(c);
	git_reference_free(ref);
	git_object_free(obj);
	git_repository_free(repo);
	return rc;
}
