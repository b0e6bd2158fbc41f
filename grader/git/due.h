/*
 * due.h - deadlines: the commit that was due, the evidence of when it
 * existed, and the late policy (docs/deadlines.md).
 *
 * A committer date is written by the student, so due_pick() can decide on
 * one of three times (enum due_source) and flags what contradicts the
 * others: a commit dated after grade first fetched it, dates that go
 * backwards along history, a commit dated before the deadline that a fetch
 * before the deadline did not see.
 */
#ifndef GRADE_GIT_DUE_H
#define GRADE_GIT_DUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <git2.h>

/* ISO 8601 with a zone ("2026-12-01T23:59:00+01:00", "...Z", seconds
 * optional) into Unix seconds.  Returns 0, or -1 with a message. */
int due_parse_time(const char *text, int64_t *out, char *err, size_t errlen);
/* Unix seconds at a zone offset (minutes east of UTC) as ISO 8601. */
void due_format_time(int64_t t, int offset_minutes, char out[32]);
/* The same in UTC with milliseconds, as the gradebook's times. */
void due_format_utc(double t, char out[32]);

/* --late-policy: "none", or clauses such as "penalty 10%/day up to 3
 * days", "grace 15 min, then 20% per started day, 0 after 5 days". */
struct late_policy {
	bool accepts_late;        /* false for "none": a late commit counts nothing */
	double grace;             /* seconds after the deadline that are not late */
	double percent_per_day;   /* of the attempt's score, per started day late */
	double cap_days;          /* "up to N days": the penalty stops growing (0: no cap) */
	double zero_after_days;   /* "0 after N days": later counts nothing (0: never) */
};

int late_policy_parse(const char *text, struct late_policy *out, char *err, size_t errlen);
/* The policy back as text, for reports and the gradebook. */
void late_policy_describe(const struct late_policy *p, char *out, size_t len);

/* Lateness 'seconds_late' (evidence minus deadline; <= 0: on time): the
 * fraction of the score kept (0..1) and the started days charged. */
double late_factor(const struct late_policy *p, double seconds_late, double *days_charged);

enum due_source { DUE_COMMITTER, DUE_FETCHED, DUE_PUSHED };
/* "committer", "fetched" or "pushed"; -1 for anything else. */
int due_source_parse(const char *text);
const char *due_source_name(enum due_source s);

/* What grade knows of when commits existed, besides their dates: each
 * callback answers 1 with the time, or 0 when unknown. */
struct due_evidence {
	int (*fetched)(void *ctx, const git_oid *commit, double *when);
	int (*pushed)(void *ctx, const git_oid *commit, double *when);
	void *ctx;
	double prior_fetch;   /* grade's latest fetch of this repository at or before the deadline (0: none) */
};

struct due_commit {
	git_oid id;
	git_oid tree;          /* its tree */
	int64_t commit_time;   /* the committer date */
	int commit_offset;     /* its zone, minutes east of UTC */
	double fetched;        /* first fetched by grade (0: unknown) */
	double pushed;         /* pushed (0: unknown) */
	double decided;        /* the time the source chose (the committer date, or the evidence) */
};

#define DUE_MAX_FLAGS 8

struct due_pick {
	bool has_due;          /* a commit on time (or the tip, without a deadline) */
	struct due_commit due;
	bool has_late;         /* a later commit at the branch's tip */
	struct due_commit late;
	char *flags[DUE_MAX_FLAGS];   /* forgeries and doubts, for people */
	size_t n_flags;
};

/* Walks the first-parent history from 'tip' (newest first): without a
 * deadline the tip is due; with one, the due commit is the newest whose
 * decided time is <= deadline, and the tip, when it is another commit, is
 * the late one.  A decided time is the source's, or, when the source does
 * not know the commit (pushed), the time it was fetched; along history a
 * commit's evidence is at most that of the newer commits containing it.
 * Returns 0 (release with due_pick_release), or -1 with a message. */
int due_pick(git_repository *repo, const git_oid *tip, bool has_deadline, int64_t deadline, enum due_source source,
	     const struct due_evidence *ev, struct due_pick *out, char *err, size_t errlen);
void due_pick_release(struct due_pick *p);

#endif
