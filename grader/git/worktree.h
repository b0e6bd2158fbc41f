/*
 * worktree.h - `grade DIR` on a git repository, through libgit2: what the
 * work tree DIR is in holds (the commit, the branch, whether it is dirty),
 * or, for `grade --rev REV DIR`, one of its revisions read from the
 * object database into a directory (tree.h: no checkout, what grading must
 * not see refused and listed).
 *
 * The repository is found from DIR upwards as git finds it, stopping at
 * the directories of GIT_CEILING_DIRECTORIES (git's own variable: the
 * test suite sets it so that the corpus inside grade's checkout stays a
 * plain folder).  No other variable of git's is read, so that every DIR of
 * a run is looked up alike.  Each source is new, for grade_result.source
 * (control/result.h): the caller releases it with grade_source_free().
 */
#ifndef GRADE_GIT_WORKTREE_H
#define GRADE_GIT_WORKTREE_H

#include <stddef.h>

#include "control/result.h"

/* When 'dir' holds files of a git work tree: 1, with *out its source
 * (repo: DIR as given when it is the work tree's top, else the top's path;
 * branch, NULL when HEAD is detached; commit and commit_time, NULL on a
 * branch with no commit yet; worktree true; dirty: changes to tracked
 * files or untracked files that are not ignored, under 'dir' only).
 * 0 when it does not (no repository, a bare one, or a directory the
 * repository tracks nothing in), -1 when the repository cannot be read
 * (the message in err: grading goes on without a source). */
int worktree_source(const char *dir, struct grade_source **out, char *err, size_t errlen);

/* Writes revision 'rev' (anything git rev-parse takes: a commit id, a
 * branch, a tag, HEAD~2) of the repository at or above 'dir' into 'dest',
 * an existing empty directory: 0 with *out its source (repo: 'dir' as
 * given; branch when rev names one, HEAD too; commit, commit_time;
 * worktree false; each entry tree_extract() refused as a note
 * "not graded: PATH: REASON"), or -1 with the message in err (not a
 * repository, an unknown revision, not a commit, a tree too large to
 * grade; dest then holds anything and is the caller's to remove). */
int worktree_rev(const char *dir, const char *rev, const char *dest, struct grade_source **out, char *err,
		 size_t errlen);

#endif
