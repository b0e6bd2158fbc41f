#include "kinds/check.h"

#include "base/util.h"

#include <stdlib.h>
#include <string.h>

/* Indexed by enum check_kind: the names rubrics write and requests carry. */
static const char *const kind_names[CHECK_KIND_COUNT] = {
	[CHECK_IMPORT] = "import",
	[CHECK_CALL] = "call",
	[CHECK_REFCOUNT] = "refcount",
	[CHECK_BYTECODE] = "bytecode",
	[CHECK_SOURCE] = "source",
	[CHECK_MEMPROF] = "memprof",
	[CHECK_GC] = "gc",
	[CHECK_ALLOC] = "alloc",
	[CHECK_LEAK] = "leak",
};

const char *check_kind_name(enum check_kind kind)
{
	return (unsigned)kind < CHECK_KIND_COUNT ? kind_names[kind] : "?";
}

int check_kind_by_name(const char *name)
{
	for (size_t i = 0; name && i < CHECK_KIND_COUNT; i++)
		if (!strcmp(kind_names[i], name))
			return (int)i;
	return -1;
}

void limits_inherit(struct limits *l, const struct limits *parent)
{
	if (!l->wall_seconds)
		l->wall_seconds = parent->wall_seconds;
	if (!l->cpu_seconds)
		l->cpu_seconds = parent->cpu_seconds;
	if (!l->memory_bytes)
		l->memory_bytes = parent->memory_bytes;
	if (!l->output_bytes)
		l->output_bytes = parent->output_bytes;
}

bool version_cond_holds(const struct version_cond *cond, int major, int minor)
{
	for (size_t i = 0; i < cond->count; i++) {
		int have = major * 100 + minor;
		int want = cond->terms[i].major * 100 + cond->terms[i].minor;
		const char *op = cond->terms[i].op;
		bool ok = !strcmp(op, ">=") ? have >= want : !strcmp(op, "<=") ? have <= want
			: !strcmp(op, ">") ? have > want : !strcmp(op, "<") ? have < want
			: !strcmp(op, "!=") ? have != want : have == want;
		if (!ok)
			return false;
	}
	return true;
}

void check_release(struct check *c)
{
	free(c->id);
	free(c->description);
	json_decref(c->feedback);
	free_strings(c->depends_on, c->n_depends);
	free_strings(c->requires, c->n_requires);
	free(c->when_observed);
	free(c->when_otherwise);
	free(c->python_text);
	json_decref(c->spec);
	json_decref(c->expect);
}
