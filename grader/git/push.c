/*
 * push.c - the push time a CI job is told (push.h).
 */
#include "git/push.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/util.h"
#include "git/due.h"

static bool is(const char *name, const char *value)
{
	const char *v = getenv(name);
	return v && !strcmp(v, value);
}

/* An ISO 8601 time or seconds since the epoch as ISO 8601 UTC into out. */
static int utc_of(const json_t *v, char out[32], char *err, size_t errlen)
{
	int64_t t;
	if (json_is_integer(v)) {
		t = (int64_t)json_integer_value(v);
	} else if (json_is_string(v)) {
		if (due_parse_time(json_string_value(v), &t, err, errlen) < 0)
			return -1;
	} else {
		return fail(err, errlen, "no push time in it (repository.pushed_at)");
	}
	due_format_utc((double)t, out);
	return 0;
}

static int github(const char *commit, struct push_time *out, char *err, size_t errlen)
{
	const char *path = getenv("GITHUB_EVENT_PATH");
	json_error_t jerr;
	char when[32];
	int rc = -1;
	if (!path || !*path)
		return fail(err, errlen, "GITHUB_EVENT_NAME is push but GITHUB_EVENT_PATH is not set");
	json_t *event = json_load_file(path, 0, &jerr);
	if (!event) {
		fail(err, errlen, "cannot read the push event %s: %s", path, jerr.text);
		goto done;
	}
	const char *after = json_string_value(json_object_get(event, "after"));
	if (!after || strcasecmp(after, commit)) {
		rc = 0;   /* a push of another commit: not this one's time */
		goto done;
	}
	if (utc_of(json_object_get(json_object_get(event, "repository"), "pushed_at"), when, err, errlen) < 0) {
		char why[256];
		snprintf(why, sizeof(why), "%s", err);
		fail(err, errlen, "the push event %s: %s", path, why);
		goto done;
	}
	out->at = xstrdup(when);
	out->by = "GitHub push event";
	rc = 1;
done:
	json_decref(event);
	return rc;
}

static int gitlab(const char *commit, struct push_time *out, char *err, size_t errlen)
{
	const char *sha = getenv("CI_COMMIT_SHA"), *created = getenv("CI_PIPELINE_CREATED_AT");
	int64_t t;
	char when[32], why[256];
	if (!sha || strcasecmp(sha, commit))
		return 0;
	if (!created || !*created)
		return fail(err, errlen, "CI_PIPELINE_SOURCE is push but CI_PIPELINE_CREATED_AT is not set");
	if (due_parse_time(created, &t, why, sizeof(why)) < 0)
		return fail(err, errlen, "CI_PIPELINE_CREATED_AT: %s", why);
	due_format_utc((double)t, when);
	out->at = xstrdup(when);
	out->by = "GitLab push pipeline";
	return 1;
}

int push_time_of(const char *commit, struct push_time *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (!commit)
		return 0;
	if (is("GITHUB_ACTIONS", "true") && is("GITHUB_EVENT_NAME", "push"))
		return github(commit, out, err, errlen);
	if (is("GITLAB_CI", "true") && is("CI_PIPELINE_SOURCE", "push"))
		return gitlab(commit, out, err, errlen);
	return 0;
}

void push_time_release(struct push_time *p)
{
	free(p->at);
	memset(p, 0, sizeof(*p));
}
