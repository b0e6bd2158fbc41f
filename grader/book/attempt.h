/*
 * attempt.h - what to grade of a student whose submission is a git
 * repository: the commit that was due and, under a late policy, the later
 * one beside it (docs/deadlines.md).
 *
 * attempts_plan() fetches the repository into the clone cache, records
 * the evidence of the fetch in the gradebook (each commit's first
 * sighting, each branch's tip), picks the commits (git/due.h), flags what
 * contradicts the dates, and writes each commit's tree into a directory of
 * its own under 'scratch_root' for grading.  The late penalty needs the
 * score, so attempt_apply_penalty() completes the source after grading.
 */
#ifndef GRADE_BOOK_ATTEMPT_H
#define GRADE_BOOK_ATTEMPT_H

#include <stdbool.h>
#include <stdint.h>

#include "book/book.h"
#include "book/csv.h"
#include "book/hash.h"
#include "book/roster.h"
#include "control/result.h"
#include "git/due.h"
#include "git/fetch.h"

struct repo_options {
	const char *cache_dir;       /* the clone cache */
	const char *scratch_root;    /* where the trees are written (an existing directory) */
	const char *branch;          /* NULL: the remote's default branch */
	bool has_deadline;
	int64_t deadline;            /* the course's; a roster entry's 'deadline' overrides it */
	const char *deadline_text;   /* as given */
	enum due_source date_source;
	bool has_policy;             /* --late-policy given (default: none) */
	struct late_policy policy;
	const struct csv_table *pushed;   /* --pushed-at: student,commit,pushed_at rows (may be NULL) */
	size_t *stats;               /* [0] repositories cloned, [1] fetched (may be NULL) */
};

struct attempt {
	char *dir;                        /* the commit's files, under scratch_root (whose owner removes it) */
	char content[BOOK_HASH_HEX];      /* the key's submission part: commit, tree, refusals */
	char *key_extra;                  /* what else decides this result: the deadline, evidence, policy */
	struct grade_source source;       /* without the penalty, until attempt_apply_penalty */
	double seconds_late;              /* <= 0: on time */
};

/* Plans entry e: 0 with *n attempts (1 or 2, the due one first; 0 with
 * *missing set when there is nothing to grade: no commit before the
 * deadline, an empty repository, no such branch), or -1 with the reason
 * in err (the repository cannot be fetched or read: the student's error,
 * retried on the next run).  'fetched': the entry's fetch, already done
 * by fetch_all() (its mirror is opened, its outcome and time taken), or
 * NULL to fetch here. */
int attempts_plan(struct book *b, const struct roster_entry *e, const struct repo_options *o,
		  const struct fetch_job *fetched, struct attempt out[2], size_t *n, char **missing, char *err,
		  size_t errlen);

/* The URL a roster path is fetched from: a URL as it is, a local
 * repository by its absolute path (new string), or NULL with why in err. */
char *attempt_url(const char *path, char *err, size_t errlen);

/* Copies a's source into g (g->source allocated) and charges the late
 * policy on g's score. */
void attempt_apply_penalty(const struct attempt *a, const struct repo_options *o, struct grade_result *g);

void attempt_release(struct attempt *a);

#endif
