#include "kinds/kind.h"

#include <string.h>

extern const struct kind_def kind_import;
extern const struct kind_def kind_call;
extern const struct kind_def kind_refcount;
extern const struct kind_def kind_bytecode;
extern const struct kind_def kind_source;
extern const struct kind_def kind_memprof;
extern const struct kind_def kind_gc;
extern const struct kind_def kind_alloc;
extern const struct kind_def kind_leak;

static const struct kind_def *const kinds[CHECK_KIND_COUNT] = {
	[CHECK_IMPORT] = &kind_import,
	[CHECK_CALL] = &kind_call,
	[CHECK_REFCOUNT] = &kind_refcount,
	[CHECK_BYTECODE] = &kind_bytecode,
	[CHECK_SOURCE] = &kind_source,
	[CHECK_MEMPROF] = &kind_memprof,
	[CHECK_GC] = &kind_gc,
	[CHECK_ALLOC] = &kind_alloc,
	[CHECK_LEAK] = &kind_leak,
};

const struct kind_def *kind_def(enum check_kind kind)
{
	return kinds[kind];
}

bool kind_calls(const struct check *c, const char *callable)
{
	const struct kind_def *k = kind_def(c->kind);
	if (k->calls)
		return k->calls(c->spec, callable);
	const char *fn = json_string_value(json_object_get(c->spec, "function"));
	return fn && callable && !strcmp(fn, callable);
}
