#include "control/hang.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/wire.h"
#include "kinds/kind.h"
#include "kinds/verdict.h"

/* "refcount.count_refs", "the import of refcount", "the wrapper that
 * memprof.profile_memory returned" (new). */
static char *what_hung(const struct hang *h)
{
	switch (h->in) {
	case PHASE_IMPORT: return xasprintf("the import of %s", h->callable);
	case PHASE_WRAPPER: return xasprintf("the wrapper that %s returned", h->callable);
	default: return xstrdup(h->callable);
	}
}

void hang_note(struct hang_list *l, const struct check *c, const json_t *result, double waited,
	       struct check_result *cr)
{
	const json_t *phase = json_object_get(result, WIRE_KEY_PHASE); /* borrowed */
	const char *check = json_string_value(json_object_get(phase, WIRE_KEY_CHECK));
	const char *callable = json_string_value(json_object_get(phase, "callable"));
	enum phase_in in = phase_in_by_name(json_string_value(json_object_get(phase, "in")));
	if (!check || strcmp(check, c->id) || !callable || !*callable || in == PHASE_NONE)
		return;
	l->items = xrealloc(l->items, (l->n + 1) * sizeof(*l->items));
	struct hang *h = &l->items[l->n++];
	*h = (struct hang){ .callable = xstrdup(callable), .in = in, .check = xstrdup(c->id), .waited = waited };
	char *what = what_hung(h);
	char *msg = xasprintf("%s (stuck in %s)", cr->message ? cr->message : "timed out", what);
	free(cr->message);
	cr->message = msg;
	free(what);
}

const struct hang *hang_blocking(const struct hang_list *l, const struct check *c)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].in == PHASE_IMPORT || kind_calls(c, l->items[i].callable))
			return &l->items[i];
	return NULL;
}

void hang_verdict(const struct hang *h, struct check_result *cr)
{
	char *what = what_hung(h);
	verdict_set(cr, STATUS_TIMEOUT, "not run: %s did not return within %g s in check '%s'", what, h->waited,
		    h->check);
	free(what);
}

void hang_list_release(struct hang_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].callable);
		free(l->items[i].check);
	}
	free(l->items);
	*l = (struct hang_list)HANG_LIST_INIT;
}
