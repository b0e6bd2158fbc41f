/*
 * locate.c - where in the student's code a check went wrong, for the
 * reports that point at a line (github annotations, Code Quality, JUnit).
 *
 * Read from the observation the check child sent (data, never trusted
 * beyond that): a forbidden act's frame, else the innermost traceback
 * frame in a submission file of the first exception recorded (import
 * first), else the def line of the function under test ("def", recorded by
 * observe_function), else the module's file.  The child names student
 * files relatively (their base names); anything else is not the student's
 * and is ignored.
 */
#include "kinds/verdict.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* A file name the child reports for student code: relative, no "..". */
static bool student_file(const char *f)
{
	return f && *f && f[0] != '/' && f[0] != '<' && !strstr(f, "..") && strlen(f) < 256;
}

static bool take(const json_t *where, struct check_result *out)
{
	const char *file = json_string_value(json_object_get(where, "file"));
	json_int_t line = json_integer_value(json_object_get(where, "line"));
	if (!student_file(file))
		return false;
	out->file = xstrdup(file);
	out->line = line > 0 && line < 1000000000 ? (int)line : 0;
	return true;
}

/* The first exception-like object ({"type", "file"...}) in j, depth first
 * in key order (jansson keeps insertion order: the child's order). */
static const json_t *find_exception(const json_t *j, int depth)
{
	if (depth > 8)
		return NULL;
	if (json_is_object(j)) {
		if (json_is_string(json_object_get(j, "type")) && student_file(json_string_value(json_object_get(j, "file"))))
			return j;
		const char *k;
		const json_t *v;
		json_object_foreach((json_t *)j, k, v) {
			const json_t *e = strcmp(k, "def") ? find_exception(v, depth + 1) : NULL;
			if (e)
				return e;
		}
	} else if (json_is_array(j)) {
		size_t i;
		const json_t *v;
		json_array_foreach(j, i, v) {
			const json_t *e = find_exception(v, depth + 1);
			if (e)
				return e;
		}
	}
	return NULL;
}

static bool has_key(const json_t *j, const char *key, int depth)
{
	if (depth > 8)
		return false;
	const char *k;
	const json_t *v;
	size_t i;
	if (json_is_object(j)) {
		if (json_object_get(j, key))
			return true;
		json_object_foreach((json_t *)j, k, v)
			if (has_key(v, key, depth + 1))
				return true;
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (has_key(v, key, depth + 1))
				return true;
	}
	return false;
}

/* The module the check is about: its 'module', or the part of
 * 'function' before the last dot. */
static char *module_file(const struct check *c)
{
	const char *m = json_string_value(json_object_get(c->spec, "module"));
	const char *f = json_string_value(json_object_get(c->spec, "function"));
	if (m)
		return xasprintf("%s.py", m);
	if (f && strrchr(f, '.'))
		return xasprintf("%.*s.py", (int)(strrchr(f, '.') - f), f);
	return NULL;
}

void verdict_locate(const struct check *c, const json_t *result, struct check_result *out)
{
	free(out->file);
	out->file = NULL;
	out->line = 0;
	const json_t *obs = json_object_get(result, "observation");
	if (out->status == STATUS_ERROR && (json_object_get(result, "supervisor_error") || has_key(obs, "harness_error", 0)))
		out->harness_error = true;
	if (out->status == STATUS_PASS || out->status == STATUS_SKIPPED)
		return;
	if (out->status == STATUS_FORBIDDEN) {
		size_t i;
		const json_t *v;
		json_array_foreach(json_object_get(obs, "violations"), i, v)
			if (json_is_true(json_object_get(v, "forbidden")) && take(v, out))
				return;
	}
	const json_t *imp = json_object_get(obs, "import");
	const json_t *exc = imp && !json_is_true(json_object_get(imp, "ok")) ? json_object_get(imp, "exception") : NULL;
	if (exc && take(exc, out))
		return;
	/* A file the submission lacks has no line to point at. */
	if (imp && (json_is_true(json_object_get(imp, "missing")) ||
		    json_is_true(json_object_get(json_object_get(imp, "exception"), "missing"))))
		return;
	const json_t *kobs = json_object_get(obs, check_kind_name(c->kind));
	if ((exc = find_exception(kobs, 0)) && take(exc, out))
		return;
	if (take(json_object_get(kobs, "def"), out))
		return;
	out->file = module_file(c);
}
