/*
 * tree.h - a commit's files, read straight from a repository's object
 * database into a directory: no checkout, no working tree, no hooks, no
 * filters (no CRLF or LFS smudge), no attributes.
 *
 * Student repositories are hostile input, so the tree is checked entry by
 * entry and what grading must not see is refused, not written: a symbolic
 * link that is absolute or leaves the tree, a submodule (a gitlink), a
 * file over TREE_MAX_FILE_BYTES, a name git itself would refuse on a
 * checkout (".git", "..").  Each refusal is listed with its reason, for
 * the report; the rest of the tree is written.  A tree too large to grade
 * at all (more than TREE_MAX_ENTRIES entries, more than TREE_MAX_BYTES in
 * all, deeper than TREE_MAX_DEPTH) is an error: nothing is written.
 */
#ifndef GRADE_GIT_TREE_H
#define GRADE_GIT_TREE_H

#include <stddef.h>

#include <git2.h>

#define TREE_MAX_ENTRIES 10000
#define TREE_MAX_FILE_BYTES ((size_t)8 << 20)
#define TREE_MAX_BYTES ((size_t)64 << 20)
#define TREE_MAX_DEPTH 16

/* What was not written, and why ("a symbolic link to '/etc/passwd',
 * outside the tree"); owned by the struct. */
struct tree_refusal {
	char *path;
	char *reason;
};

struct tree_extract {
	struct tree_refusal *refused;
	size_t n_refused, alloc;
	size_t files;          /* regular files written */
	size_t bytes;          /* their bytes */
};

#define TREE_EXTRACT_INIT { NULL, 0, 0, 0, 0 }

/* Checks the tree of 'commit' without writing anything: the refusals it
 * would make (into *out), or -1 with a message in err when the tree cannot
 * be graded at all or cannot be read. */
int tree_check(git_repository *repo, const git_oid *commit, struct tree_extract *out, char *err, size_t errlen);

/* Writes the tree of 'commit' into 'dest', an existing empty directory
 * (files 0644 or 0755 as the tree says; directories 0755).  Returns 0 with
 * the refusals in *out, or -1 with a message in err (dest's contents are
 * then unspecified: remove it). */
int tree_extract(git_repository *repo, const git_oid *commit, const char *dest, struct tree_extract *out, char *err,
		 size_t errlen);

void tree_extract_release(struct tree_extract *t);

#endif
