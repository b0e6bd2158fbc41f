/*
 * due.c - deadlines, evidence and the late policy (due.h).
 */
#include "git/due.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/error.h"
#include "base/util.h"
#include "git/repo.h"

#define DAY 86400.0
#define MAX_HISTORY 200000   /* commits walked at most */
#define CLOCK_SKEW 300.0     /* a committer's clock may be this far ahead */

static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return 0;
}

int due_parse_time(const char *text, int64_t *out, char *err, size_t errlen)
{
	const char *p = text;
	struct tm tm = { 0 };
	int y, mo, d, h, mi, s = 0, oh = 0, om = 0, sign = 1;
	if (digits(&p, 4, &y) < 0 || *p++ != '-' || digits(&p, 2, &mo) < 0 || *p++ != '-' || digits(&p, 2, &d) < 0 ||
	    (*p != 'T' && *p != 't' && *p != ' ') || (p++, digits(&p, 2, &h)) < 0 || *p++ != ':' ||
	    digits(&p, 2, &mi) < 0)
		goto bad;
	if (*p == ':') {
		p++;
		if (digits(&p, 2, &s) < 0)
			goto bad;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh) < 0)
			goto bad;
		if (*p == ':')
			p++;
		if (digits(&p, 2, &om) < 0)
			goto bad;
	} else {
		return fail(err, errlen, "'%s' has no time zone (add Z or an offset such as +01:00)", text);
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || oh > 23 || om > 59)
		goto bad;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	time_t t = timegm(&tm);
	if (tm.tm_mday != d)   /* normalised: 2026-02-30 does not exist */
		goto bad;
	*out = (int64_t)t - sign * (oh * 3600 + om * 60);
	return 0;
bad:
	return fail(err, errlen, "'%s' is not an ISO 8601 time with a zone (2026-12-01T23:59:00+01:00)", text);
}

void due_format_time(int64_t t, int offset_minutes, char out[32])
{
	time_t local = (time_t)(t + (int64_t)offset_minutes * 60);
	struct tm tm;
	gmtime_r(&local, &tm);
	int off = offset_minutes < 0 ? -offset_minutes : offset_minutes;
	if (offset_minutes == 0)
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", (tm.tm_year + 1900) % 10000,
			 (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100,
			 offset_minutes < 0 ? '-' : '+', off / 60 % 100, off % 60);
}

void due_format_utc(double t, char out[32])
{
	time_t whole = (time_t)floor(t);
	struct tm tm;
	gmtime_r(&whole, &tm);
	int ms = (int)((t - floor(t)) * 1000);
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
		 tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100, ms > 999 ? 999 : ms < 0 ? 0 : ms);
}

/* ---- the late policy ------------------------------------------------------- */

#define MAX_WORDS 32

/* "15", "15min", "15 min", "2h", "1 day" from words[*i...]: seconds. */
static int duration_words(char **w, size_t n, size_t *i, double *out)
{
	if (*i >= n)
		return -1;
	char *end;
	double v = strtod(w[*i], &end);
	if (end == w[*i] || v < 0)
		return -1;
	const char *unit = end;
	if (!*unit) {
		if (*i + 1 >= n)
			return -1;
		unit = w[++*i];
	}
	static const struct { const char *name; double seconds; } units[] = {
		{ "s", 1 }, { "sec", 1 }, { "secs", 1 }, { "second", 1 }, { "seconds", 1 },
		{ "m", 60 }, { "min", 60 }, { "mins", 60 }, { "minute", 60 }, { "minutes", 60 },
		{ "h", 3600 }, { "hour", 3600 }, { "hours", 3600 }, { "d", DAY }, { "day", DAY }, { "days", DAY },
	};
	for (size_t k = 0; k < ARRAY_SIZE(units); k++)
		if (!strcmp(unit, units[k].name)) {
			*out = v * units[k].seconds;
			(*i)++;
			return 0;
		}
	return -1;
}

/* "N days" / "N day" / "Nd" from words[*i...]: days. */
static int days_words(char **w, size_t n, size_t *i, double *out)
{
	double s;
	if (duration_words(w, n, i, &s) < 0)
		return -1;
	*out = s / DAY;
	return 0;
}

static int policy_words(char **w, size_t n, struct late_policy *p)
{
	size_t i = 0;
	if (n == 1 && !strcmp(w[0], "none")) {
		p->accepts_late = false;
		return 0;
	}
	while (i < n) {
		char *word = w[i];
		char *end;
		if (!strcmp(word, "then") || !strcmp(word, "penalty") || !strcmp(word, "and")) {
			i++;
		} else if (!strcmp(word, "grace")) {
			i++;
			if (duration_words(w, n, &i, &p->grace) < 0)
				return -1;
		} else if (!strcmp(word, "up") && i + 1 < n && !strcmp(w[i + 1], "to")) {
			i += 2;
			if (days_words(w, n, &i, &p->cap_days) < 0 || p->cap_days <= 0)
				return -1;
		} else if (!strcmp(word, "0") && i + 1 < n && !strcmp(w[i + 1], "after")) {
			i += 2;
			if (days_words(w, n, &i, &p->zero_after_days) < 0 || p->zero_after_days <= 0)
				return -1;
		} else if (strtod(word, &end), end != word && *end == '%') {
			p->percent_per_day = strtod(word, NULL);
			if (p->percent_per_day < 0 || p->percent_per_day > 100)
				return -1;
			i++;
			if (!strcmp(end, "%/day") || !strcmp(end, "%/d")) {
				continue;
			} else if (strcmp(end, "%") || i >= n || strcmp(w[i], "per")) {
				return -1;
			}
			i++;
			if (i < n && !strcmp(w[i], "started"))
				i++;
			if (i >= n || strcmp(w[i], "day"))
				return -1;
			i++;
		} else {
			return -1;
		}
	}
	return 0;
}

int late_policy_parse(const char *text, struct late_policy *out, char *err, size_t errlen)
{
	char *copy = xstrdup(text), *words[MAX_WORDS], *save = NULL;
	size_t n = 0;
	*out = (struct late_policy){ .accepts_late = true };
	for (char *c = copy; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	for (char *w = strtok_r(copy, " ,;\t", &save); w; w = strtok_r(NULL, " ,;\t", &save)) {
		if (n == MAX_WORDS) {
			n = 0;
			break;
		}
		words[n++] = w;
	}
	int rc = n && policy_words(words, n, out) == 0 ? 0 : -1;
	free(copy);
	if (rc < 0)
		return fail(err, errlen,
			    "'%s' is not a late policy: expected 'none' or clauses such as 'grace 15 min', "
			    "'10%%/day', '20%% per started day', 'up to 3 days', '0 after 5 days'",
			    text);
	return 0;
}

void late_policy_describe(const struct late_policy *p, char *out, size_t len)
{
	if (!p->accepts_late) {
		snprintf(out, len, "none (a late commit counts nothing)");
		return;
	}
	int k = snprintf(out, len, "%g%% per started day", p->percent_per_day);
	if (p->grace > 0 && k >= 0 && (size_t)k < len)
		k += snprintf(out + k, len - (size_t)k, ", after %g min of grace", p->grace / 60);
	if (p->cap_days > 0 && k >= 0 && (size_t)k < len)
		k += snprintf(out + k, len - (size_t)k, ", up to %g days", p->cap_days);
	if (p->zero_after_days > 0 && k >= 0 && (size_t)k < len)
		snprintf(out + k, len - (size_t)k, ", 0 after %g days", p->zero_after_days);
}

double late_factor(const struct late_policy *p, double seconds_late, double *days_charged)
{
	*days_charged = 0;
	if (seconds_late <= 0)
		return 1;
	if (!p->accepts_late)
		return 0;
	if (seconds_late <= p->grace)
		return 1;
	double days = ceil((seconds_late - p->grace) / DAY);
	if (p->zero_after_days > 0 && (seconds_late - p->grace) / DAY > p->zero_after_days) {
		*days_charged = days;
		return 0;
	}
	if (p->cap_days > 0 && days > p->cap_days)
		days = p->cap_days;
	*days_charged = days;
	double kept = 1 - p->percent_per_day / 100 * days;
	return kept < 0 ? 0 : kept;
}

int due_source_parse(const char *text)
{
	static const char *const names[] = { "committer", "fetched", "pushed" };
	for (int i = 0; i < 3; i++)
		if (!strcmp(text, names[i]))
			return i;
	return -1;
}

const char *due_source_name(enum due_source s)
{
	return s == DUE_FETCHED ? "fetched" : s == DUE_PUSHED ? "pushed" : "committer";
}

/* ---- picking the commit ------------------------------------------------------ */

static void flag(struct due_pick *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void flag(struct due_pick *p, const char *fmt, ...)
{
	if (p->n_flags == DUE_MAX_FLAGS)
		return;
	va_list ap;
	va_start(ap, fmt);
	p->flags[p->n_flags++] = xvasprintf(fmt, ap);
	va_end(ap);
}

static void short_id(const git_oid *id, char out[13])
{
	git_oid_tostr(out, 13, id);
}

/* The flags about one graded commit's own dates. */
static void flag_commit(struct due_pick *p, const struct due_commit *c, bool has_deadline, int64_t deadline,
			const struct due_evidence *ev)
{
	char id[13], date[32], when[32];
	short_id(&c->id, id);
	due_format_time(c->commit_time, c->commit_offset, date);
	if (c->fetched > 0 && (double)c->commit_time > c->fetched + CLOCK_SKEW) {
		due_format_utc(c->fetched, when);
		flag(p, "commit %s is dated %s, after grade first fetched it (%s): a date in the future is forged", id,
		     date, when);
	}
	if (has_deadline && ev->prior_fetch > 0 && c->fetched > ev->prior_fetch &&
	    (double)c->commit_time <= ev->prior_fetch && c->commit_time <= deadline) {
		due_format_utc(ev->prior_fetch, when);
		flag(p, "commit %s is dated %s, but grade's fetch of %s, before the deadline, did not see it: pushed "
			"later, or backdated",
		     id, date, when);
	}
}

int due_pick(git_repository *repo, const git_oid *tip, bool has_deadline, int64_t deadline, enum due_source source,
	     const struct due_evidence *ev, struct due_pick *out, char *err, size_t errlen)
{
	git_revwalk *walk = NULL;
	git_commit *prev = NULL;
	git_oid id;
	int rc = -1;
	size_t walked = 0;
	double newer_fetched = 0, newer_pushed = 0;
	bool backwards_flagged = false;
	*out = (struct due_pick){ 0 };
	if (git_revwalk_new(&walk, repo) < 0 || git_revwalk_push(walk, tip) < 0) {
		repo_fail(err, errlen, "cannot walk the history of %.12s", git_oid_tostr_s(tip));
		goto done;
	}
	git_revwalk_simplify_first_parent(walk);
	int step;
	while ((step = git_revwalk_next(&id, walk)) == 0) {
		git_commit *c = NULL;
		if (git_commit_lookup(&c, repo, &id) < 0) {
			repo_fail(err, errlen, "cannot read commit %.12s", git_oid_tostr_s(&id));
			goto done;
		}
		struct due_commit dc = { .id = id, .tree = *git_commit_tree_id(c),
					 .commit_time = (int64_t)git_commit_time(c),
					 .commit_offset = git_commit_time_offset(c) };
		/* A commit existed no later than any newer commit containing it. */
		double f = 0, ps = 0;
		if (ev && ev->fetched && ev->fetched(ev->ctx, &id, &f) == 1)
			newer_fetched = newer_fetched > 0 && newer_fetched < f ? newer_fetched : f;
		if (ev && ev->pushed && ev->pushed(ev->ctx, &id, &ps) == 1)
			newer_pushed = newer_pushed > 0 && newer_pushed < ps ? newer_pushed : ps;
		dc.fetched = newer_fetched;
		dc.pushed = newer_pushed;
		dc.decided = source == DUE_COMMITTER ? (double)dc.commit_time
			     : source == DUE_PUSHED && dc.pushed > 0 ? dc.pushed : dc.fetched;
		if (prev && !backwards_flagged && git_commit_time(prev) < git_commit_time(c)) {
			char a[13], b[13], da[32], db[32];
			short_id(git_commit_id(prev), a);
			short_id(&id, b);
			due_format_time(git_commit_time(prev), git_commit_time_offset(prev), da);
			due_format_time(git_commit_time(c), git_commit_time_offset(c), db);
			flag(out, "dates go backwards along history: commit %s (%s) is dated before its parent %s (%s)", a,
			     da, b, db);
			backwards_flagged = true;
		}
		if (walked == 0 && (!has_deadline || dc.decided <= (double)deadline)) {
			out->has_due = true;
			out->due = dc;
		} else if (walked == 0) {
			out->has_late = true;
			out->late = dc;
		} else if (!out->has_due && dc.decided <= (double)deadline) {
			out->has_due = true;
			out->due = dc;
		}
		git_commit_free(prev);
		prev = c;
		/* The due commit is known; the rest is walked for backwards dates only. */
		if (++walked >= MAX_HISTORY || (out->has_due && backwards_flagged))
			break;
	}
	if (step < 0 && step != GIT_ITEROVER) {
		repo_fail(err, errlen, "cannot walk the history of %.12s", git_oid_tostr_s(tip));
		goto done;
	}
	if (source == DUE_PUSHED) {
		if (out->has_due && !(out->due.pushed > 0))
			flag(out, "no push time is known for the graded commit: the time grade fetched it decided");
	}
	if (out->has_due)
		flag_commit(out, &out->due, has_deadline, deadline, ev ? ev : &(struct due_evidence){ 0 });
	if (out->has_late)
		flag_commit(out, &out->late, has_deadline, deadline, ev ? ev : &(struct due_evidence){ 0 });
	rc = 0;
done:
	git_commit_free(prev);
	git_revwalk_free(walk);
	if (rc < 0)
		due_pick_release(out);
	return rc;
}

void due_pick_release(struct due_pick *p)
{
	for (size_t i = 0; i < p->n_flags; i++)
		free(p->flags[i]);
	*p = (struct due_pick){ 0 };
}
