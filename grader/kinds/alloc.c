/*
 * kind_alloc.c - what one call of a student function allocates, measured
 * by the allocator hook (allochook.h) after warm-up calls, against budgets:
 * at most N allocations, B bytes kept (net), B bytes at the peak, per call
 * or per item of an argument.
 *
 * The measured calls run with automatic garbage collection off (garbage
 * collected first), so a collection triggered elsewhere never lands in
 * the window; the result is held while the counters are read, as a caller
 * holds it.  When student code removes the hook during a call
 * (tracemalloc.start() before it, stop() inside the call), the run is
 * measured again with the hook reinstalled; if it is removed again, the
 * check fails saying so.
 */
#include "base/wire.h"
#include "kinds/kind.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "kinds/verdict_kit.h"

#define ALLOC_MAX_RUNS 16
#define ALLOC_RETRIES 2      /* measurements of a run whose hook was removed */

struct alloc_budget {
	const char *key;    /* rubric key */
	const char *field;  /* field of a run */
	bool bytes;
};

static const struct alloc_budget budgets[] = {
	{ "max_allocations", "allocations", false },
	{ "max_net", "net", true },
	{ "max_peak", "peak", true },
};

/* "2012 allocations", "40 KiB kept", "1.5 allocations per item". */
static char *amount_text(const struct alloc_budget *b, double v, bool per_item)
{
	const char *what = !strcmp(b->field, "allocations") ? (v == 1 ? "allocation" : "allocations")
			   : !strcmp(b->field, "net")       ? "kept"
							    : "at the peak";
	if (b->bytes && !per_item) {
		char *sz = verdict_size_text(v < 0 ? 0 : (size_t)v);
		char *t = v < 0 ? xasprintf("%lld bytes freed", (long long)-v) : xasprintf("%s %s", sz, what);
		free(sz);
		return t;
	}
	return xasprintf("%g%s %s%s", v, b->bytes ? " bytes" : "", what, per_item ? " per item" : "");
}

static void decide_alloc(const struct check *c, const json_t *result, const json_t *k, struct check_result *out)
{
	if (!verdict_function_found(c, k, out))
		return;
	char *call = verdict_call_text(c);
	const json_t *exc = json_object_get(k, "exception");
	const char *herr = wire_harness_error(k);
	const json_t *runs = json_object_get(k, "runs");
	json_int_t items = json_integer_value(json_object_get(k, "items"));
	bool per_item = items > 0;
	if (herr) {
		verdict_set(out, STATUS_ERROR, "grader error: %s", herr);
	} else if (exc) {
		char *during = xasprintf("calling %s", call);
		verdict_exception(c, exc, during, out);
		if (out->status == STATUS_ERROR)
			out->status = STATUS_FAIL;
		verdict_choose_feedback(out, verdict_feedback_text(c, "error"));
		free(during);
	} else if (json_is_true(json_object_get(k, "hook_lost"))) {
		verdict_set(out, STATUS_FAIL,
			    "%s removed the grader's allocator hook on every try (tracemalloc.start() and stop() in the "
			    "other order?): its allocations cannot be measured", call);
		verdict_choose_feedback(out, verdict_feedback_text(c, "fail"));
	} else if (!json_array_size(runs)) {
		verdict_set(out, STATUS_ERROR, "grader error: no measured calls");
	} else {
		/* Every measured call must be within budget: the largest reading
		 * counts (with gc off and warm-up done, the runs agree). */
		char *problem = NULL, *summary = NULL;
		for (size_t b = 0; b < sizeof(budgets) / sizeof(budgets[0]); b++) {
			const json_t *limit = json_object_get(c->expect, budgets[b].key);
			double worst = 0;
			size_t i;
			json_t *run;
			json_array_foreach(runs, i, run) {
				double v = (double)json_integer_value(json_object_get(run, budgets[b].field));
				if (i == 0 || v > worst)
					worst = v;
			}
			if (per_item)
				worst /= (double)items;
			char *got = amount_text(&budgets[b], worst, per_item);
			char *more = xasprintf("%s%s%s", summary ? summary : "", summary ? ", " : "", got);
			free(summary);
			summary = more;
			if (limit && !problem && worst > json_number_value(limit)) {
				char *lim = amount_text(&budgets[b], json_number_value(limit), per_item);
				problem = xasprintf("%s: %s per call; at most %s allowed", call, got,
						    lim);
				free(lim);
			}
			free(got);
		}
		if (problem) {
			int w = (int)json_integer_value(json_object_get(k, "warmup"));
			verdict_set(out, STATUS_FAIL, "%s (after %d warm-up call%s)", problem, w, w == 1 ? "" : "s");
			verdict_choose_feedback(out, verdict_feedback_text(c, "fail"));
		} else {
			verdict_set(out, STATUS_PASS, "%s: %s per call, within budget", call, summary);
		}
		free(problem);
		free(summary);
	}
	free(call);
	verdict_output(c, result, "stdout_call", "the call", out);
}

static const char *validate_alloc(const json_t *spec, const json_t *expect)
{
	double w = json_number_value(json_object_get(spec, "warmup"));
	double r = json_is_number(json_object_get(spec, "runs")) ? json_number_value(json_object_get(spec, "runs")) : 3;
	if (w < 0 || w > 100 || w != (long)w)
		return "'warmup' must be a whole number from 0 to 100";
	if (r < 1 || r > ALLOC_MAX_RUNS || r != (long)r)
		return "'runs' must be a whole number from 1 to 16";
	const json_t *per = json_object_get(spec, "per_item_of");
	if (per && (json_number_value(per) < 0 || json_number_value(per) != (long)json_number_value(per)))
		return "'per_item_of' must be an argument's position (0 for the first)";
	if (per && json_number_value(per) >= (double)json_array_size(json_object_get(spec, "args")))
		return "'per_item_of' must name one of the 'args'";
	bool any = false;
	for (size_t b = 0; b < sizeof(budgets) / sizeof(budgets[0]); b++) {
		const json_t *v = json_object_get(expect, budgets[b].key);
		any = any || v;
		if (v && json_number_value(v) < 0)
			return "budgets must not be negative";
	}
	return any ? NULL : "an alloc check needs a budget: max_allocations, max_net or max_peak";
}

static const struct key_schema alloc_keys[] = {
	KIND_CALL_KEYS,
	{ "warmup", KEY_NUMBER, TO_SPEC, false, NULL },
	{ "runs", KEY_NUMBER, TO_SPEC, false, NULL },
	{ "per_item_of", KEY_NUMBER, TO_SPEC, false, NULL },
	{ "max_allocations", KEY_NUMBER, TO_EXPECT, false, NULL },
	{ "max_net", KEY_SIZE, TO_EXPECT, false, NULL },
	{ "max_peak", KEY_SIZE, TO_EXPECT, false, NULL },
	KIND_STDOUT_KEY,
	KIND_KEYS_END,
};

KIND_DEF(alloc, validate_alloc);
