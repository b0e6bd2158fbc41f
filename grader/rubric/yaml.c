/*
 * yaml.c - reading a libyaml document's nodes, with every problem reported
 * at its position (rubric/loader.h).
 */
#include "rubric/loader.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"



int loader_error(struct loader *l, const yaml_node_t *node, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	diag_at(l->diags, &l->src, node ? node->start_mark.line : 0, node ? node->start_mark.column : 0,
		"%s", msg);
	free(msg);
	l->errors++;
	return -1;
}

yaml_node_t *loader_node(struct loader *l, int index)
{
	return yaml_document_get_node(&l->doc, index);
}

const char *loader_describe(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE: return "a mapping";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_SCALAR_NODE: return n->data.scalar.length ? "a scalar" : "an empty value";
	default: return "nothing";
	}
}

const char *loader_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

bool loader_is_plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

const char *loader_tag(const yaml_node_t *n)
{
	const char *t = (const char *)n->tag;
	if (!t || !strcmp(t, YAML_DEFAULT_SCALAR_TAG) || !strcmp(t, YAML_DEFAULT_SEQUENCE_TAG) ||
	    !strcmp(t, YAML_DEFAULT_MAPPING_TAG))
		return NULL;
	return t;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > 64 || m > 64)
		return 99;
	size_t row[65];
	for (size_t j = 0; j <= m; j++)
		row[j] = j;
	for (size_t i = 1; i <= n; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= m; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
			size_t best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[m];
}

/* " (did you mean 'x'?)" for the closest candidate, or "". */
const char *loader_suggest(const char *word, const char *const *a, const char *const *b,
			   char *out, size_t outlen)
{
	const char *best = NULL;
	size_t best_d = 99;
	for (int pass = 0; pass < 2; pass++) {
		const char *const *list = pass ? b : a;
		for (size_t i = 0; list && list[i]; i++) {
			size_t d = edit_distance(word, list[i]);
			if (d < best_d) {
				best_d = d;
				best = list[i];
			}
		}
	}
	size_t len = strlen(word);
	if (best && best_d <= (len < 5 ? 1 : len < 9 ? 2 : 3))
		snprintf(out, outlen, " (did you mean '%s'?)", best);
	else
		out[0] = '\0';
	return out;
}

bool loader_in_list(const char *word, const char *const *list)
{
	for (size_t i = 0; list && list[i]; i++)
		if (!strcmp(word, list[i]))
			return true;
	return false;
}

/* Checks a mapping's keys: scalars, no duplicates, all known.  The allowed
 * names come from up to two NULL-terminated lists. */
int loader_check_keys(struct loader *l, yaml_node_t *map, const char *what, const char *const *a,
		      const char *const *b)
{
	int rc = 0;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = loader_node(l, p->key);
		const char *key = loader_scalar(k);
		if (!key) {
			rc = loader_error(l, k, "%s keys must be plain names, not %s", what, loader_describe(k));
			continue;
		}
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			const char *prev = loader_scalar(loader_node(l, q->key));
			if (prev && !strcmp(prev, key)) {
				rc = loader_error(l, k, "duplicate key '%s' (first at line %zu)", key,
					    loader_node(l, q->key)->start_mark.line + 1);
				break;
			}
		}
		if (!loader_in_list(key, a) && !loader_in_list(key, b)) {
			char hint[96];
			rc = loader_error(l, k, "unknown key '%s' in %s%s", key, what, loader_suggest(key, a, b, hint, sizeof(hint)));
		}
	}
	return rc;
}

yaml_node_t *loader_lookup(struct loader *l, yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = loader_scalar(loader_node(l, p->key));
		if (k && !strcmp(k, key))
			return loader_node(l, p->value);
	}
	return NULL;
}

int loader_string(struct loader *l, yaml_node_t *v, const char *key, char **out)
{
	if (v->type != YAML_SCALAR_NODE || (loader_is_plain(v) && v->data.scalar.length == 0))
		return loader_error(l, v, "'%s' must be a string, not %s", key, loader_describe(v));
	*out = xstrdup(loader_scalar(v));
	return 0;
}

int loader_number(struct loader *l, yaml_node_t *v, const char *key, double *out)
{
	const char *s = loader_scalar(v);
	char *end = NULL;
	if (!s || !loader_is_plain(v))
		return loader_error(l, v, "'%s' must be a number, not %s", key, s ? "a quoted string" : loader_describe(v));
	errno = 0;
	double d = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(d))
		return loader_error(l, v, "'%s' must be a number, not '%s'", key, s);
	*out = d;
	return 0;
}

int loader_bool(struct loader *l, yaml_node_t *v, const char *key, bool *out)
{
	const char *s = loader_scalar(v);
	if (s && loader_is_plain(v) && (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "yes"))) {
		*out = true;
		return 0;
	}
	if (s && loader_is_plain(v) && (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "no"))) {
		*out = false;
		return 0;
	}
	return loader_error(l, v, "'%s' must be true or false, not %s", key, s ? s : loader_describe(v));
}

/* A string or a list of strings. */
int loader_string_list(struct loader *l, yaml_node_t *v, const char *key, char ***out, size_t *n)
{
	if (v->type == YAML_SCALAR_NODE) {
		/* Counted only once it is a string: a refused one ('!', '') leaves no NULL entry behind. */
		*out = xcalloc(2, sizeof(char *));
		int rc = loader_string(l, v, key, &(*out)[0]);
		*n = rc < 0 ? 0 : 1;
		return rc;
	}
	if (v->type != YAML_SEQUENCE_NODE)
		return loader_error(l, v, "'%s' must be a string or a list of strings, not %s", key, loader_describe(v));
	size_t count = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	*out = xcalloc(count + 1, sizeof(char *));
	*n = 0;
	int rc = 0;
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		char *s = NULL;
		if (loader_string(l, loader_node(l, *it), key, &s) < 0)
			rc = -1;
		else
			(*out)[(*n)++] = s;
	}
	return rc;
}

bool loader_is_identifier(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}
