/*
 * kind_leak.c - leak hunting in the style of CPython's `regrtest -R`
 * (Lib/test/libregrtest/refleak.py): W warm-up calls, R measured runs, a
 * collection after each, and the deltas between consecutive readings of
 * the live blocks and bytes the allocator hook tracks and of the reference
 * counts of the call's arguments and result.  Something leaks when every
 * measured delta is >= 1 (refleak.py's check_rc_deltas, which it applies
 * to memory blocks too): a cost paid only by the first calls (a cache
 * filled once) is not a leak.
 *
 * Readings go to a C array on the stack: between the first and the last
 * reading the harness itself allocates nothing through Python (only the
 * student's calls and the collections run); the JSON is built afterwards.
 */
#include "base/wire.h"
#include "kinds/kind.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"
#include "kinds/verdict_kit.h"

#define LEAK_MAX_CALLS 16   /* warm-up calls, and measured runs, each at most */
#define LEAK_MAX_ARGS 8     /* positional arguments whose counts are followed */

/* "[1, 1, 1]"; caller frees. */
static char *deltas_text(const json_t *d)
{
	struct buf b;
	buf_init(&b, 4096);
	buf_puts(&b, "[");
	size_t i;
	json_t *v;
	json_array_foreach(d, i, v) {
		buf_printf(&b, "%s%lld", i ? ", " : "", (long long)json_integer_value(v));
	}
	buf_puts(&b, "]");
	return buf_detach(&b, NULL);
}

/* regrtest's rule: a leak when every delta is >= 1.  *least gets the
 * smallest delta (what leaks at least, per call). */
static bool leaks(const json_t *d, long long *least)
{
	size_t i;
	json_t *v;
	*least = 0;
	if (!json_array_size(d))
		return false;
	json_array_foreach(d, i, v) {
		long long x = (long long)json_integer_value(v);
		if (x < 1)
			return false;
		if (i == 0 || x < *least)
			*least = x;
	}
	return true;
}

static bool verifies(const struct check *c, const char *what)
{
	const json_t *verify = json_object_get(c->expect, "verify");
	if (!verify)
		return strcmp(what, "bytes") != 0;   /* default: arguments, result, blocks */
	size_t i;
	json_t *v;
	json_array_foreach(verify, i, v) {
		if (!strcmp(json_string_value(v), what))
			return true;
	}
	return false;
}

static const char *ordinal(size_t i)
{
	static const char *const names[LEAK_MAX_ARGS] = { "first", "second", "third", "fourth",
							  "fifth", "sixth", "seventh", "eighth" };
	return i < LEAK_MAX_ARGS ? names[i] : "an";
}

/* The first leak found, as a message, or NULL. */
static char *find_leak(const struct check *c, const json_t *k, const char *call)
{
	long long n;
	const json_t *args = json_object_get(k, "args");
	if (verifies(c, "arguments")) {
		size_t i;
		json_t *d;
		json_array_foreach(args, i, d) {
			if (!leaks(d, &n))
				continue;
			char *dt = deltas_text(d);
			char *which = json_array_size(args) == 1 ? xstrdup("its argument") : xasprintf("its %s argument", ordinal(i));
			char *m = xasprintf("%s leaks %lld reference%s to %s per call: deltas %s", call, n, n == 1 ? "" : "s",
					    which, dt);
			free(which);
			free(dt);
			return m;
		}
	}
	const json_t *d = json_object_get(k, "result");
	if (verifies(c, "result") && d && leaks(d, &n)) {
		char *dt = deltas_text(d);
		char *m = xasprintf("%s keeps %lld more reference%s to its result after each call: deltas %s", call, n,
				    n == 1 ? "" : "s", dt);
		free(dt);
		return m;
	}
	d = json_object_get(k, "blocks");
	if (verifies(c, "blocks") && leaks(d, &n)) {
		char *dt = deltas_text(d);
		char *m = xasprintf("%s leaks %lld memory block%s per call: deltas %s", call, n, n == 1 ? "" : "s", dt);
		free(dt);
		return m;
	}
	d = json_object_get(k, "bytes");
	if (verifies(c, "bytes") && leaks(d, &n)) {
		char *dt = deltas_text(d);
		char *m = xasprintf("%s keeps at least %lld more bytes alive after each call: deltas %s", call, n, dt);
		free(dt);
		return m;
	}
	return NULL;
}

static void decide_leak(const struct check *c, const json_t *result, const json_t *k, struct check_result *out)
{
	if (!verdict_function_found(c, k, out))
		return;
	char *call = verdict_call_text(c);
	const json_t *exc = json_object_get(k, "exception");
	const char *herr = wire_harness_error(k);
	if (herr) {
		verdict_set(out, STATUS_ERROR, "grader error: %s", herr);
	} else if (exc) {
		char *during = xasprintf("calling %s (call %d)", call, (int)json_integer_value(json_object_get(k, "exception_call")));
		verdict_exception(c, exc, during, out);
		if (out->status == STATUS_ERROR)
			out->status = STATUS_FAIL;
		verdict_choose_feedback(out, verdict_feedback_text(c, "error"));
		free(during);
	} else if (json_is_true(json_object_get(k, "hook_removed")) && (verifies(c, "blocks") || verifies(c, "bytes"))) {
		verdict_set(out, STATUS_FAIL,
			    "%s removed the grader's allocator hook during the measured runs (tracemalloc.start() and "
			    "stop() in the other order?): its memory blocks cannot be counted", call);
		verdict_choose_feedback(out, verdict_feedback_text(c, "fail"));
	} else {
		char *leak = find_leak(c, k, call);
		int warmup = (int)json_integer_value(json_object_get(k, "warmup"));
		if (leak) {
			verdict_set(out, STATUS_FAIL, "%s (%d warm-up call%s first)", leak, warmup, warmup == 1 ? "" : "s");
			verdict_choose_feedback(out, verdict_feedback_text(c, "fail"));
		} else {
			char *blocks = deltas_text(json_object_get(k, "blocks"));
			verdict_set(out, STATUS_PASS, "%s leaks nothing: memory blocks %s over %zu runs after %d warm-up call%s",
				    call, blocks, json_array_size(json_object_get(k, "blocks")), warmup, warmup == 1 ? "" : "s");
			free(blocks);
		}
		free(leak);
	}
	free(call);
	verdict_output(c, result, "stdout_call", "the calls", out);
}

static const char *validate_leak(const json_t *spec, const json_t *expect)
{
	const char *const keys[] = { "warmup", "runs" };
	for (size_t i = 0; i < 2; i++) {
		const json_t *v = json_object_get(spec, keys[i]);
		if (v && (json_number_value(v) < 1 || json_number_value(v) > LEAK_MAX_CALLS ||
			  json_number_value(v) != (long)json_number_value(v)))
			return "'warmup' and 'runs' must be whole numbers from 1 to 16";
	}
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(expect, "verify"), i, v) {
		const char *s = json_string_value(v);
		if (strcmp(s, "arguments") && strcmp(s, "result") && strcmp(s, "blocks") && strcmp(s, "bytes"))
			return "'verify' items are arguments, result, blocks, bytes";
	}
	return NULL;
}

static const struct key_schema leak_keys[] = {
	KIND_CALL_KEYS,
	{ "warmup", KEY_NUMBER, TO_SPEC, false, NULL },
	{ "runs", KEY_NUMBER, TO_SPEC, false, NULL },
	{ "verify", KEY_STRING_LIST, TO_EXPECT, false, NULL },
	KIND_STDOUT_KEY,
	KIND_KEYS_END,
};

KIND_DEF(leak, validate_leak);
