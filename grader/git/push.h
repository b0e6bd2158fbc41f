/*
 * push.h - when the commit being graded was pushed, as the CI job that
 * grades it was told (docs/deadlines.md, "Which time decides").
 *
 * A committer date is the student's to write; the time a push reached
 * the hosting platform is not.  A CI job started by that push is told it:
 *
 *   GitHub Actions   GITHUB_EVENT_NAME=push and the event payload at
 *                    GITHUB_EVENT_PATH: "after" is the pushed commit,
 *                    "repository"."pushed_at" the push time (seconds since
 *                    the epoch in push events, ISO 8601 in others);
 *   GitLab CI        CI_PIPELINE_SOURCE=push: CI_COMMIT_SHA is the pushed
 *                    commit, CI_PIPELINE_CREATED_AT (ISO 8601) when the
 *                    push created the pipeline.
 *
 * Only a push of the very commit graded counts: a job that grades another
 * commit, a pull request, a schedule or a manual run gives no push time.
 * The time is as trustworthy as the workflow that runs grade: a student
 * who may edit it may set these variables (docs/deadlines.md).
 */
#ifndef GRADE_GIT_PUSH_H
#define GRADE_GIT_PUSH_H

#include <stddef.h>

struct push_time {
	char *at;      /* ISO 8601 UTC (new) */
	char *by;      /* what said so: "GitHub push event", "GitLab push pipeline" (static) */
};

/* When the environment is a CI job of a push of 'commit' (full hex id):
 * 1 with *out filled (release with push_time_release), 0 when it is not
 * (no CI, another event, another commit), -1 when it says it is but its
 * payload cannot be read (the message in err; grading goes on without). */
int push_time_of(const char *commit, struct push_time *out, char *err, size_t errlen);
void push_time_release(struct push_time *p);

#endif
