/*
 * kind_refcount.c - the student's reference count against Py_REFCNT read
 * in C, with 0..k extra references held by the grader.
 */
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

static void decide_refcount(const struct check *c, const json_t *result, const json_t *k, struct check_result *out)
{
	(void)result;
	if (!verdict_function_found(c, k, out))
		return;
	const json_t *cases = json_object_get(k, "cases");
	const char *compare = str_or(json_string_value(json_object_get(c->spec, "compare")), "exact");
	bool delta = !strcmp(compare, "delta"), balance = !strcmp(compare, "balance");
	size_t n = json_array_size(cases), passed = 0;
	char *first_problem = NULL;
	long common_diff = 0;
	bool same_diff = true, wrong_type = false;
	enum check_status worst = STATUS_FAIL;
	json_int_t base_answer = 0, base_extra = 0;
	char *obj = value_repr(json_object_get(c->spec, "object"), 60);

	for (size_t i = 0; i < n; i++) {
		const json_t *cs = json_array_get(cases, i);
		json_int_t extra = json_integer_value(json_object_get(cs, "extra"));
		char *problem = NULL;
		const json_t *exc = json_object_get(cs, "exception");
		const json_t *ans = json_object_get(cs, "answer");
		const char *herr = json_string_value(json_object_get(cs, "harness_error"));
		if (herr) {
			problem = xasprintf("grader error: %s", herr);
			worst = STATUS_ERROR;
		} else if (exc) {
			char *what = verdict_describe_exception(exc);
			problem = xasprintf("%s(%s) raised %s", verdict_function_name(c), obj, what);
			free(what);
			if (json_is_true(json_object_get(exc, "memory_error")))
				worst = STATUS_MEMORY;
		} else if (balance) {
			problem = balance_problem(c, cs, obj);
			if (!problem)
				passed++;
		} else if (!ans || !json_is_integer(ans)) {
			char *got = ans ? value_repr(ans, 60) : xstrdup("?");
			problem = xasprintf("%s(%s) returned %s, a %s, not an int", verdict_function_name(c), obj, got,
					    ans ? value_type_name(ans) : str_or(json_string_value(json_object_get(cs, "type")), "?"));
			free(got);
			wrong_type = true;
		} else {
			json_int_t a = json_integer_value(ans);
			json_int_t truth = json_integer_value(json_object_get(cs, "truth"));
			bool ok;
			long diff;
			if (delta) {
				if (i == 0) {
					base_answer = a;
					base_extra = extra;
				}
				diff = (long)((a - base_answer) - (extra - base_extra));
				ok = diff == 0;
			} else {
				diff = (long)(a - truth);
				ok = diff == 0;
			}
			if (ok) {
				passed++;
			} else {
				if (delta)
					problem = xasprintf("with %d extra references %s, %s(%s) grew by %d instead of %d",
							    (int)extra, holder_text(c), verdict_function_name(c), obj,
							    (int)(a - base_answer), (int)(extra - base_extra));
				else
					problem = xasprintf("with %d extra reference%s %s, %s(%s) returned %d; the true count is %d (off by %+ld)",
							    (int)extra, extra == 1 ? "" : "s", holder_text(c), verdict_function_name(c), obj,
							    (int)a, (int)truth, diff);
				if (common_diff == 0)
					common_diff = diff;
				else if (common_diff != diff)
					same_diff = false;
			}
		}
		if (problem && !first_problem)
			first_problem = problem;
		else
			free(problem);
	}
	if (n && passed == n) {
		if (balance)
			verdict_set(out, STATUS_PASS, "%s(%s) leaves the counts of its argument, itself and its result as they "
				    "were in all %zu case%s", verdict_function_name(c), obj, n, n == 1 ? "" : "s");
		else
			verdict_set(out, STATUS_PASS, "%s(%s) is right in all %zu case%s", verdict_function_name(c), obj, n,
				    n == 1 ? "" : "s");
	} else {
		verdict_set(out, worst, "%s", first_problem ? first_problem : "no cases ran");
		if (c->partial && n && worst == STATUS_FAIL)
			out->score = out->max_score * (double)passed / (double)n;
		const char *text = NULL;
		if (wrong_type)
			text = verdict_feedback_text(c, "wrong_type");
		if (!text && same_diff && common_diff) {
			char key[32];
			snprintf(key, sizeof(key), "%+ld", common_diff);
			text = json_string_value(json_object_get(json_object_get(c->feedback, "off_by"), key));
		}
		verdict_choose_feedback(out, text ? text : verdict_feedback_text(c, "fail"));
	}
	free(first_problem);
	free(obj);
}

static const struct key_schema refcount_keys[] = {
	{ "function", KEY_FUNCTION, TO_SPEC, true, NULL },
	{ "object", KEY_VALUE, TO_SPEC, true, NULL },
	{ "extra_refs", KEY_INT_LIST, TO_SPEC, false, NULL },
	{ "hold", KEY_STRING, TO_SPEC, false, "list|attribute|dict" },
	/* In the spec: the child installs the allocator hook only for a balance. */
	{ "compare", KEY_STRING, TO_SPEC, false, "exact|delta|balance" },
	{ NULL, 0, 0, 0, NULL },
};

const struct kind_def kind_refcount = {
	.name = "refcount", .keys = refcount_keys, .validate = NULL,
	.decide = decide_refcount,
};
