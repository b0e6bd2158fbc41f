/*
 * history.h - what changed between a student's two latest results in the
 * gradebook: the regrade diff that `grade batch` prints at its end, that
 * `grade export diff` prints later, and that the HTML overview shows
 * (docs/gradebook.md, "Regrade diff").
 *
 * A student's current result is their latest run item (the view
 * 'latest'); their previous one is the run item before it, in whichever
 * earlier run reached them.  A student is listed when the two differ in
 * score or in status (graded, error, missing); with the checks whose
 * status changed (a check only one of the two has counts as changed;
 * none are listed when one of the two is missing).
 */
#ifndef GRADE_BOOK_HISTORY_H
#define GRADE_BOOK_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "book/book.h"

struct book_check_change {
	char *exercise, *check;
	char *before, *after;      /* check statuses; NULL when that result has no such check */
};

struct book_change {
	char *student;
	char *before_status, *after_status;   /* "graded", "error" or "missing" */
	bool before_has_score, after_has_score;
	double before_score, after_score;     /* bonus included */
	double before_max, after_max;
	struct book_check_change *checks;     /* in rubric order */
	size_t n_checks;
};

struct book_changes {
	struct book_change *items;            /* by student */
	size_t n;
};

/* The changes of the students whose latest run item is in run 'run' (0:
 * every student's latest, whichever run it is in).  *out is the caller's
 * to release, also after an error. */
int book_load_changes(struct book *b, int64_t run, struct book_changes *out, char *err, size_t errlen);
void book_changes_release(struct book_changes *c);

/* The listing, for people, added to 'out':
 *
 *   score changes since the previous run (1 student):
 *     lee2  1 → 3 (+2)  refcount/secret fail → pass
 *
 * or a line saying that nothing changed. */
void book_changes_print(const struct book_changes *c, struct buf *out);

/* Loads the changes of 'run' (as book_load_changes) and prints them to
 * 'out': what `grade batch` says at its end (only when something changed,
 * 'always' false) and `grade export diff` (always). */
int book_diff_text(struct book *b, int64_t run, bool always, struct buf *out, char *err, size_t errlen);

#endif
