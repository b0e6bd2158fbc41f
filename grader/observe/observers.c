#include "observe/observe.h"

extern const struct observer observer_call;
extern const struct observer observer_refcount;
extern const struct observer observer_bytecode;
extern const struct observer observer_source;
extern const struct observer observer_memprof;
extern const struct observer observer_gc;
extern const struct observer observer_alloc;
extern const struct observer observer_leak;

/* The import kind observes nothing beyond the import itself. */
static const struct observer observer_import = { NULL, false };

static const struct observer *const observers[CHECK_KIND_COUNT] = {
	[CHECK_IMPORT] = &observer_import,
	[CHECK_CALL] = &observer_call,
	[CHECK_REFCOUNT] = &observer_refcount,
	[CHECK_BYTECODE] = &observer_bytecode,
	[CHECK_SOURCE] = &observer_source,
	[CHECK_MEMPROF] = &observer_memprof,
	[CHECK_GC] = &observer_gc,
	[CHECK_ALLOC] = &observer_alloc,
	[CHECK_LEAK] = &observer_leak,
};

const struct observer *observer_of(enum check_kind kind)
{
	return observers[kind];
}
