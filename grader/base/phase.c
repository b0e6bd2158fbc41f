#include "base/phase.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/util.h"

static struct phase_page *current;   /* the child's page, or NULL */

struct phase_page *phase_page_map(void)
{
	void *p = mmap(NULL, sizeof(struct phase_page), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void phase_page_clear(struct phase_page *p)
{
	if (!p)
		return;
	p->in = PHASE_NONE;
	memset(p->check, 0, sizeof(p->check));
	memset(p->callable, 0, sizeof(p->callable));
}

static const char *const in_names[PHASE_COUNT] = {
	[PHASE_IMPORT] = "import", [PHASE_CALL] = "call", [PHASE_WRAPPER] = "wrapper",
};

const char *phase_in_name(enum phase_in in)
{
	return (unsigned)in < PHASE_COUNT ? in_names[in] : NULL;
}

enum phase_in phase_in_by_name(const char *name)
{
	for (int i = PHASE_NONE + 1; name && i < PHASE_COUNT; i++)
		if (!strcmp(in_names[i], name))
			return (enum phase_in)i;
	return PHASE_NONE;
}

/* A string the child wrote, cut at the field's end and made valid UTF-8
 * (new). */
static json_t *field_json(const char *field, size_t size)
{
	size_t len = strnlen(field, size);
	char *clean = utf8_sanitize(field, len);
	json_t *s = json_string(clean);
	free(clean);
	return s;
}

json_t *phase_page_json(const struct phase_page *p)
{
	const char *in = p ? phase_in_name((enum phase_in)p->in) : NULL;
	if (!in || !p->callable[0])
		return NULL;
	return json_pack("{s:o, s:o, s:s}", "check", field_json(p->check, sizeof(p->check)), "callable",
			 field_json(p->callable, sizeof(p->callable)), "in", in);
}

void phase_use(struct phase_page *p)
{
	current = p;
}

static void copy_field(char *field, size_t size, const char *s)
{
	size_t n = s ? strnlen(s, size - 1) : 0;
	memcpy(field, s ? s : "", n);
	memset(field + n, 0, size - n);
}

void phase_begin_check(const char *check)
{
	if (!current)
		return;
	current->in = PHASE_NONE;
	copy_field(current->check, sizeof(current->check), check);
	copy_field(current->callable, sizeof(current->callable), NULL);
}

void phase_enter(enum phase_in in, const char *callable)
{
	if (!current)
		return;
	current->in = PHASE_NONE;
	if (in != PHASE_NONE && callable)
		copy_field(current->callable, sizeof(current->callable), callable);
	current->in = (unsigned char)in;
}
