/*
 * Deadlines without a repository: ISO 8601 times with zones, the late
 * policy's grammar and what it charges.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "git/due.h"

Test(due, times_with_zones_are_instants)
{
	int64_t a, b, c;
	char err[256];
	cr_assert_eq(due_parse_time("2026-12-01T23:59:00+01:00", &a, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(due_parse_time("2026-12-01T22:59:00Z", &b, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(due_parse_time("2026-12-01T17:59-0500", &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(a, b);
	cr_assert_eq(a, c);
	cr_assert_eq(a, 1796165940);
	/* Paris across the end of summer time: the same wall clock, an hour apart. */
	int64_t summer, winter;
	cr_assert_eq(due_parse_time("2026-10-25T02:30:00+02:00", &summer, err, sizeof(err)), 0);
	cr_assert_eq(due_parse_time("2026-10-25T02:30:00+01:00", &winter, err, sizeof(err)), 0);
	cr_assert_eq(winter - summer, 3600);
	char out[32];
	due_format_time(a, 60, out);
	cr_assert_str_eq(out, "2026-12-01T23:59:00+01:00");
	due_format_time(a, -330, out);
	cr_assert_str_eq(out, "2026-12-01T17:29:00-05:30");
}

Test(due, bad_times_say_what_is_expected)
{
	int64_t t;
	char err[256];
	cr_assert_eq(due_parse_time("2026-12-01T23:59:00", &t, err, sizeof(err)), -1);
	cr_assert(strstr(err, "no time zone"), "%s", err);
	cr_assert_eq(due_parse_time("2026-02-30T10:00:00Z", &t, err, sizeof(err)), -1);
	cr_assert(strstr(err, "ISO 8601"), "%s", err);
	cr_assert_eq(due_parse_time("tomorrow", &t, err, sizeof(err)), -1);
	cr_assert_eq(due_parse_time("2026-12-01T25:00:00Z", &t, err, sizeof(err)), -1);
}

Test(due, the_issue_policies_parse)
{
	struct late_policy p;
	char err[256];
	cr_assert_eq(late_policy_parse("none", &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_not(p.accepts_late);
	cr_assert_eq(late_policy_parse("penalty 10%/day up to 3 days", &p, err, sizeof(err)), 0, "%s", err);
	cr_assert(p.accepts_late);
	cr_assert_float_eq(p.percent_per_day, 10, 1e-9);
	cr_assert_float_eq(p.cap_days, 3, 1e-9);
	cr_assert_eq(late_policy_parse("grace 15 min, then 20% per started day, 0 after 5 days", &p, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_float_eq(p.grace, 900, 1e-9);
	cr_assert_float_eq(p.percent_per_day, 20, 1e-9);
	cr_assert_float_eq(p.zero_after_days, 5, 1e-9);
	cr_assert_eq(late_policy_parse("10% per fortnight", &p, err, sizeof(err)), -1);
	cr_assert(strstr(err, "not a late policy"), "%s", err);
	cr_assert_eq(late_policy_parse("", &p, err, sizeof(err)), -1);
	cr_assert_eq(late_policy_parse("150%/day", &p, err, sizeof(err)), -1);
}

Test(due, what_a_policy_charges)
{
	struct late_policy p;
	double days;
	late_policy_parse("penalty 10%/day up to 3 days", &p, NULL, 0);
	cr_assert_float_eq(late_factor(&p, -5, &days), 1, 1e-9);
	cr_assert_float_eq(late_factor(&p, 1, &days), 0.9, 1e-9);     /* a started day */
	cr_assert_float_eq(days, 1, 1e-9);
	cr_assert_float_eq(late_factor(&p, 86400 * 2.5, &days), 0.7, 1e-9);
	cr_assert_float_eq(late_factor(&p, 86400 * 10, &days), 0.7, 1e-9);   /* stops growing at 3 days */
	late_policy_parse("grace 15 min, then 20% per started day, 0 after 5 days", &p, NULL, 0);
	cr_assert_float_eq(late_factor(&p, 600, &days), 1, 1e-9);     /* within the grace */
	cr_assert_float_eq(days, 0, 1e-9);
	cr_assert_float_eq(late_factor(&p, 901, &days), 0.8, 1e-9);
	cr_assert_float_eq(late_factor(&p, 900 + 86400 * 4.5, &days), 0, 1e-9);   /* 5 started days: 100% */
	cr_assert_float_eq(late_factor(&p, 900 + 86400 * 5.5, &days), 0, 1e-9);
	late_policy_parse("none", &p, NULL, 0);
	cr_assert_float_eq(late_factor(&p, 1, &days), 0, 1e-9);
	cr_assert_float_eq(late_factor(&p, 0, &days), 1, 1e-9);
}

Test(due, sources_by_name)
{
	cr_assert_eq(due_source_parse("committer"), DUE_COMMITTER);
	cr_assert_eq(due_source_parse("fetched"), DUE_FETCHED);
	cr_assert_eq(due_source_parse("pushed"), DUE_PUSHED);
	cr_assert_eq(due_source_parse("author"), -1);
	cr_assert_str_eq(due_source_name(DUE_PUSHED), "pushed");
}
