#include "verdict.h"

#include <math.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "value.h"

static const char *const status_names[STATUS_COUNT] = {
	"pass", "fail", "error", "timeout", "memory", "crash", "forbidden", "skipped",
};

const char *check_status_name(enum check_status s)
{
	return s < STATUS_COUNT ? status_names[s] : "?";
}

void verdict_set(struct check_result *out, enum check_status status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(out->message);
	out->message = xvasprintf(fmt, ap);
	va_end(ap);
	out->status = status;
	out->score = status == STATUS_PASS ? out->max_score : 0;
}

static const char *fb(const struct check *c, const char *key)
{
	return json_string_value(json_object_get(c->feedback, key));
}

static void set_feedback(struct check_result *out, const char *text)
{
	out->feedback_chosen = true;
	free(out->feedback);
	out->feedback = text ? xstrdup(text) : NULL;
}

static char *where(const json_t *exc)
{
	const char *file = json_string_value(json_object_get(exc, "file"));
	json_int_t line = json_integer_value(json_object_get(exc, "line"));
	if (file && line)
		return xasprintf(" at %s:%d", file, (int)line);
	return xstrdup("");
}

static char *describe_exception(const json_t *exc)
{
	const char *type = json_string_value(json_object_get(exc, "type"));
	const char *msg = json_string_value(json_object_get(exc, "message"));
	char *at = where(exc);
	char *s = msg && *msg ? xasprintf("%s: %s%s", type ? type : "Exception", msg, at)
			      : xasprintf("%s%s", type ? type : "Exception", at);
	free(at);
	return s;
}

static const char *signal_text(int sig)
{
	switch (sig) {
	case SIGSEGV: return "segmentation fault";
	case SIGBUS: return "bus error";
	case SIGABRT: return "aborted";
	case SIGILL: return "illegal instruction";
	case SIGFPE: return "arithmetic exception";
	case SIGKILL: return "killed";
	case SIGSYS: return "forbidden system call";
	case SIGXFSZ: return "file size limit";
	default: return strsignal(sig);
	}
}

static char *size_text(size_t bytes)
{
	if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
		return xasprintf("%zu MiB", bytes >> 20);
	if (bytes >= 1024 && bytes % 1024 == 0)
		return xasprintf("%zu KiB", bytes >> 10);
	return xasprintf("%zu bytes", bytes);
}

/* An exception while running student code: memory, exit, or plain. */
static void exception_verdict(const struct check *c, const json_t *exc, const char *during,
			      struct check_result *out)
{
	char *what = describe_exception(exc);
	if (json_is_true(json_object_get(exc, "memory_error"))) {
		char *lim = size_text(c->limits.memory_bytes);
		verdict_set(out, STATUS_MEMORY, "memory limit (%s) reached %s: %s", lim, during, what);
		free(lim);
	} else if (json_is_true(json_object_get(exc, "system_exit"))) {
		verdict_set(out, STATUS_ERROR, "sys.exit(%s) was called %s",
			    str_or(json_string_value(json_object_get(exc, "exit_code")), ""), during);
	} else {
		verdict_set(out, STATUS_ERROR, "%s raised %s", during, what);
	}
	free(what);
}

/* Checks the envelope: did the child run to the end and report? */
static const json_t *envelope(const struct check *c, const json_t *result, struct check_result *out)
{
	const char *serr = json_string_value(json_object_get(result, "supervisor_error"));
	if (serr) {
		verdict_set(out, STATUS_ERROR, "grader error: %s", serr);
		return NULL;
	}
	const char *timeout = json_string_value(json_object_get(result, "timeout"));
	if (timeout && !strcmp(timeout, "wall")) {
		verdict_set(out, STATUS_TIMEOUT, "timed out: no result within the %g s wall-clock limit",
			    c->limits.wall_seconds);
		return NULL;
	}
	if (timeout && !strcmp(timeout, "cpu")) {
		verdict_set(out, STATUS_TIMEOUT, "timed out: used more than the %g s CPU time limit",
			    c->limits.cpu_seconds);
		return NULL;
	}
	const char *channel = json_string_value(json_object_get(result, "channel"));
	if (channel && !strcmp(channel, "tampered")) {
		verdict_set(out, STATUS_FORBIDDEN, "forbidden: the student's code wrote to the grader's result channel");
		return NULL;
	}
	if (channel && !strcmp(channel, "too_big")) {
		verdict_set(out, STATUS_ERROR, "the check's result was larger than the grader accepts");
		return NULL;
	}
	const json_t *obs = json_object_get(result, "observation");
	json_t *sig = json_object_get(result, "signal");
	if (!obs && sig) {
		int s = (int)json_integer_value(sig);
		if (s == SIGSYS)
			verdict_set(out, STATUS_FORBIDDEN, "forbidden: killed for a forbidden system call");
		else
			verdict_set(out, STATUS_CRASH, "the Python process crashed (signal %d, %s)", s, signal_text(s));
		return NULL;
	}
	if (!obs) {
		verdict_set(out, STATUS_CRASH,
			    "the process exited with status %d before the check finished (os._exit() or a similar early exit)",
			    (int)json_integer_value(json_object_get(result, "exit")));
		return NULL;
	}
	const char *herr = json_string_value(json_object_get(obs, "harness_error"));
	if (herr) {
		verdict_set(out, STATUS_ERROR, "grader error: %s", herr);
		return NULL;
	}
	const json_t *imp = json_object_get(obs, "import");
	const char *module = str_or(json_string_value(json_object_get(imp, "module")), "?");
	if (imp && !json_is_true(json_object_get(imp, "ok"))) {
		const json_t *exc = json_object_get(imp, "exception");
		if (json_is_true(json_object_get(imp, "missing")) || json_is_true(json_object_get(exc, "missing"))) {
			verdict_set(out, STATUS_ERROR, "%s.py is missing from the submission", module);
		} else if (exc && !strcmp(str_or(json_string_value(json_object_get(exc, "type")), ""), "SyntaxError")) {
			json_int_t line = json_integer_value(json_object_get(exc, "line"));
			json_int_t col = json_integer_value(json_object_get(exc, "col"));
			verdict_set(out, STATUS_ERROR, "%s.py does not compile: SyntaxError at line %d, column %d: %s",
				    module, (int)line, (int)col, str_or(json_string_value(json_object_get(exc, "message")), ""));
		} else {
			char *during = xasprintf("while importing %s.py", module);
			exception_verdict(c, exc, during, out);
			free(during);
		}
		return NULL;
	}
	return obs;
}

static bool output_matches(const json_t *want, const char *got, char **why)
{
	const char *exact = json_string_value(json_object_get(want, "exact"));
	const char *contains = json_string_value(json_object_get(want, "contains"));
	const char *pattern = json_string_value(json_object_get(want, "regex"));
	if (exact) {
		if (!strcmp(exact, got))
			return true;
		*why = *exact ? xasprintf("printed %s than expected", strlen(got) ? "something other" : "less")
			      : xstrdup("printed output although it should print nothing");
		return false;
	}
	if (contains) {
		if (strstr(got, contains))
			return true;
		*why = xasprintf("its output does not contain \"%s\"", contains);
		return false;
	}
	regex_t re;
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
		*why = xasprintf("bad regex in the rubric: %s", pattern);
		return false;
	}
	bool ok = regexec(&re, got, 0, NULL, 0) == 0;
	regfree(&re);
	if (!ok)
		*why = xasprintf("its output does not match /%s/", pattern);
	return ok;
}

static char *first_line(const char *text, size_t max)
{
	size_t n = strcspn(text, "\n");
	if (n > max)
		n = max;
	return xstrndup(text, n);
}

static void verdict_output(const struct check *c, const json_t *result, const char *stream, const char *when,
			   struct check_result *out)
{
	const json_t *want = json_object_get(c->expect, "stdout");
	if (!want || out->status != STATUS_PASS)
		return;
	const char *got = str_or(json_string_value(json_object_get(result, stream)), "");
	char *why = NULL;
	if (!output_matches(want, got, &why)) {
		char *line = first_line(got, 60);
		verdict_set(out, STATUS_FAIL, "%s %s%s%s%s", when, why, *got ? " (\"" : "", line, *got ? "...\")" : "");
		free(line);
		set_feedback(out, fb(c, "fail"));
	}
	free(why);
}

static void decide_import(const struct check *c, const json_t *result, const json_t *obs, struct check_result *out)
{
	(void)obs;
	verdict_set(out, STATUS_PASS, "%s imports cleanly", json_string_value(json_object_get(c->spec, "module")));
	verdict_output(c, result, "stdout_import", "importing it", out);
}

static const char *func_name(const struct check *c)
{
	const char *f = str_or(json_string_value(json_object_get(c->spec, "function")), "?");
	const char *dot = strrchr(f, '.');
	return dot ? dot + 1 : f;
}

/* Shared by kinds that call one function: missing or not callable. */
static bool function_found(const struct check *c, const json_t *kobs, struct check_result *out)
{
	const char *missing = json_string_value(json_object_get(kobs, "missing"));
	const char *notcall = json_string_value(json_object_get(kobs, "not_callable"));
	const char *f = str_or(json_string_value(json_object_get(c->spec, "function")), "?");
	if (missing) {
		verdict_set(out, STATUS_FAIL, "%.*s.py defines no '%s'", (int)(strrchr(f, '.') - f), f, missing);
		return false;
	}
	if (notcall) {
		verdict_set(out, STATUS_FAIL, "'%s' is a %s, not a function", func_name(c), notcall);
		return false;
	}
	return true;
}

static char *args_text(const struct check *c)
{
	json_t *args = json_object_get(c->spec, "args");
	char *s = args ? value_repr(args, 120) : xstrdup("[]");
	size_t n = strlen(s);
	/* "[1, 2]" -> "1, 2" */
	char *inner = n >= 2 ? xstrndup(s + 1, n - 2) : xstrdup("");
	free(s);
	return inner;
}

static void decide_call(const struct check *c, const json_t *result, const json_t *obs, struct check_result *out)
{
	const json_t *k = json_object_get(obs, "call");
	if (!function_found(c, k, out))
		return;
	char *args = args_text(c);
	char *call = xasprintf("%s(%s)", func_name(c), args);
	free(args);
	const json_t *exc = json_object_get(k, "exception");
	const char *raises = json_string_value(json_object_get(c->expect, "raises"));
	const json_t *returns = json_object_get(k, "returns");
	const char *herr = json_string_value(json_object_get(k, "harness_error"));
	if (herr) {
		verdict_set(out, STATUS_ERROR, "grader error: %s", herr);
	} else if (exc) {
		const char *type = str_or(json_string_value(json_object_get(exc, "type")), "");
		if (raises && !strcmp(type, raises)) {
			verdict_set(out, STATUS_PASS, "%s raised %s as expected", call, raises);
		} else {
			char *during = xasprintf("calling %s", call);
			exception_verdict(c, exc, during, out);
			if (out->status == STATUS_ERROR)
				out->status = STATUS_FAIL;
			/* The rubric's "fail" text is about wrong answers, not crashes. */
			set_feedback(out, fb(c, "error"));
			free(during);
		}
	} else if (raises) {
		char *got = returns ? value_repr(returns, 80) : xstrdup("a value");
		verdict_set(out, STATUS_FAIL, "%s returned %s instead of raising %s", call, got, raises);
		free(got);
	} else if (!returns) {
		verdict_set(out, STATUS_FAIL, "%s returned a value the grader cannot compare: %s", call,
			    str_or(json_string_value(json_object_get(k, "unencodable")), "?"));
	} else {
		const json_t *want = json_object_get(c->expect, "returns");
		const char *want_type = json_string_value(json_object_get(c->expect, "returns_type"));
		const char *got_type = value_type_name(returns);
		double tol = json_number_value(json_object_get(c->expect, "tolerance"));
		char *got = value_repr(returns, 120);
		if (want_type && strcmp(want_type, got_type)) {
			verdict_set(out, STATUS_FAIL, "%s returned %s, a %s, not a %s", call, got, got_type, want_type);
			set_feedback(out, str_or(fb(c, "wrong_type"), fb(c, "fail")));
		} else if (want && !(tol > 0 ? value_close(want, returns, tol, 0) : value_equal(want, returns))) {
			char *exp = value_repr(want, 120);
			const char *exp_type = value_type_name(want);
			if (strcmp(exp_type, got_type)) {
				verdict_set(out, STATUS_FAIL, "%s returned %s (a %s), expected %s (a %s)", call, got,
					    got_type, exp, exp_type);
				set_feedback(out, str_or(fb(c, "wrong_type"), fb(c, "fail")));
			} else {
				verdict_set(out, STATUS_FAIL, "%s returned %s, expected %s", call, got, exp);
			}
			free(exp);
		} else {
			verdict_set(out, STATUS_PASS, "%s returned %s", call, got);
		}
		free(got);
	}
	free(call);
	verdict_output(c, result, "stdout_call", "the call", out);
}

static const char *holder_text(const struct check *c)
{
	const char *how = json_string_value(json_object_get(c->spec, "hold"));
	return !how || !strcmp(how, "list") ? "in a list" : !strcmp(how, "dict") ? "in a dict" : "in attributes";
}

static void decide_refcount(const struct check *c, const json_t *result, const json_t *obs, struct check_result *out)
{
	(void)result;
	const json_t *k = json_object_get(obs, "refcount");
	if (!function_found(c, k, out))
		return;
	const json_t *cases = json_object_get(k, "cases");
	bool delta = !strcmp(str_or(json_string_value(json_object_get(c->expect, "compare")), "exact"), "delta");
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
			char *what = describe_exception(exc);
			problem = xasprintf("%s(%s) raised %s", func_name(c), obj, what);
			free(what);
			if (json_is_true(json_object_get(exc, "memory_error")))
				worst = STATUS_MEMORY;
		} else if (!ans || !json_is_integer(ans)) {
			char *got = ans ? value_repr(ans, 60) : xstrdup("?");
			problem = xasprintf("%s(%s) returned %s, a %s, not an int", func_name(c), obj, got,
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
							    (int)extra, holder_text(c), func_name(c), obj,
							    (int)(a - base_answer), (int)(extra - base_extra));
				else
					problem = xasprintf("with %d extra reference%s %s, %s(%s) returned %d; the true count is %d (off by %+ld)",
							    (int)extra, extra == 1 ? "" : "s", holder_text(c), func_name(c), obj,
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
		verdict_set(out, STATUS_PASS, "%s(%s) is right in all %zu case%s", func_name(c), obj, n, n == 1 ? "" : "s");
	} else {
		verdict_set(out, worst, "%s", first_problem ? first_problem : "no cases ran");
		if (c->partial && n && worst == STATUS_FAIL)
			out->score = out->max_score * (double)passed / (double)n;
		const char *text = NULL;
		if (wrong_type)
			text = fb(c, "wrong_type");
		if (!text && same_diff && common_diff) {
			char key[32];
			snprintf(key, sizeof(key), "%+ld", common_diff);
			text = json_string_value(json_object_get(json_object_get(c->feedback, "off_by"), key));
		}
		set_feedback(out, text ? text : fb(c, "fail"));
	}
	free(first_problem);
	free(obj);
}

static const char *status_feedback_key(enum check_status s)
{
	switch (s) {
	case STATUS_PASS: return "pass";
	case STATUS_FAIL: return "fail";
	case STATUS_ERROR: return "error";
	case STATUS_TIMEOUT: return "timeout";
	case STATUS_MEMORY: return "memory";
	case STATUS_CRASH: return "crash";
	case STATUS_FORBIDDEN: return "forbidden";
	default: return NULL;
	}
}

static char *combined_output(const json_t *result)
{
	const char *parts[] = { "stdout_import", "stdout_call", "stderr" };
	size_t total = 0;
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		total += strlen(str_or(json_string_value(json_object_get(result, parts[i])), ""));
	if (!total)
		return NULL;
	char *s = xmalloc(total + 1);
	s[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		strcat(s, str_or(json_string_value(json_object_get(result, parts[i])), ""));
	return s;
}

void verdict_decide(const struct check *c, const json_t *result, struct check_result *out)
{
	out->seconds = json_number_value(json_object_get(result, "wall"));
	free(out->output);
	out->output = combined_output(result);
	const json_t *obs = envelope(c, result, out);
	if (obs) {
		switch (c->kind) {
		case CHECK_IMPORT: decide_import(c, result, obs, out); break;
		case CHECK_CALL: decide_call(c, result, obs, out); break;
		case CHECK_REFCOUNT: decide_refcount(c, result, obs, out); break;
		default: verdict_set(out, STATUS_ERROR, "grader error: unknown check kind"); break;
		}
	}
	/* Feedback named for the outcome, unless the kind chose a sharper one. */
	if (!out->feedback_chosen) {
		const char *key = status_feedback_key(out->status);
		set_feedback(out, key ? fb(c, key) : NULL);
	}
}
