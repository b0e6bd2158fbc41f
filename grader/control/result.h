/*
 * result.h - what grading a submission produced.
 *
 * Results point at the rubric's checks and exercises (borrowed: the
 * rubric must outlive them) and own their strings.
 */
#ifndef GRADE_GRADE_RESULT_H
#define GRADE_GRADE_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include "kinds/result.h"
#include "rubric/rubric.h"
#include "sandbox/layers.h"

struct exercise_result {
	const struct exercise *exercise;   /* borrowed */
	struct check_result *checks;       /* one per rubric check, in order */
	size_t n_checks;
	double score;      /* bonus points included */
	double max_score;  /* bonus points never included */
	double bonus_score;  /* the part of 'score' that bonus checks gave (after weight and cap) */
	double bonus_max;    /* what the bonus checks could give (after weight and cap) */
	char *error;       /* why the exercise could not be graded at all, or NULL */
	int timeouts_waited;  /* check children that ran to their time limit */
};

/* Where the graded files came from when they are a git commit
 * (docs/deadlines.md); every string owned, NULL when not known. */
struct grade_source {
	char *repo;            /* the repository as the roster or the command line gives it */
	char *branch;          /* the branch graded, NULL for a revision or a detached HEAD */
	char *commit;          /* the commit's full hex id */
	char *commit_time;     /* its committer date, ISO 8601 in the committer's zone */
	bool worktree;         /* graded from a work tree's files (grade DIR), not from the commit */
	bool dirty;            /* that work tree had changes not committed */
	char *pushed_at;       /* when the CI job grading it was told the commit was pushed (git/push.h), ISO 8601 UTC */
	char *pushed_by;       /* what told it: "GitHub push event", "GitLab push pipeline" */
	/* With a deadline (grade batch --deadline): */
	char *deadline;        /* ISO 8601 */
	char *date_source;     /* "committer", "fetched" or "pushed" (due.h) */
	char *evidence_time;   /* the time that decided, ISO 8601 UTC */
	bool late;             /* this commit came after the deadline */
	double days_late;      /* (evidence - deadline) / 1 day, 0 when on time */
	double days_charged;   /* started days the late policy charged */
	double late_penalty;   /* points taken off this result's score */
	char *late_policy;     /* the policy in words */
	char **notes;          /* forgery flags and refused tree entries, for people */
	size_t n_notes;
};

/* A deep copy of s (new, release with grade_source_free). */
struct grade_source *grade_source_copy(const struct grade_source *s);
void grade_source_release(struct grade_source *s);
/* Releases and frees a source made by grade_source_copy or calloc (NULL: nothing). */
void grade_source_free(struct grade_source *s);

struct grade_result {
	struct grade_source *source;   /* NULL: a folder, not a commit */
	char *submission;
	char python[128];
	struct exercise_result *exercises;
	size_t n_exercises;
	double score;      /* the sum over exercises, bonus included */
	double max_score;  /* without bonus: score exceeds it only by bonus points */
	double bonus_score, bonus_max;
	double seconds;
	int timeouts_waited;  /* the exercises' sum */
	bool sandbox_known;              /* the caller filled 'sandbox' */
	struct sandbox_layers sandbox;   /* the isolation layers of this run's checks */
};

void grade_result_release(struct grade_result *g);

#endif
