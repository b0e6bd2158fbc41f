/*
 * kind_memprof.c - grading a tracemalloc profiling decorator (the memprof
 * exercise): the grader sets up the caller's situation, calls the
 * student's decorated version of a workload with known memory behaviour,
 * and compares the student's last_profile with its own measurement of the
 * same workload, taken in C by the allocator hook (allochook.h).
 *
 * The grader's measurement and every look at tracemalloc's state go
 * through C or through the _tracemalloc functions captured in the zygote
 * (memfix.h), never through what student code can rebind.
 */
#include "base/wire.h"
#include "kinds/kind.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "kinds/verdict_kit.h"

#define SPIKE_FACTOR 8       /* the caller's peak before the call, in workload sizes */
#define RECURSE_DEPTH 3
/* The tracing caller's many small traced objects (besides its big block):
 * enough that snapshots taken inside the measured window show, few enough
 * that student code filtering snapshots in Python stays fast. */
#define CALLER_SMALL_OBJECTS 2000

static long long tolerance(long long truth)
{
	long long pct = llabs(truth) / 50;
	return pct > 4096 ? pct : 4096;
}

static bool close_to(long long got, long long want)
{
	return llabs(got - want) <= tolerance(want);
}

static bool has(const json_t *list, const char *aspect)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		if (!strcmp(json_string_value(v), aspect))
			return true;
	}
	return false;
}

static json_int_t get_int(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* Why last_profile[key] is not an int number of bytes, or NULL when it is.
 * 'truth' helps name the mistake (KiB floats). */
static char *number_problem(const json_t *p, const char *key, long long truth)
{
	char tkey[32];
	snprintf(tkey, sizeof(tkey), "%s_type", key);
	const char *type = str_or(json_string_value(json_object_get(p, tkey)), "missing");
	const json_t *v = json_object_get(p, key);
	if (!strcmp(type, "int") && json_is_integer(v))
		return NULL;
	if (!strcmp(type, "missing"))
		return xasprintf("last_profile has no \"%s\" key", key);
	if (!strcmp(type, "float") && json_is_real(v)) {
		double d = json_real_value(v);
		if (truth && fabs(d - (double)truth / 1024) <= (double)tolerance(truth) / 1024)
			return xasprintf("last_profile[\"%s\"] is %g, a float in KiB: report whole bytes as an int", key, d);
		if (truth && fabs(d - (double)truth / 1e6) <= (double)tolerance(truth) / 1e6 + 0.01)
			return xasprintf("last_profile[\"%s\"] is %g, a float in MB: report whole bytes as an int", key, d);
		return xasprintf("last_profile[\"%s\"] is %g, a float: report whole bytes as an int", key, d);
	}
	return xasprintf("last_profile[\"%s\"] is a %s, not an int", key, type);
}

/* Compares one reported number with the grader's; a message when wrong. */
static char *compare_number(const json_t *p, const char *key, long long truth, const json_t *k, const char *what)
{
	char *np = number_problem(p, key, truth);
	if (np)
		return np;
	long long got = (long long)get_int(p, key);
	if (close_to(got, truth))
		return NULL;
	long long level = (long long)get_int(k, "caller_level");
	long long cpeak = (long long)get_int(k, "caller_peak");
	if (level && close_to(got - level, truth))
		return xasprintf("%s[\"%s\"] is %lld but the call's own is %lld: it includes the %lld bytes the caller had "
				 "traced before the call (no baseline: subtract the traced memory at the start of the call)",
				 what, key, got, truth, level);
	if (cpeak && !strcmp(key, "peak") && got >= cpeak - level - tolerance(cpeak))
		return xasprintf("%s[\"peak\"] is %lld but the call's own is %lld: it includes a peak the caller reached "
				 "before the call (tracemalloc.reset_peak() was not called at the start)",
				 what, got, truth);
	if (got > truth)
		return xasprintf("%s[\"%s\"] is %lld, the grader measured %lld: %lld bytes too many (snapshots or "
				 "other bookkeeping inside the measured window?)", what, key, got, truth, got - truth);
	return xasprintf("%s[\"%s\"] is %lld, the grader measured %lld: %lld bytes too few", what, key, got, truth,
			 truth - got);
}

static char *check_profile_shape(const json_t *p, const char *what)
{
	const char *type = str_or(json_string_value(json_object_get(p, "type")), "missing");
	if (!strcmp(type, "missing"))
		return xasprintf("%s: the decorated callable has no last_profile attribute after a call", what);
	if (!strcmp(type, "NoneType"))
		return xasprintf("%s: last_profile is still None after a call that returned normally", what);
	if (strcmp(type, "dict"))
		return xasprintf("%s: last_profile is a %s, not a dict", what, type);
	return NULL;
}

static char *check_top(const struct check *c, const json_t *p, const json_t *k)
{
	const json_t *t = json_object_get(p, "top");
	if (!t)
		return xstrdup("last_profile has no \"top\" list");
	if (json_object_get(t, "type"))
		return xasprintf("last_profile[\"top\"] is a %s, not a list", json_string_value(json_object_get(t, "type")));
	json_int_t n = get_int(t, "len");
	json_t *jtop = json_object_get(c->spec, "top");
	json_int_t limit = jtop ? (json_int_t)json_number_value(jtop) : 10;
	if (n > limit)
		return xasprintf("last_profile[\"top\"] has %d entries, at most %d were asked for", (int)n, (int)limit);
	if (!json_is_true(json_object_get(t, "valid")))
		return xstrdup("last_profile[\"top\"] entries must be (\"path:lineno\", size_diff) pairs of a str and an int");
	if (json_is_true(json_object_get(t, "tracemalloc_frames")))
		return xstrdup("last_profile[\"top\"] lists tracemalloc's own frames: filter them out of the snapshots");
	if (!json_is_true(json_object_get(t, "sorted")))
		return xstrdup("last_profile[\"top\"] is not sorted largest change first");
	if (limit == 0)
		return NULL;
	const char *first = str_or(json_string_value(json_object_get(t, "first")), "");
	long long size = (long long)get_int(t, "first_size");
	long long net = (long long)get_int(k, "truth_net");
	const char *want = str_or(json_string_value(json_object_get(t, "keep_site")), "grade_workloads.py");
	if (!n)
		return xstrdup("last_profile[\"top\"] is empty although the call kept a 1 MB allocation");
	if (size < 0 && close_to(-size, net))
		return xasprintf("last_profile[\"top\"] starts with %s, %lld: the sizes are negative, "
				 "compare_to was called the wrong way round (use after.compare_to(before, \"lineno\"))", first, size);
	size_t fl = strlen(first), wl = strlen(want);
	if (fl < wl || strcmp(first + fl - wl, want) || !close_to(size, net))
		return xasprintf("last_profile[\"top\"] starts with (%s, %lld); expected the allocating line %s with about %lld bytes",
				 first, size, want, net);
	return NULL;
}

/* What is wrong with how the decorated call behaved (its exception, the
 * tracing state it left, the caller's traces, its return value, its
 * metadata), in the order of verify; NULL when nothing is.  New string. */
static char *behaviour_problem(const json_t *verify, const json_t *k, const char *wl, const char *call, bool caller_tracing,
			       bool raised)
{
	char *problem = NULL;
	const json_t *exc = json_object_get(k, "exception");
	if (!problem && has(verify, "raises")) {
		if (!raised)
			problem = xasprintf("the function's exception was swallowed: %s returned a %s instead of raising", call,
					    str_or(json_string_value(json_object_get(k, "returned_type")), "value"));
		else if (!json_is_true(json_object_get(k, "raised_same"))) {
			char *what = verdict_describe_exception(exc);
			problem = xasprintf("%s raised %s, not the function's own exception object (re-raise it unchanged)", call, what);
			free(what);
		}
	}
	if (!problem && has(verify, "tracing")) {
		bool after = json_is_true(json_object_get(k, "tracing_after"));
		if (caller_tracing && !after)
			problem = xasprintf("tracemalloc.stop() was called although the caller was tracing (%s)", call);
		else if (!caller_tracing && after)
			problem = raised ? xasprintf("tracemalloc was still tracing after %s raised: stop it in a finally", call)
					 : xasprintf("tracemalloc was still tracing after %s: stop what you started", call);
	}
	if (!problem && has(verify, "traces") && caller_tracing) {
		if (!json_is_true(json_object_get(k, "traces_kept")))
			problem = xasprintf("the caller's traces were lost during %s (tracemalloc.clear_traces(), or stop() "
					    "and start())", call);
	}
	if (!problem && has(verify, "returns") && !raised) {
		if (json_is_true(json_object_get(k, "pair_result")))
			problem = xasprintf("%s returned a (result, ...) tuple instead of the function's own return value", call);
		else if (!json_is_true(json_object_get(k, "same_object")))
			problem = xasprintf("%s returned a %s, not the very object the function returned", call,
					    str_or(json_string_value(json_object_get(k, "returned_type")), "?"));
		else if (!strcmp(wl, "keep") && !json_is_true(json_object_get(k, "kwargs_passed")))
			problem = xasprintf("%s did not pass the keyword argument through", call);
	}
	if (!problem && has(verify, "metadata")) {
		if (!json_is_true(json_object_get(k, "__name___ok")))
			problem = xasprintf("__name__ of the decorated function is '%s', not '%s': use functools.wraps",
					    str_or(json_string_value(json_object_get(k, "__name___got")), "?"), wl);
		else if (!json_is_true(json_object_get(k, "__doc___ok")))
			problem = xstrdup("__doc__ of the decorated function is not the function's docstring: use functools.wraps");
		else if (!json_is_true(json_object_get(k, "__wrapped___ok")))
			problem = xstrdup("__wrapped__ of the decorated function is not the original function: use functools.wraps");
	}
	return problem;
}

/* What is wrong with the numbers of the profile (its shape, peak, net,
 * the inner call's, the top lines); NULL when nothing is.  New string. */
static char *numbers_problem(const struct check *c, const json_t *verify, const json_t *k, const char *call)
{
	char *problem = NULL;
	const json_t *p = json_object_get(k, "profile");
	bool numbers = has(verify, "peak") || has(verify, "net") || has(verify, "top") || has(verify, "inner");
	if (!problem && numbers)
		problem = check_profile_shape(p, call);
	if (!problem && has(verify, "peak"))
		problem = compare_number(p, "peak", (long long)get_int(k, "truth_peak"), k, "last_profile");
	if (!problem && has(verify, "net"))
		problem = compare_number(p, "net", (long long)get_int(k, "truth_net"), k, "last_profile");
	if (!problem && has(verify, "inner")) {
		const json_t *ip = json_object_get(k, "inner_profile");
		problem = check_profile_shape(ip, "the inner decorated call");
		if (!problem)
			problem = compare_number(ip, "peak", (long long)get_int(k, "inner_truth_peak"), k, "the inner last_profile");
		if (!problem)
			problem = compare_number(ip, "net", (long long)get_int(k, "inner_truth_net"), k, "the inner last_profile");
	}
	if (!problem && has(verify, "top"))
		problem = check_top(c, p, k);

	return problem;
}

static void decide_memprof(const struct check *c, const json_t *result, const json_t *k, struct check_result *out)
{
	const json_t *verify = json_object_get(c->expect, "verify");
	const char *wl = str_or(json_string_value(json_object_get(c->spec, "workload")), "keep");
	bool caller_tracing = !strcmp(str_or(json_string_value(json_object_get(c->spec, "caller")), "idle"), "tracing");
	const char *herr = wire_harness_error(k);
	char *problem = NULL;
	char *call = xasprintf("the decorated %s()%s", wl, caller_tracing ? " (caller tracing)" : "");
	if (!verdict_function_found(c, k, out))
		goto done;
	if (herr) {
		verdict_set(out, STATUS_ERROR, "grader error: %s", herr);
		goto done;
	}
	const json_t *dexc = json_object_get(k, "decorate_exception");
	const json_t *exc = json_object_get(k, "exception");
	if (dexc || (exc && strcmp(wl, "fail"))) {
		char *during = xasprintf(dexc ? "decorating %s()" : "calling %s", dexc ? wl : call);
		verdict_exception(c, dexc ? dexc : exc, during, out);
		if (out->status == STATUS_ERROR)
			out->status = STATUS_FAIL;
		verdict_choose_feedback(out, verdict_feedback_text(c, "error"));
		free(during);
		goto done;
	}
	bool raised = json_object_get(k, "raised_same") != NULL;
	const json_t *p = json_object_get(k, "profile");
	problem = behaviour_problem(verify, k, wl, call, caller_tracing, raised);
	if (!problem && !raised)
		problem = numbers_problem(c, verify, k, call);

	if (problem) {
		verdict_set(out, STATUS_FAIL, "%s", problem);
		verdict_choose_feedback(out, verdict_feedback_text(c, "fail"));
	} else {
		verdict_set(out, STATUS_PASS, "%s: right", call);
		if (p && json_object_get(p, "peak"))
			verdict_set(out, STATUS_PASS, "%s: peak %lld, net %lld (grader: %lld, %lld)", call,
				    (long long)get_int(p, "peak"), (long long)get_int(p, "net"),
				    (long long)get_int(k, "truth_peak"), (long long)get_int(k, "truth_net"));
	}
	verdict_output(c, result, "stdout_call", "the call", out);
done:
	free(problem);
	free(call);
}

static const char *const aspects[] = { "peak", "net", "returns", "raises", "tracing", "traces", "metadata",
				       "inner", "top", NULL };

static const char *validate_memprof(const json_t *spec, const json_t *expect)
{
	const char *wl = str_or(json_string_value(json_object_get(spec, "workload")), "keep");
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(expect, "verify"), i, v) {
		bool known = false;
		for (size_t j = 0; aspects[j]; j++)
			known = known || !strcmp(aspects[j], json_string_value(v));
		if (!known)
			return "'verify' items are peak, net, returns, raises, tracing, traces, metadata, inner, top";
		if (!strcmp(json_string_value(v), "raises") && strcmp(wl, "fail"))
			return "'verify: raises' needs 'workload: fail'";
		if (!strcmp(json_string_value(v), "inner") && strncmp(wl, "nested", 6))
			return "'verify: inner' needs a nested workload";
		if (!strcmp(json_string_value(v), "top") && strcmp(wl, "keep"))
			return "'verify: top' needs 'workload: keep'";
	}
	json_t *top = json_object_get(spec, "top");
	if (top && (json_number_value(top) < 0 || json_number_value(top) > 1000 ||
		    floor(json_number_value(top)) != json_number_value(top)))
		return "'top' must be a whole number from 0 to 1000";
	return NULL;
}

static const struct key_schema memprof_keys[] = {
	{ "function", KEY_FUNCTION, TO_SPEC, true, NULL },
	{ "workload", KEY_STRING, TO_SPEC, true, "keep|churn|noop|fail|nested_before|nested_during|recurse" },
	{ "caller", KEY_STRING, TO_SPEC, false, "idle|tracing" },
	{ "size", KEY_SIZE, TO_SPEC, false, NULL },
	{ "caller_data", KEY_SIZE, TO_SPEC, false, NULL },
	{ "top", KEY_NUMBER, TO_SPEC, false, NULL },
	{ "verify", KEY_STRING_LIST, TO_EXPECT, true, NULL },
	KIND_STDOUT_KEY,
	KIND_KEYS_END,
};

KIND_DEF(memprof, validate_memprof);
