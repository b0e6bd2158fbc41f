/*
 * grade doctor, grade --version and a degraded run: the layers are named, once, and the report carries them.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/doctor.h"
#include "support/run.h"

TestSuite(doctor, .timeout = 60);

static size_t count(const char *haystack, const char *needle)
{
	size_t n = 0;
	for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

Test(doctor, names_every_layer_and_ends_with_a_verdict)
{
	const char *args[] = { "doctor", NULL };
	struct run_result r;
	run_grade(&r, args);
	cr_assert(r.status == 0 || r.status == 1, "exit %d: %s", r.status, r.err);
	for (int k = 0; k < SANDBOX_NLAYERS; k++)
		cr_expect(strstr(r.out, sandbox_layer_name((enum sandbox_layer)k)), "%s missing:\n%s",
			  sandbox_layer_name((enum sandbox_layer)k), r.out);
	cr_expect(strstr(r.out, "python 3."), "%s", r.out);
	cr_expect(strstr(r.out, "audit hook"), "%s", r.out);
	const char *last = strstr(r.out, "verdict: ");
	cr_assert_not_null(last, "%s", r.out);
	cr_expect_eq(count(last, "\n"), 1, "the verdict is the last line:\n%s", r.out);
	bool degraded = strstr(r.out, "unavailable") != NULL;
	cr_expect_eq(r.status, degraded ? 1 : 0, "exit status %d but the output says:\n%s", r.status, r.out);
	cr_expect_eq(strstr(last, "degraded") != NULL, degraded, "%s", r.out);
	run_result_release(&r);
}

Test(doctor, version_lists_the_layers_in_force)
{
	const char *args[] = { "--version", NULL };
	struct run_result r;
	run_grade(&r, args);
	cr_assert_eq(r.status, 0);
	cr_expect(strstr(r.out, "\nsandbox: "), "%s", r.out);
	cr_expect(strstr(r.out, "seccomp") || strstr(r.out, "sandbox missing: "), "%s", r.out);
	run_result_release(&r);
}

Test(doctor, the_report_carries_the_layers_and_a_degraded_run_warns_once)
{
	const char *args[] = { "--format", "json", "--rubric", "../../rubrics/refcount.yaml", "submissions/refcount-correct",
			       "submissions/refcount-prints", NULL };
	struct run_result r;
	run_grade(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* One report per line with several submissions. */
	json_t *report = json_loadb(r.out, strcspn(r.out, "\n"), 0, NULL);
	cr_assert_not_null(report, "%s", r.out);
	const json_t *grader = json_object_get(report, "grader");
	const json_t *on = json_object_get(grader, "sandbox"), *off = json_object_get(grader, "sandbox_missing");
	cr_assert(json_is_array(on) && json_is_array(off), "%s", r.out);
	cr_expect_eq(json_array_size(on) + json_array_size(off), SANDBOX_NLAYERS);
	size_t warnings = count(r.err, "sandbox degraded");
	cr_expect_eq(warnings, json_array_size(off) ? 1 : 0, "%zu warnings for %zu missing layers:\n%s", warnings,
		     json_array_size(off), r.err);
	json_decref(report);
	run_result_release(&r);
}

Test(doctor, warning_names_each_missing_layer_on_one_line)
{
	struct sandbox_layers l = { .landlock_abi = 0 };
	for (int k = 0; k < SANDBOX_NLAYERS; k++)
		l.on[k] = true;
	l.on[SANDBOX_LANDLOCK] = false;
	l.on[SANDBOX_PID_NS] = false;
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	sandbox_warn_degraded(&l, m);
	fclose(m);
	cr_expect_eq(count(text, "\n"), 1, "%s", text);
	cr_expect(strstr(text, "pid_ns") && strstr(text, "landlock") && strstr(text, "2 layers"), "%s", text);
	free(text);

	for (int k = 0; k < SANDBOX_NLAYERS; k++)
		l.on[k] = true;
	m = open_memstream(&text, &len);
	sandbox_warn_degraded(&l, m);
	fclose(m);
	cr_expect_str_eq(text, "");
	free(text);
}
