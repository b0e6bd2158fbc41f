/*
 * kind_gc.c - the cyclic garbage collector around a student's call: the
 * objects gc.collect() finds after the grader made cycles (their number
 * is known), gc.garbage, and gc's state (enabled, thresholds, debug flags,
 * callbacks) as the call left it.
 *
 * The observer reads gc through C (PyGC_*) and through gc's functions and
 * lists captured in the zygote (fixtures.h), so rebinding gc.collect or
 * gc.callbacks changes nothing it reads.  It restores the state it found
 * before the call, whatever the student did, so later checks in the same
 * process start from the same collector.
 */
#include "base/wire.h"
#include "kinds/kind.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/value.h"
#include "kinds/verdict_kit.h"

#define GC_MAX_CYCLES 200

/* What changed in gc's state across the call, or NULL (caller frees). */
static char *state_change(const json_t *b, const json_t *a)
{
	if (json_is_true(json_object_get(b, "enabled")) && !json_is_true(json_object_get(a, "enabled")))
		return xstrdup("left the garbage collector disabled");
	if (!json_is_true(json_object_get(b, "enabled")) && json_is_true(json_object_get(a, "enabled")))
		return xstrdup("enabled the garbage collector, which the caller had disabled");
	if (!json_equal(json_object_get(b, "threshold"), json_object_get(a, "threshold"))) {
		char *x = json_dumps(json_object_get(b, "threshold"), JSON_COMPACT);
		char *y = json_dumps(json_object_get(a, "threshold"), JSON_COMPACT);
		char *s = xasprintf("changed the thresholds from %s to %s", x ? x : "?", y ? y : "?");
		free(x);
		free(y);
		return s;
	}
	if (!json_equal(json_object_get(b, "debug"), json_object_get(a, "debug")))
		return xasprintf("changed the debug flags from %lld to %lld",
				 (long long)json_integer_value(json_object_get(b, "debug")),
				 (long long)json_integer_value(json_object_get(a, "debug")));
	if (!json_is_true(json_object_get(a, "callbacks_same")))
		return xasprintf("changed gc.callbacks (%lld before, %lld after)",
				 (long long)json_integer_value(json_object_get(b, "callbacks")),
				 (long long)json_integer_value(json_object_get(a, "callbacks")));
	return NULL;
}

static void decide_gc(const struct check *c, const json_t *result, const json_t *k, struct check_result *out)
{
	if (!verdict_function_found(c, k, out))
		return;
	char *call = verdict_call_text(c);
	const char *herr = wire_harness_error(k);
	const json_t *exc = json_object_get(k, "exception");
	const json_t *returns = json_object_get(k, "returns");
	const json_t *before = json_object_get(k, "before"), *after = json_object_get(k, "after");
	json_int_t built = json_integer_value(json_object_get(k, "built"));
	const json_t *want_collected = json_object_get(c->expect, "collected");
	const json_t *want_enabled = json_object_get(c->expect, "enabled");
	char *change = after ? state_change(before, after) : NULL;
	if (herr) {
		verdict_set(out, STATUS_ERROR, "grader error: %s", herr);
	} else if (exc) {
		char *during = xasprintf("calling %s", call);
		verdict_exception(c, exc, during, out);
		if (out->status == STATUS_ERROR)
			out->status = STATUS_FAIL;
		verdict_choose_feedback(out, verdict_feedback_text(c, "error"));
		free(during);
	} else if (!after) {
		verdict_set(out, STATUS_ERROR, "grader error: cannot read gc's state after the call");
	} else if (json_is_true(json_object_get(c->expect, "returns_collected")) &&
		   !(json_is_integer(returns) && json_integer_value(returns) == built)) {
		char *got = returns ? value_repr(returns, 60) : xstrdup("a value the grader cannot compare");
		verdict_set(out, STATUS_FAIL, "%s returned %s; the grader had left %lld unreachable objects in cycles",
			    call, got, (long long)built);
		free(got);
	} else if (want_collected && json_integer_value(json_object_get(k, "collected_after")) !=
					     (json_int_t)json_number_value(want_collected)) {
		verdict_set(out, STATUS_FAIL, "after %s, gc.collect() found %lld unreachable objects, expected %lld", call,
			    (long long)json_integer_value(json_object_get(k, "collected_after")),
			    (long long)json_number_value(want_collected));
	} else if (json_is_true(json_object_get(c->expect, "garbage_empty")) &&
		   json_integer_value(json_object_get(after, "garbage")) != 0) {
		verdict_set(out, STATUS_FAIL, "after %s, gc.garbage holds %lld objects", call,
			    (long long)json_integer_value(json_object_get(after, "garbage")));
	} else if (json_is_true(json_object_get(c->expect, "keeps_state")) && change) {
		verdict_set(out, STATUS_FAIL, "%s %s", call, change);
	} else if (want_enabled && json_is_true(want_enabled) != json_is_true(json_object_get(after, "enabled"))) {
		verdict_set(out, STATUS_FAIL, "after %s the garbage collector is %s", call,
			    json_is_true(json_object_get(after, "enabled")) ? "enabled" : "disabled");
	} else {
		verdict_set(out, STATUS_PASS, "%s left the garbage collector as expected", call);
	}
	free(change);
	free(call);
	verdict_output(c, result, "stdout_call", "the call", out);
}

static const char *validate_gc(const json_t *spec, const json_t *expect)
{
	double n = json_number_value(json_object_get(spec, "cycles"));
	if (n < 0 || n > GC_MAX_CYCLES || (json_int_t)n != n)
		return "'cycles' must be from 0 to 200 (more would start an automatic collection)";
	if (json_is_true(json_object_get(expect, "returns_collected")) && !json_object_get(spec, "cycles"))
		return "'returns_collected' needs 'cycles'";
	return NULL;
}

static const struct key_schema gc_keys[] = {
	KIND_CALL_KEYS,
	{ "cycles", KEY_NUMBER, TO_SPEC, false, NULL },
	{ "returns_collected", KEY_BOOL, TO_EXPECT, false, NULL },
	{ "collected", KEY_NUMBER, TO_EXPECT, false, NULL },
	{ "garbage_empty", KEY_BOOL, TO_EXPECT, false, NULL },
	{ "keeps_state", KEY_BOOL, TO_EXPECT, false, NULL },
	{ "enabled", KEY_BOOL, TO_EXPECT, false, NULL },
	KIND_STDOUT_KEY,
	KIND_KEYS_END,
};

KIND_DEF(gc, validate_gc);
