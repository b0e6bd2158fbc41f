#include "kinds/verdict.h"
#include "base/wire.h"

#include <math.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinds/kind.h"
#include "base/util.h"
#include "base/value.h"
#include "kinds/verdict_kit.h"

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

const char *verdict_feedback_text(const struct check *c, const char *key)
{
	return json_string_value(json_object_get(c->feedback, key));
}

void verdict_choose_feedback(struct check_result *out, const char *text)
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

char *verdict_describe_exception(const json_t *exc)
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

char *verdict_size_text(size_t bytes)
{
	if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
		return xasprintf("%zu MiB", bytes >> 20);
	if (bytes >= 1024 && bytes % 1024 == 0)
		return xasprintf("%zu KiB", bytes >> 10);
	return xasprintf("%zu bytes", bytes);
}

/* An exception while running student code: memory, exit, or plain. */
void verdict_exception(const struct check *c, const json_t *exc, const char *during,
			      struct check_result *out)
{
	char *what = verdict_describe_exception(exc);
	if (json_is_true(json_object_get(exc, "memory_error"))) {
		char *lim = verdict_size_text(c->limits.memory_bytes);
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
	const char *suberr = json_string_value(json_object_get(result, WIRE_KEY_SUBMISSION_ERROR));
	if (suberr) {
		verdict_set(out, STATUS_ERROR, "the submission cannot be graded: %s", suberr);
		return NULL;
	}
	const char *serr = json_string_value(json_object_get(result, WIRE_KEY_SUPERVISOR_ERROR));
	if (serr) {
		verdict_set(out, STATUS_ERROR, "grader error: %s", serr);
		return NULL;
	}
	const char *timeout = json_string_value(json_object_get(result, WIRE_KEY_TIMEOUT));
	if (timeout && !strcmp(timeout, WIRE_TIMEOUT_WALL)) {
		verdict_set(out, STATUS_TIMEOUT, "timed out: no result within the %g s wall-clock limit",
			    c->limits.wall_seconds);
		return NULL;
	}
	if (timeout && !strcmp(timeout, WIRE_TIMEOUT_CPU)) {
		verdict_set(out, STATUS_TIMEOUT, "timed out: used more than the %g s CPU time limit",
			    c->limits.cpu_seconds);
		return NULL;
	}
	const char *channel = json_string_value(json_object_get(result, WIRE_KEY_CHANNEL));
	if (channel && !strcmp(channel, WIRE_CHANNEL_TAMPERED)) {
		verdict_set(out, STATUS_FORBIDDEN, "forbidden: the student's code wrote to the grader's result channel");
		return NULL;
	}
	const json_t *obs = json_object_get(result, WIRE_KEY_OBSERVATION);
	json_t *sig = json_object_get(result, WIRE_KEY_SIGNAL);
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
			    (int)json_integer_value(json_object_get(result, WIRE_KEY_EXIT)));
		return NULL;
	}
	const char *herr = wire_harness_error(obs);
	if (herr) {
		verdict_set(out, STATUS_ERROR, "grader error: %s", herr);
		return NULL;
	}
	const json_t *imp = json_object_get(obs, WIRE_KEY_IMPORT);
	const char *module = str_or(json_string_value(json_object_get(imp, WIRE_KEY_MODULE)), "?");
	if (imp && !json_is_true(json_object_get(imp, WIRE_KEY_OK))) {
		const json_t *exc = json_object_get(imp, WIRE_KEY_EXCEPTION);
		if (json_is_true(json_object_get(imp, WIRE_KEY_MISSING)) || json_is_true(json_object_get(exc, WIRE_KEY_MISSING))) {
			verdict_set(out, STATUS_ERROR, "%s.py is missing from the submission", module);
		} else if (exc && !strcmp(str_or(json_string_value(json_object_get(exc, "type")), ""), "SyntaxError")) {
			json_int_t line = json_integer_value(json_object_get(exc, "line"));
			json_int_t col = json_integer_value(json_object_get(exc, "col"));
			verdict_set(out, STATUS_ERROR, "%s.py does not compile: SyntaxError at line %d, column %d: %s",
				    module, (int)line, (int)col, str_or(json_string_value(json_object_get(exc, "message")), ""));
		} else {
			char *during = xasprintf("while importing %s.py", module);
			verdict_exception(c, exc, during, out);
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

void verdict_output(const struct check *c, const json_t *result, const char *stream, const char *when,
			   struct check_result *out)
{
	verdict_output_key(c, result, "stdout", stream, when, out);
}

void verdict_output_key(const struct check *c, const json_t *result, const char *key, const char *stream,
			const char *when, struct check_result *out)
{
	const json_t *want = json_object_get(c->expect, key);
	if (!want || out->status != STATUS_PASS)
		return;
	const char *got = str_or(json_string_value(json_object_get(result, stream)), "");
	char *why = NULL;
	if (!output_matches(want, got, &why)) {
		char *line = first_line(got, 60);
		verdict_set(out, STATUS_FAIL, "%s %s%s%s%s", when, why, *got ? " (\"" : "", line, *got ? "...\")" : "");
		free(line);
		verdict_choose_feedback(out, verdict_feedback_text(c, "fail"));
	}
	free(why);
}

const char *verdict_function_name(const struct check *c)
{
	const char *f = str_or(json_string_value(json_object_get(c->spec, "function")), "?");
	const char *dot = strrchr(f, '.');
	return dot ? dot + 1 : f;
}

/* Shared by kinds that call one function: missing or not callable. */
bool verdict_function_found(const struct check *c, const json_t *kobs, struct check_result *out)
{
	const char *missing = json_string_value(json_object_get(kobs, "missing"));
	const char *notcall = json_string_value(json_object_get(kobs, "not_callable"));
	const char *f = str_or(json_string_value(json_object_get(c->spec, "function")), "?");
	if (missing) {
		verdict_set(out, STATUS_FAIL, "%.*s.py defines no '%s'", (int)(strrchr(f, '.') - f), f, missing);
		return false;
	}
	if (notcall) {
		verdict_set(out, STATUS_FAIL, "'%s' is a %s, not a function", verdict_function_name(c), notcall);
		return false;
	}
	return true;
}

char *verdict_args_text(const struct check *c)
{
	json_t *args = json_object_get(c->spec, "args");
	char *s = args ? value_repr(args, 120) : xstrdup("[]");
	size_t n = strlen(s);
	/* "[1, 2]" -> "1, 2" */
	char *inner = n >= 2 ? xstrndup(s + 1, n - 2) : xstrdup("");
	free(s);
	return inner;
}

char *verdict_call_text(const struct check *c)
{
	char *args = verdict_args_text(c);
	char *call = xasprintf("%s(%s)", verdict_function_name(c), args);
	free(args);
	return call;
}

/* The rubric's feedback key for a status: its name, for every status
 * that has feedback (all but skipped). */
static const char *status_feedback_key(enum check_status s)
{
	return s < STATUS_SKIPPED ? check_status_name(s) : NULL;
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

/* ---- what the audit hook refused --------------------------------------------------------------------------- */

/* "PATH (read)" -> PATH, without the mode the hook appends to file events; a new string. */
static char *violation_path(const char *detail, bool *write)
{
	size_t n = strlen(detail);
	*write = n > 8 && !strcmp(detail + n - 8, " (write)");
	if (*write)
		return xstrndup(detail, n - 8);
	if (n > 7 && !strcmp(detail + n - 7, " (read)"))
		return xstrndup(detail, n - 7);
	return xstrdup(detail);
}

/* One audit record in words: "ctypes imported", "opening '/etc/passwd' for reading", "subprocess.Popen ('sh')". */
static char *describe_violation(const json_t *v)
{
	const char *event = str_or(json_string_value(json_object_get(v, WIRE_KEY_EVENT)), "?");
	const char *detail = str_or(json_string_value(json_object_get(v, WIRE_KEY_DETAIL)), "");
	bool write = false;
	char *path = violation_path(detail, &write);
	char *s;
	if (!strcmp(event, "import"))
		s = xasprintf("%s imported", *detail ? detail : "a module");
	else if (!strcmp(event, "open"))
		s = xasprintf("opening '%s' for %s", path, write ? "writing" : "reading");
	else if (!strncmp(event, "os.", 3) && strcmp(path, detail))	/* a file event: the hook named a mode */
		s = xasprintf("%s on '%s'", event, path);
	else if (!strcmp(event, "socket.__new__"))
		s = xasprintf("creating a socket (address family %s)", *detail ? detail : "?");
	else if (!strncmp(event, "_thread.", 8))
		s = xstrdup("starting a thread");
	else if (!strcmp(event, "code.__new__"))
		s = xstrdup("building a code object");
	else if (*detail)
		s = xasprintf("%s ('%.80s%s')", event, detail, strlen(detail) > 80 ? "..." : "");
	else
		s = xstrdup(event);
	free(path);
	return s;
}

static char *violation_where(const json_t *v)
{
	const char *file = json_string_value(json_object_get(v, WIRE_KEY_FILE));
	json_int_t line = json_integer_value(json_object_get(v, WIRE_KEY_LINE));
	if (file && *file && line > 0)
		return xasprintf(" at %s:%d", file, (int)line);
	if (file && *file)
		return xasprintf(" in %s", file);
	return xstrdup("");
}

/*
 * The audit hook's records in the observation ("violations", "violations_dropped").  A forbidden one decides the
 * check, whatever the kind made of its answer: the code did something no solution needs, and what it returned
 * may have been obtained that way.  Refused reads (forbidden = false) are what the standard library also does
 * when it probes optional files, so they only explain a check that went wrong anyway.
 */
static void apply_violations(const json_t *obs, struct check_result *out)
{
	const json_t *list = json_object_get(obs, WIRE_KEY_VIOLATIONS);
	size_t n = json_array_size(list), forbidden = 0, refused = 0;
	size_t dropped = (size_t)json_integer_value(json_object_get(obs, WIRE_KEY_VIOLATIONS_DROPPED));
	const json_t *first_forbidden = NULL, *first_refused = NULL;
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_array_get(list, i);
		if (json_is_true(json_object_get(v, WIRE_KEY_FORBIDDEN))) {
			if (!forbidden++)
				first_forbidden = v;
		} else if (!refused++) {
			first_refused = v;
		}
	}
	if (out->status == STATUS_SKIPPED)
		return;
	if (first_forbidden) {
		char *what = describe_violation(first_forbidden);
		char *at = violation_where(first_forbidden);
		size_t more = forbidden - 1 + dropped;
		char extra[32] = "";
		if (more)
			snprintf(extra, sizeof(extra), " (+%zu more)", more);
		verdict_set(out, STATUS_FORBIDDEN, "forbidden: %s%s%s", what, at, extra);
		/* The kind's feedback was about an answer; this outcome has its own. */
		out->feedback_chosen = false;
		free(what);
		free(at);
		return;
	}
	if (first_refused && out->status != STATUS_PASS) {
		bool write = false;
		char *path = violation_path(str_or(json_string_value(json_object_get(first_refused, WIRE_KEY_DETAIL)), ""), &write);
		char *msg = xasprintf("%s; note: refused to %s '%s'%s", str_or(out->message, ""),
				      !strcmp(str_or(json_string_value(json_object_get(first_refused, WIRE_KEY_EVENT)), ""), "open")
					      ? "open" : "access",
				      path, refused + dropped > 1 ? " and others" : "");
		free(out->message);
		out->message = msg;
		free(path);
	}
}

/* Whether the kind's observation holds 'path' ("profile.top"): every key
 * there, and the last one not null. */
static bool observed(const json_t *kobs, const char *path)
{
	char *copy = xstrdup(path);
	const json_t *v = kobs;
	for (char *save = NULL, *key = strtok_r(copy, ".", &save); v && key; key = strtok_r(NULL, ".", &save))
		v = json_object_get(v, key);
	free(copy);
	return v && !json_is_null(v);
}

/* A check whose 'when' does not hold counts for nothing: an optional
 * feature the submission does not provide is not a mistake. */
static void skip_unobserved(const struct check *c, struct check_result *out)
{
	verdict_set(out, STATUS_SKIPPED, "not graded: %s",
		    str_or(c->when_otherwise, "what this check is about was not observed"));
	out->max_score = 0;
	out->feedback_chosen = true;
}

void verdict_decide(const struct check *c, const json_t *result, struct check_result *out)
{
	out->seconds = json_number_value(json_object_get(result, WIRE_KEY_WALL));
	free(out->output);
	out->output = combined_output(result);
	const json_t *obs = envelope(c, result, out);
	if (obs) {
		const struct kind_def *kd = kind_def(c->kind);
		json_t *none = json_object();
		const json_t *kobs = json_object_get(obs, kd->name);
		if (c->when_observed && !observed(kobs, c->when_observed)) {
			json_decref(none);
			skip_unobserved(c, out);
			return;
		}
		kd->decide(c, result, kobs ? kobs : none, out);
		json_decref(none);
	}
	apply_violations(json_object_get(result, WIRE_KEY_OBSERVATION), out);
	/* Feedback named for the outcome, unless the kind chose a sharper one. */
	if (!out->feedback_chosen) {
		const char *key = status_feedback_key(out->status);
		verdict_choose_feedback(out, key ? verdict_feedback_text(c, key) : NULL);
	}
	verdict_locate(c, result, out);
}
