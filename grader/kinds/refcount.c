/*
 * kind_refcount.c - the student's reference count against Py_REFCNT read
 * in C, with 0..k extra references held by the grader.
 */
#include "base/wire.h"
#include "kinds/kind.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/value.h"
#include "kinds/verdict_kit.h"

static const char *holder_text(const struct check *c)
{
	const char *how = json_string_value(json_object_get(c->spec, "hold"));
	return !how || !strcmp(how, "list") ? "in a list" : !strcmp(how, "dict") ? "in a dict" : "in attributes";
}

/* compare: balance.  What the call left changed in the counts of its
 * argument, the callable and a fresh result, or NULL when nothing. */
static char *balance_problem(const struct check *c, const json_t *cs, const char *obj)
{
	const char *fn = verdict_function_name(c);
	json_int_t before = json_integer_value(json_object_get(cs, "before"));
	json_int_t moved = json_integer_value(json_object_get(cs, "after")) - before;
	json_int_t callable = json_integer_value(json_object_get(cs, "callable_delta"));
	const json_t *fresh = json_object_get(cs, "fresh_result_refs");
	if (moved > 0)
		return xasprintf("%s keeps %s to its argument: after %s(%s) its count is %d, it was %d",
				 fn, moved == 1 ? "a reference" : "references", fn, obj, (int)(before + moved), (int)before);
	if (moved < 0)
		return xasprintf("%s steals %s to its argument: after %s(%s) its count is %d, it was %d",
				 fn, moved == -1 ? "a reference" : "references", fn, obj, (int)(before + moved), (int)before);
	if (callable > 0)
		return xasprintf("%s keeps %d more reference%s to itself after %s(%s)", fn, (int)callable,
				 callable == 1 ? "" : "s", fn, obj);
	if (fresh && json_integer_value(fresh) > 1)
		return xasprintf("%s keeps a reference to its result: the fresh object %s(%s) returned is referenced %d "
				 "times, only the caller's reference should remain", fn, fn, obj, (int)json_integer_value(fresh));
	return NULL;
}

/* What the cases of one check add up to. */
struct refcount_tally {
	const char *compare;       /* "exact", "delta" or "balance" */
	char *obj;                 /* the object as the call is written */
	size_t passed;
	char *first_problem;
	long common_diff;          /* the answers' offset, when all wrong ones share it */
	bool same_diff, wrong_type;
	enum check_status worst;   /* the status when the check does not pass */
	json_int_t base_answer, base_extra;   /* delta: the first case's */
};

/* An int answer against the truth (exact) or against the first answer
 * (delta).  Returns the problem (caller frees), or NULL. */
static char *answer_problem(const struct check *c, struct refcount_tally *t, const json_t *cs, size_t i, json_int_t a)
{
	json_int_t extra = json_integer_value(json_object_get(cs, "extra"));
	json_int_t truth = json_integer_value(json_object_get(cs, "truth"));
	bool delta = !strcmp(t->compare, "delta");
	if (delta && i == 0) {
		t->base_answer = a;
		t->base_extra = extra;
	}
	long diff = delta ? (long)((a - t->base_answer) - (extra - t->base_extra)) : (long)(a - truth);
	if (diff == 0) {
		t->passed++;
		return NULL;
	}
	if (t->common_diff == 0)
		t->common_diff = diff;
	else if (t->common_diff != diff)
		t->same_diff = false;
	if (delta)
		return xasprintf("with %d extra references %s, %s(%s) grew by %d instead of %d", (int)extra,
				 holder_text(c), verdict_function_name(c), t->obj, (int)(a - t->base_answer),
				 (int)(extra - t->base_extra));
	return xasprintf("with %d extra reference%s %s, %s(%s) returned %d; the true count is %d (off by %+ld)",
			 (int)extra, extra == 1 ? "" : "s", holder_text(c), verdict_function_name(c), t->obj, (int)a,
			 (int)truth, diff);
}

/* One case: its problem (caller frees), or NULL when it passed. */
static char *case_problem(const struct check *c, struct refcount_tally *t, const json_t *cs, size_t i)
{
	const json_t *exc = json_object_get(cs, "exception");
	const json_t *ans = json_object_get(cs, "answer");
	const char *herr = wire_harness_error(cs);
	if (herr) {
		t->worst = STATUS_ERROR;
		return xasprintf("grader error: %s", herr);
	}
	if (exc) {
		char *what = verdict_describe_exception(exc);
		bool memory = json_is_true(json_object_get(exc, "memory_error"));
		char *lim = memory ? verdict_size_text(c->limits.memory_bytes) : NULL;
		char *problem = memory ? xasprintf("memory limit (%s) reached in %s(%s): %s", lim, verdict_function_name(c),
						   t->obj, what)
				       : xasprintf("%s(%s) raised %s", verdict_function_name(c), t->obj, what);
		free(lim);
		free(what);
		if (memory)
			t->worst = STATUS_MEMORY;
		return problem;
	}
	if (!strcmp(t->compare, "balance")) {
		char *problem = balance_problem(c, cs, t->obj);
		if (!problem)
			t->passed++;
		return problem;
	}
	if (!ans || !json_is_integer(ans)) {
		char *got = ans ? value_repr(ans, 60) : xstrdup("?");
		char *problem = xasprintf("%s(%s) returned %s, a %s, not an int", verdict_function_name(c), t->obj, got,
					  ans ? value_type_name(ans) : str_or(json_string_value(json_object_get(cs, "type")), "?"));
		free(got);
		t->wrong_type = true;
		return problem;
	}
	return answer_problem(c, t, cs, i, json_integer_value(ans));
}

/* A check whose cases did not all pass: the first problem, partial points,
 * and the feedback for the mistake the answers show (a wrong type, or the
 * same offset in every case: off_by). */
static void refcount_failed(const struct check *c, const struct refcount_tally *t, size_t n, struct check_result *out)
{
	verdict_set(out, t->worst, "%s", t->first_problem ? t->first_problem : "no cases ran");
	if (c->partial && n && t->worst == STATUS_FAIL)
		out->score = out->max_score * (double)t->passed / (double)n;
	const char *text = NULL;
	if (t->wrong_type)
		text = verdict_feedback_text(c, "wrong_type");
	if (!text && t->same_diff && t->common_diff) {
		char key[32];
		snprintf(key, sizeof(key), "%+ld", t->common_diff);
		text = json_string_value(json_object_get(json_object_get(c->feedback, "off_by"), key));
	}
	verdict_choose_feedback(out, text ? text : verdict_feedback_text(c, "fail"));
}

static void decide_refcount(const struct check *c, const json_t *result, const json_t *k, struct check_result *out)
{
	(void)result;
	if (!verdict_function_found(c, k, out))
		return;
	const json_t *cases = json_object_get(k, "cases");
	struct refcount_tally t = {
		.compare = str_or(json_string_value(json_object_get(c->spec, "compare")), "exact"),
		.obj = value_repr(json_object_get(c->spec, "object"), 60),
		.same_diff = true, .worst = STATUS_FAIL,
	};
	size_t n = json_array_size(cases);
	for (size_t i = 0; i < n; i++) {
		char *problem = case_problem(c, &t, json_array_get(cases, i), i);
		if (problem && !t.first_problem)
			t.first_problem = problem;
		else
			free(problem);
	}
	if (!n || t.passed != n)
		refcount_failed(c, &t, n, out);
	else if (!strcmp(t.compare, "balance"))
		verdict_set(out, STATUS_PASS, "%s(%s) leaves the counts of its argument, itself and its result as they "
			    "were in all %zu case%s", verdict_function_name(c), t.obj, n, n == 1 ? "" : "s");
	else
		verdict_set(out, STATUS_PASS, "%s(%s) is right in all %zu case%s", verdict_function_name(c), t.obj, n,
			    n == 1 ? "" : "s");
	free(t.first_problem);
	free(t.obj);
}

static const struct key_schema refcount_keys[] = {
	{ "function", KEY_FUNCTION, TO_SPEC, true, NULL },
	{ "object", KEY_VALUE, TO_SPEC, true, NULL },
	{ "extra_refs", KEY_INT_LIST, TO_SPEC, false, NULL },
	{ "hold", KEY_STRING, TO_SPEC, false, "list|attribute|dict" },
	/* In the spec: the child installs the allocator hook only for a balance. */
	{ "compare", KEY_STRING, TO_SPEC, false, "exact|delta|balance" },
	KIND_KEYS_END,
};

KIND_DEF(refcount, NULL);
