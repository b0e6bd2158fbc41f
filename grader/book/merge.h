/*
 * merge.h - one gradebook from several (the shards of a class, copies made
 * on other machines), with every run's history kept.
 *
 * Rows are matched on what they are, never on their ids (which each book
 * numbered for itself):
 *   a run          by (started_at, command, rubric_hash, grader, python, total);
 *   a submission   by (student, graded_at, status, key, path);
 *   a run item     by (its run, student, its submission);
 *   a student      by id.
 * The output is built afresh, in a fixed order (runs by started_at, then
 * submissions by graded_at), so the result does not depend on the order of
 * the inputs and merging again, or merging overlapping books, changes
 * nothing.  Conflicts (docs/gradebook.md, "Merging"): of two copies of a
 * run, the one that finished wins (a copy taken while it ran has no end);
 * a student's name and email are the first non-empty ones; a student's
 * current result (the view latest) is that of the latest-started run that
 * reached them.
 */
#ifndef GRADE_BOOK_MERGE_H
#define GRADE_BOOK_MERGE_H

#include <stddef.h>

struct book_merge_stats {
	size_t runs, submissions, students;   /* rows in the merged book */
	size_t duplicates;                    /* input submissions already there from another input */
};

/* Merges the gradebooks inputs[0..n) into a new one at out_path (written
 * beside it and renamed over it once complete; when out_path exists it is
 * one more input).  Inputs are only read.  Returns 0, or -1 with a reason
 * in err. */
int book_merge(const char *out_path, const char *const *inputs, size_t n, struct book_merge_stats *stats, char *err,
	       size_t errlen);

#endif
