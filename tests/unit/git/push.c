/*
 * The push time a CI job is told (git/push.h): GitHub's push event
 * payload and GitLab's pipeline variables, only for a push of the very
 * commit graded.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "git/push.h"

#define COMMIT "0123456789abcdef0123456789abcdef01234567"

static char event[64];

static void clear_ci(void)
{
	const char *vars[] = { "GITHUB_ACTIONS", "GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH", "GITLAB_CI",
			       "CI_PIPELINE_SOURCE", "CI_COMMIT_SHA", "CI_PIPELINE_CREATED_AT" };
	for (size_t i = 0; i < sizeof(vars) / sizeof(*vars); i++)
		unsetenv(vars[i]);
	snprintf(event, sizeof(event), "/tmp/grade-push-XXXXXX");
	int fd = mkstemp(event);
	cr_assert_geq(fd, 0);
	close(fd);
}

static void remove_event(void)
{
	unlink(event);
}

static void write_event(const char *json)
{
	FILE *f = fopen(event, "w");
	cr_assert_not_null(f);
	fputs(json, f);
	fclose(f);
}

static void github_push(void)
{
	setenv("GITHUB_ACTIONS", "true", 1);
	setenv("GITHUB_EVENT_NAME", "push", 1);
	setenv("GITHUB_EVENT_PATH", event, 1);
}

TestSuite(push, .init = clear_ci, .fini = remove_event);

Test(push, github_push_of_this_commit)
{
	github_push();
	/* A push event's pushed_at is seconds since the epoch. */
	write_event("{\"after\": \"" COMMIT "\", \"repository\": {\"pushed_at\": 1767519000},"
		    " \"head_commit\": {\"timestamp\": \"2020-01-01T00:00:00Z\"}}");
	struct push_time p;
	char err[256] = "";
	cr_assert_eq(push_time_of(COMMIT, &p, err, sizeof(err)), 1, "%s", err);
	cr_assert_str_eq(p.at, "2026-01-04T09:30:00.000Z", "the push time, not the commit's timestamp");
	cr_assert_str_eq(p.by, "GitHub push event");
	push_time_release(&p);
	/* Other events carry it as ISO 8601; the id's case does not matter. */
	write_event("{\"after\": \"0123456789ABCDEF0123456789ABCDEF01234567\","
		    " \"repository\": {\"pushed_at\": \"2026-01-04T10:30:00+01:00\"}}");
	cr_assert_eq(push_time_of(COMMIT, &p, err, sizeof(err)), 1, "%s", err);
	cr_assert_str_eq(p.at, "2026-01-04T09:30:00.000Z");
	push_time_release(&p);
}

Test(push, github_other_commit_or_event_gives_none)
{
	github_push();
	write_event("{\"after\": \"ffffffffffffffffffffffffffffffffffffffff\", \"repository\": {\"pushed_at\": 1}}");
	struct push_time p;
	char err[256] = "";
	cr_assert_eq(push_time_of(COMMIT, &p, err, sizeof(err)), 0, "a push of another commit");
	cr_assert_null(p.at);
	setenv("GITHUB_EVENT_NAME", "pull_request", 1);
	write_event("{\"after\": \"" COMMIT "\", \"repository\": {\"pushed_at\": 1}}");
	cr_assert_eq(push_time_of(COMMIT, &p, err, sizeof(err)), 0, "a pull request is not a push");
	setenv("GITHUB_EVENT_NAME", "push", 1);
	unsetenv("GITHUB_ACTIONS");
	cr_assert_eq(push_time_of(COMMIT, &p, err, sizeof(err)), 0, "not on GitHub Actions");
	cr_assert_eq(push_time_of(NULL, &p, err, sizeof(err)), 0, "no commit yet");
}

Test(push, github_unreadable_payload_says_why)
{
	github_push();
	struct push_time p;
	char err[256] = "";
	write_event("{not json");
	cr_assert_eq(push_time_of(COMMIT, &p, err, sizeof(err)), -1);
	cr_assert(strstr(err, "cannot read the push event") && strstr(err, event), "%s", err);
	write_event("{\"after\": \"" COMMIT "\", \"repository\": {}}");
	cr_assert_eq(push_time_of(COMMIT, &p, err, sizeof(err)), -1);
	cr_assert(strstr(err, "repository.pushed_at"), "%s", err);
	write_event("{\"after\": \"" COMMIT "\", \"repository\": {\"pushed_at\": \"yesterday\"}}");
	cr_assert_eq(push_time_of(COMMIT, &p, err, sizeof(err)), -1);
	cr_assert(strstr(err, "ISO 8601"), "%s", err);
	unsetenv("GITHUB_EVENT_PATH");
	cr_assert_eq(push_time_of(COMMIT, &p, err, sizeof(err)), -1);
	cr_assert(strstr(err, "GITHUB_EVENT_PATH"), "%s", err);
}

Test(push, gitlab_push_pipeline)
{
	setenv("GITLAB_CI", "true", 1);
	setenv("CI_PIPELINE_SOURCE", "push", 1);
	setenv("CI_COMMIT_SHA", COMMIT, 1);
	setenv("CI_PIPELINE_CREATED_AT", "2026-01-04T09:30:00Z", 1);
	struct push_time p;
	char err[256] = "";
	cr_assert_eq(push_time_of(COMMIT, &p, err, sizeof(err)), 1, "%s", err);
	cr_assert_str_eq(p.at, "2026-01-04T09:30:00.000Z");
	cr_assert_str_eq(p.by, "GitLab push pipeline");
	push_time_release(&p);
	setenv("CI_COMMIT_SHA", "ffffffffffffffffffffffffffffffffffffffff", 1);
	cr_assert_eq(push_time_of(COMMIT, &p, err, sizeof(err)), 0, "another commit's pipeline");
	setenv("CI_COMMIT_SHA", COMMIT, 1);
	setenv("CI_PIPELINE_SOURCE", "schedule", 1);
	cr_assert_eq(push_time_of(COMMIT, &p, err, sizeof(err)), 0, "a scheduled pipeline is no push");
	setenv("CI_PIPELINE_SOURCE", "push", 1);
	setenv("CI_PIPELINE_CREATED_AT", "soon", 1);
	cr_assert_eq(push_time_of(COMMIT, &p, err, sizeof(err)), -1);
	cr_assert(strstr(err, "CI_PIPELINE_CREATED_AT"), "%s", err);
}
