/*
 * kind_import.c - the module imports (the harness does that for every
 * kind); optionally, what it prints while importing.
 */
#include "kinds/kind.h"

#include "kinds/verdict_kit.h"

static void decide_import(const struct check *c, const json_t *result, const json_t *kobs, struct check_result *out)
{
	(void)kobs;
	verdict_set(out, STATUS_PASS, "%s imports cleanly", json_string_value(json_object_get(c->spec, "module")));
	verdict_output(c, result, "stdout_import", "importing it", out);
}

static const struct key_schema import_keys[] = {
	{ "module", KEY_MODULE, TO_SPEC, true, NULL },
	KIND_STDOUT_KEY,
	KIND_KEYS_END,
};

KIND_DEF(import, NULL);
