/*
 * kind_source.c - what a student file imports and which names it uses,
 * read from the code object the supervisor compiled before any student
 * code ran (module_compiled), never from the live module: nothing the
 * student's code does at import time can hide or fake a use.
 *
 * Uses are dotted names resolved through the file's imports: after
 * "import gc as g", "g.get_referrers" is "gc.get_referrers"; after "from
 * gc import get_referrers", the name itself is.  Calls through getattr()
 * with a computed name, exec() or eval() of a string are not resolved;
 * __import__("x") and importlib.import_module("x") with constant names
 * count as imports of x.
 */
#include "base/wire.h"
#include "kinds/kind.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "kinds/verdict_kit.h"

#define SOURCE_MAX_NAMES 2000

/* The first entry of 'list' ({"name", "line"}) that is 'want' or, with
 * 'prefix', a submodule of it. */
static const json_t *find_name(const json_t *list, const char *want, bool prefix)
{
	size_t i, n = strlen(want);
	json_t *e;
	json_array_foreach(list, i, e) {
		const char *name = str_or(json_string_value(json_object_get(e, "name")), "");
		if (!strcmp(name, want) || (prefix && !strncmp(name, want, n) && name[n] == '.'))
			return e;
	}
	return NULL;
}

static void decide_source(const struct check *c, const json_t *result, const json_t *k, struct check_result *out)
{
	(void)result;
	const char *herr = wire_harness_error(k);
	if (herr) {
		verdict_set(out, STATUS_ERROR, "grader error: %s", herr);
		return;
	}
	const char *file = str_or(json_string_value(json_object_get(k, "file")), "?");
	char *problem = NULL;
	size_t i;
	json_t *w;
	json_array_foreach(json_object_get(c->expect, "forbid_imports"), i, w) {
		const json_t *hit = find_name(json_object_get(k, "imports"), json_string_value(w), true);
		if (hit && !problem)
			problem = xasprintf("%s:%d imports %s, which this exercise forbids", file,
					    (int)json_integer_value(json_object_get(hit, "line")),
					    json_string_value(json_object_get(hit, "name")));
	}
	json_array_foreach(json_object_get(c->expect, "forbid_calls"), i, w) {
		const json_t *hit = find_name(json_object_get(k, "uses"), json_string_value(w), false);
		if (hit && !problem)
			problem = xasprintf("%s:%d uses %s, which this exercise forbids", file,
					    (int)json_integer_value(json_object_get(hit, "line")), json_string_value(w));
	}
	json_array_foreach(json_object_get(c->expect, "require_calls"), i, w) {
		if (!find_name(json_object_get(k, "uses"), json_string_value(w), false) && !problem)
			problem = xasprintf("%s never uses %s", file, json_string_value(w));
	}
	if (problem) {
		verdict_set(out, STATUS_FAIL, "%s", problem);
		verdict_choose_feedback(out, verdict_feedback_text(c, "fail"));
	} else {
		verdict_set(out, STATUS_PASS, "%s uses nothing forbidden", file);
	}
	free(problem);
}

static const char *validate_source(const json_t *spec, const json_t *expect)
{
	(void)spec;
	if (!json_object_get(expect, "forbid_imports") && !json_object_get(expect, "forbid_calls") &&
	    !json_object_get(expect, "require_calls"))
		return "a source check needs 'forbid_imports', 'forbid_calls' or 'require_calls'";
	return NULL;
}

static const struct key_schema source_keys[] = {
	{ "module", KEY_MODULE, TO_SPEC, true, NULL },
	{ "forbid_imports", KEY_STRING_LIST, TO_EXPECT, false, NULL },
	{ "forbid_calls", KEY_STRING_LIST, TO_EXPECT, false, NULL },
	{ "require_calls", KEY_STRING_LIST, TO_EXPECT, false, NULL },
	KIND_KEYS_END,
};

KIND_DEF(source, validate_source);
