/*
 * checks.c - one check of a rubric: the keys every check takes, then its
 * kind's keys (kinds/kind.h) into 'spec' and 'expect'; limits, feedback,
 * dependencies between checks.
 */
#include "rubric/loader.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/value.h"
#include "kinds/kind.h"

static const char *const common_check_keys[] = {
	"id", "kind", "points", "description", "feedback", "depends_on", "requires", "when", "bonus",
	"hidden", "partial", "limits", "python", NULL,
};
static const char *const limit_keys[] = { "time", "cpu", "memory", "output", NULL };
static const char *const feedback_keys[] = {
	"pass", "fail", "error", "timeout", "memory", "crash", "forbidden", "off_by", "wrong_type",
	/* bytecode summaries: the ways opcode_summary goes wrong */
	"not_recursive", "adaptive", "caches", "renamed",
	NULL,
};

int loader_limits(struct loader *l, yaml_node_t *v, struct limits *out)
{
	if (v->type != YAML_MAPPING_NODE)
		return loader_error(l, v, "'limits' must be a mapping (time, cpu, memory, output), not %s", loader_describe(v));
	int rc = loader_check_keys(l, v, "limits", limit_keys, NULL);
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		const char *key = loader_scalar(loader_node(l, p->key));
		yaml_node_t *val = loader_node(l, p->value);
		const char *s = loader_scalar(val);
		if (!key)
			continue;
		if (!strcmp(key, "time") || !strcmp(key, "cpu")) {
			double d = 0;
			if (!s || parse_duration(s, &d) < 0 || d <= 0 || d > 3600)
				rc = loader_error(l, val, "'%s' must be a duration such as 2s or 500ms (at most 1 hour)", key);
			else if (!strcmp(key, "time"))
				out->wall_seconds = d;
			else
				out->cpu_seconds = d;
		} else if (!strcmp(key, "memory") || !strcmp(key, "output")) {
			size_t n = 0;
			if (!s || parse_size(s, &n) < 0 || n == 0)
				rc = loader_error(l, val, "'%s' must be a size such as 256MiB or 64KiB", key);
			else if (!strcmp(key, "memory"))
				out->memory_bytes = n;
			else
				out->output_bytes = n;
		}
	}
	return rc;
}

static int load_feedback(struct loader *l, yaml_node_t *v, json_t **out)
{
	if (v->type == YAML_SCALAR_NODE) {
		/* A bare string is the message for failing. */
		*out = json_pack("{s:s}", "fail", loader_scalar(v));
		return 0;
	}
	if (v->type != YAML_MAPPING_NODE)
		return loader_error(l, v, "'feedback' must be a string or a mapping, not %s", loader_describe(v));
	int rc = loader_check_keys(l, v, "feedback", feedback_keys, NULL);
	json_t *fb = json_object();
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		const char *key = loader_scalar(loader_node(l, p->key));
		yaml_node_t *val = loader_node(l, p->value);
		if (!key || !loader_in_list(key, feedback_keys))
			continue;
		if (!strcmp(key, "off_by")) {
			if (val->type != YAML_MAPPING_NODE) {
				rc = loader_error(l, val, "'off_by' maps a difference (+1, -1, ...) to a message");
				continue;
			}
			json_t *map = json_object();
			for (yaml_node_pair_t *q = val->data.mapping.pairs.start; q < val->data.mapping.pairs.top; q++) {
				yaml_node_t *dk = loader_node(l, q->key);
				const char *ks = loader_scalar(dk), *msg = loader_scalar(loader_node(l, q->value));
				char *end = NULL;
				long d = ks ? strtol(ks, &end, 10) : 0;
				if (!ks || !*ks || *end || d == 0) {
					rc = loader_error(l, dk, "'off_by' keys are non-zero whole numbers such as +1 or -1");
					continue;
				}
				if (!msg) {
					rc = loader_error(l, loader_node(l, q->value), "an 'off_by' message must be a string");
					continue;
				}
				char norm[32];
				snprintf(norm, sizeof(norm), "%+ld", d);
				json_object_set_new(map, norm, json_string(msg));
			}
			json_object_set_new(fb, "off_by", map);
		} else if (!loader_scalar(val)) {
			rc = loader_error(l, val, "feedback '%s' must be a string, not %s", key, loader_describe(val));
		} else {
			json_object_set_new(fb, key, json_string(loader_scalar(val)));
		}
	}
	*out = fb;
	return rc;
}


/* YAML as plain JSON (no Python value tags): for keys whose kind reads
 * them itself (predicates, workloads...). */
static int loader_plain(struct loader *l, yaml_node_t *n, json_t **out, int depth)
{
	if (depth > 32)
		return loader_error(l, n, "nested too deeply");
	if (n->type == YAML_SCALAR_NODE) {
		if (loader_tag(n))
			return loader_error(l, n, "tags are not allowed here");
		const char *s = loader_scalar(n);
		*out = loader_is_plain(n) ? loader_resolve_plain(s) : json_string(s);
		return 0;
	}
	if (n->type == YAML_SEQUENCE_NODE) {
		*out = json_array();
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
			json_t *item = NULL;
			if (loader_plain(l, loader_node(l, *it), &item, depth + 1) < 0) {
				json_decref(*out);
				*out = NULL;
				return -1;
			}
			json_array_append_new(*out, item);
		}
		return 0;
	}
	if (n->type == YAML_MAPPING_NODE) {
		*out = json_object();
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			const char *k = loader_scalar(loader_node(l, p->key));
			json_t *item = NULL;
			if (!k) {
				json_decref(*out);
				*out = NULL;
				return loader_error(l, loader_node(l, p->key), "keys must be strings");
			}
			if (loader_plain(l, loader_node(l, p->value), &item, depth + 1) < 0) {
				json_decref(*out);
				*out = NULL;
				return -1;
			}
			json_object_set_new(*out, k, item);
		}
		return 0;
	}
	return loader_error(l, n, "unexpected %s", loader_describe(n));
}

/* One reader per key type: *out gets a new reference, or stays NULL after
 * an error (reported at v). */
typedef int key_reader(struct loader *l, const struct key_schema *ks, yaml_node_t *v, json_t **out);

/* "a|b|c" in ks->choices: s must be one of them. */
static int check_choice(struct loader *l, const struct key_schema *ks, yaml_node_t *v, const char *s)
{
	char *copy = xstrdup(ks->choices);
	const char *words[8] = { 0 };
	size_t n = 0;
	for (char *tok = strtok(copy, "|"); tok && n < 7; tok = strtok(NULL, "|"))
		words[n++] = tok;
	int rc = 0;
	if (!loader_in_list(s, words)) {
		char hint[96] = "";
		loader_suggest(s, words, NULL, hint, sizeof(hint));
		rc = loader_error(l, v, "'%s' must be one of %s, not '%s'%s", ks->name, ks->choices, s, hint);
	}
	free(copy);
	return rc;
}

static int read_string(struct loader *l, const struct key_schema *ks, yaml_node_t *v, json_t **out)
{
	const char *s = loader_scalar(v);
	if (!s || v->type != YAML_SCALAR_NODE)
		return loader_error(l, v, "'%s' must be a string, not %s", ks->name, loader_describe(v));
	if (ks->choices && check_choice(l, ks, v, s) < 0)
		return -1;
	*out = json_string(s);
	return 0;
}

static int read_name(struct loader *l, const struct key_schema *ks, yaml_node_t *v, json_t **out)
{
	const char *s = loader_scalar(v);
	if (!s)
		return loader_error(l, v, "'%s' must be a string, not %s", ks->name, loader_describe(v));
	char *copy = xstrdup(s);
	char *dot = strrchr(copy, '.');
	bool ok = ks->type == KEY_MODULE ? loader_is_identifier(copy)
		: (dot && (*dot = '\0', loader_is_identifier(copy) && loader_is_identifier(dot + 1)));
	free(copy);
	if (!ok)
		return loader_error(l, v, ks->type == KEY_MODULE ? "'%s' must be a module name such as refcount"
			      : "'%s' must be module.function, such as refcount.count_refs", ks->name);
	*out = json_string(s);
	return 0;
}

static int read_number(struct loader *l, const struct key_schema *ks, yaml_node_t *v, json_t **out)
{
	double d = 0;
	if (loader_number(l, v, ks->name, &d) < 0)
		return -1;
	*out = json_real(d);
	return 0;
}

static int read_int_list(struct loader *l, const struct key_schema *ks, yaml_node_t *v, json_t **out)
{
	if (v->type != YAML_SEQUENCE_NODE)
		return loader_error(l, v, "'%s' must be a list of whole numbers", ks->name);
	if (v->data.sequence.items.start == v->data.sequence.items.top)
		return loader_error(l, v, "'%s' must not be empty", ks->name);
	json_t *val = json_array();
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *item = loader_node(l, *it);
		double d = -1;
		if (loader_number(l, item, ks->name, &d) < 0 || d < 0 || d > 1000 || floor(d) != d) {
			json_decref(val);
			return loader_error(l, item, "'%s' items must be whole numbers from 0 to 1000", ks->name);
		}
		json_array_append_new(val, json_integer((json_int_t)d));
	}
	*out = val;
	return 0;
}

static int read_bool(struct loader *l, const struct key_schema *ks, yaml_node_t *v, json_t **out)
{
	bool b = false;
	if (loader_bool(l, v, ks->name, &b) < 0)
		return -1;
	*out = json_boolean(b);
	return 0;
}

static int read_string_list(struct loader *l, const struct key_schema *ks, yaml_node_t *v, json_t **out)
{
	char **list = NULL;
	size_t n = 0;
	int rc = loader_string_list(l, v, ks->name, &list, &n);
	json_t *val = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(val, json_string(list[i]));
		free(list[i]);
	}
	free(list);
	if (rc < 0) {
		json_decref(val);
		return -1;
	}
	*out = val;
	return 0;
}

static int read_size(struct loader *l, const struct key_schema *ks, yaml_node_t *v, json_t **out)
{
	size_t bytes = 0;
	const char *s = loader_scalar(v);
	if (!s || parse_size(s, &bytes) < 0)
		return loader_error(l, v, "'%s' must be a size such as 4096, 64KiB or 1MiB, not %s", ks->name,
			      s ? s : loader_describe(v));
	*out = json_integer((json_int_t)bytes);
	return 0;
}

static int read_any(struct loader *l, const struct key_schema *ks, yaml_node_t *v, json_t **out)
{
	return loader_plain(l, v, out, 0);
}

static int read_value(struct loader *l, const struct key_schema *ks, yaml_node_t *v, json_t **out)
{
	return loader_value(l, v, out, 0);
}

static int read_value_list(struct loader *l, const struct key_schema *ks, yaml_node_t *v, json_t **out)
{
	if (v->type != YAML_SEQUENCE_NODE || loader_tag(v))
		return loader_error(l, v, "'%s' must be a list of arguments, not %s", ks->name, loader_describe(v));
	return loader_value(l, v, out, 0);
}

static int read_value_map(struct loader *l, const struct key_schema *ks, yaml_node_t *v, json_t **out)
{
	if (v->type != YAML_MAPPING_NODE)
		return loader_error(l, v, "'%s' must be a mapping of names to values", ks->name);
	json_t *val = json_object();
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		const char *k = loader_scalar(loader_node(l, p->key));
		json_t *item = NULL;
		if (!k || !loader_is_identifier(k)) {
			json_decref(val);
			return loader_error(l, loader_node(l, p->key), "keyword argument names must be identifiers");
		}
		if (loader_value(l, loader_node(l, p->value), &item, 0) < 0) {
			json_decref(val);
			return -1;
		}
		json_object_set_new(val, k, item);
	}
	*out = val;
	return 0;
}

static int read_output(struct loader *l, const struct key_schema *ks, yaml_node_t *v, json_t **out)
{
	static const char *const out_keys[] = { "exact", "regex", "contains", NULL };
	if (v->type == YAML_SCALAR_NODE) {
		*out = json_pack("{s:s}", "exact", loader_scalar(v));
		return 0;
	}
	if (v->type != YAML_MAPPING_NODE)
		return loader_error(l, v, "'%s' must be a string or {regex: ...}", ks->name);
	if (loader_check_keys(l, v, ks->name, out_keys, NULL) < 0)
		return -1;
	json_t *val = json_object();
	for (const char *const *k = out_keys; *k; k++) {
		yaml_node_t *x = loader_lookup(l, v, *k);
		if (x && loader_scalar(x))
			json_object_set_new(val, *k, json_string(loader_scalar(x)));
	}
	if (json_object_size(val) != 1) {
		json_decref(val);
		return loader_error(l, v, "'%s' takes exactly one of exact, regex, contains", ks->name);
	}
	*out = val;
	return 0;
}

static key_reader *const key_readers[] = {
	[KEY_STRING] = read_string,
	[KEY_NUMBER] = read_number,
	[KEY_BOOL] = read_bool,
	[KEY_INT_LIST] = read_int_list,
	[KEY_STRING_LIST] = read_string_list,
	[KEY_VALUE] = read_value,
	[KEY_VALUE_LIST] = read_value_list,
	[KEY_VALUE_MAP] = read_value_map,
	[KEY_OUTPUT] = read_output,
	[KEY_FUNCTION] = read_name,
	[KEY_MODULE] = read_name,
	[KEY_SIZE] = read_size,
	[KEY_ANY] = read_any,
};

/* Reads a kind's key into dest[ks->name]. */
static int load_kind_key(struct loader *l, const struct key_schema *ks, yaml_node_t *v, json_t *dest)
{
	assert((size_t)ks->type < sizeof(key_readers) / sizeof(key_readers[0]) && key_readers[ks->type]);
	json_t *val = NULL;
	if (key_readers[ks->type](l, ks, v, &val) < 0)
		return -1;
	json_object_set_new(dest, ks->name, val);
	return 0;
}

/* The check's kind and the keys it may have.  Returns the kind's key
 * table, or NULL after an error. */
static const struct key_schema *check_kind(struct loader *l, yaml_node_t *m, struct check *c)
{
	yaml_node_t *kind_node = loader_lookup(l, m, "kind");
	const char *kind = loader_scalar(kind_node);
	if (!kind_node) {
		loader_error(l, m, "check is missing required key 'kind'");
		return NULL;
	}
	if (!kind) {
		loader_error(l, kind_node, "'kind' must be a string, not %s", loader_describe(kind_node));
		return NULL;
	}
	int k = check_kind_by_name(kind);
	if (k < 0) {
		char hint[96];
		const char *names[CHECK_KIND_COUNT + 1] = { 0 };
		for (size_t i = 0; i < CHECK_KIND_COUNT; i++)
			names[i] = check_kind_name((enum check_kind)i);
		loader_error(l, kind_node, "unknown check kind '%s'%s", kind, loader_suggest(kind, names, NULL, hint, sizeof(hint)));
		return NULL;
	}
	c->kind = (enum check_kind)k;
	return kind_def(c->kind)->keys;
}

/* when: {observed: PATH, otherwise: REASON}: the check counts only when its
 * kind's observation holds PATH (dot-separated keys). */
static int load_when(struct loader *l, yaml_node_t *v, struct check *c)
{
	static const char *const when_keys[] = { "observed", "otherwise", NULL };
	if (v->type != YAML_MAPPING_NODE)
		return loader_error(l, v, "'when' must be a mapping {observed: PATH, otherwise: REASON}, not %s",
				    loader_describe(v));
	if (loader_check_keys(l, v, "'when'", when_keys, NULL) < 0)
		return -1;
	yaml_node_t *o = loader_lookup(l, v, "observed"), *why = loader_lookup(l, v, "otherwise");
	if (!o)
		return loader_error(l, v, "'when' is missing required key 'observed'");
	if (loader_string(l, o, "observed", &c->when_observed) < 0)
		return -1;
	if (why && loader_string(l, why, "otherwise", &c->when_otherwise) < 0)
		return -1;
	return 0;
}

/* A description that calls itself a bonus, on a check that is not one:
 * its points would count in max_score, so no solution without it gets full
 * marks.  A warning (grade lint shows it). */
static void warn_bonus_words(struct loader *l, yaml_node_t *m, const struct check *c)
{
	if (c->bonus || !c->description || !strcasestr(c->description, "bonus"))
		return;
	yaml_node_t *d = loader_lookup(l, m, "description");
	diag_warn_at(l->diags, &l->src, d->start_mark.line, d->start_mark.column,
		     "check '%s' says it is a bonus but is not one: its points count in max_score (add 'bonus: true')",
		     c->id ? c->id : "?");
}

/* The keys every check takes, whatever its kind. */
static int load_common_keys(struct loader *l, yaml_node_t *m, struct check *c)
{
	int rc = 0;
	yaml_node_t *v;
	if (!(v = loader_lookup(l, m, "id")))
		rc = loader_error(l, m, "check is missing required key 'id'");
	else if (loader_string(l, v, "id", &c->id) < 0)
		rc = -1;
	if ((v = loader_lookup(l, m, "points"))) {
		if (loader_number(l, v, "points", &c->points) < 0)
			rc = -1;
		else if (c->points < 0)
			rc = loader_error(l, v, "'points' must not be negative");
	}
	if ((v = loader_lookup(l, m, "description")) && loader_string(l, v, "description", &c->description) < 0)
		rc = -1;
	if ((v = loader_lookup(l, m, "feedback")) && load_feedback(l, v, &c->feedback) < 0)
		rc = -1;
	if ((v = loader_lookup(l, m, "depends_on")) && loader_string_list(l, v, "depends_on", &c->depends_on, &c->n_depends) < 0)
		rc = -1;
	if ((v = loader_lookup(l, m, "requires")) && loader_string_list(l, v, "requires", &c->requires, &c->n_requires) < 0)
		rc = -1;
	if ((v = loader_lookup(l, m, "when")) && load_when(l, v, c) < 0)
		rc = -1;
	if ((v = loader_lookup(l, m, "bonus")) && loader_bool(l, v, "bonus", &c->bonus) < 0)
		rc = -1;
	if ((v = loader_lookup(l, m, "hidden")) && loader_bool(l, v, "hidden", &c->hidden) < 0)
		rc = -1;
	if ((v = loader_lookup(l, m, "partial")) && loader_bool(l, v, "partial", &c->partial) < 0)
		rc = -1;
	if ((v = loader_lookup(l, m, "limits")) && loader_limits(l, v, &c->limits) < 0)
		rc = -1;
	if ((v = loader_lookup(l, m, "python"))) {
		const char *s = loader_scalar(v);
		if (!s || parse_version_cond(s, &c->python) < 0)
			rc = loader_error(l, v, "bad Python version condition '%s' (write e.g. \">=3.12\" or \">=3.11, <3.13\")",
				    s ? s : loader_describe(v));
		else
			c->python_text = xstrdup(s);
	}
	return rc;
}

/* The keys of the check's kind, into spec and expect, then the kind's
 * rules across keys. */
static int load_kind_keys(struct loader *l, yaml_node_t *m, const struct key_schema *keys, struct check *c)
{
	int rc = 0;
	for (size_t i = 0; keys[i].name; i++) {
		yaml_node_t *v = loader_lookup(l, m, keys[i].name);
		if (!v) {
			if (keys[i].required)
				rc = loader_error(l, m, "%s check is missing required key '%s'", check_kind_name(c->kind),
						  keys[i].name);
			continue;
		}
		if (load_kind_key(l, &keys[i], v, keys[i].dest == TO_SPEC ? c->spec : c->expect) < 0) {
			rc = -1;
		} else if (keys[i].dest == TO_NAMES) {
			json_t *names = json_array();
			const char *name;
			json_t *ignored;
			json_object_foreach(json_object_get(c->expect, keys[i].name), name, ignored)
				json_array_append_new(names, json_string(name));
			json_object_set_new(c->spec, keys[i].name, names);
		}
	}
	if (rc == 0 && kind_def(c->kind)->validate) {
		const char *problem = kind_def(c->kind)->validate(c->spec, c->expect);
		if (problem)
			rc = loader_error(l, m, "%s", problem);
	}
	return rc;
}

int loader_check(struct loader *l, yaml_node_t *m, struct check *c)
{
	c->points = 1;
	c->spec = json_object();
	c->expect = json_object();
	c->feedback = NULL;
	c->line = (int)m->start_mark.line + 1;
	c->col = (int)m->start_mark.column + 1;
	int rc = 0;
	if (m->type != YAML_MAPPING_NODE) {
		rc = loader_error(l, m, "a check must be a mapping with at least 'id' and 'kind', not %s", loader_describe(m));
		goto done;
	}
	const struct key_schema *keys = check_kind(l, m, c);
	if (!keys)
		rc = -1;
	const char *allowed[48] = { 0 };
	size_t na = 0;
	for (size_t i = 0; keys && keys[i].name && na < 47; i++)
		allowed[na++] = keys[i].name;
	if (keys && loader_check_keys(l, m, "a check", common_check_keys, allowed) < 0)
		rc = -1;
	if (load_common_keys(l, m, c) < 0)
		rc = -1;
	if (keys && load_kind_keys(l, m, keys, c) < 0)
		rc = -1;
	warn_bonus_words(l, m, c);
done:
	if (!c->feedback)
		c->feedback = json_object();
	return rc;
}

/* A check's edges to others: its depends_on, then its requires. */
static size_t n_edges(const struct check *c)
{
	return c->n_depends + c->n_requires;
}

static const char *edge(const struct check *c, size_t k)
{
	return k < c->n_depends ? c->depends_on[k] : c->requires[k - c->n_depends];
}

static const char *edge_key(const struct check *c, size_t k)
{
	return k < c->n_depends ? "depends_on" : "requires";
}

/* Depth-first search for a cycle through depends_on and requires. */
static bool dep_cycle(const struct exercise *ex, size_t i, unsigned char *state, size_t *at)
{
	state[i] = 1;
	const struct check *c = &ex->checks[i];
	for (size_t d = 0; d < n_edges(c); d++) {
		for (size_t j = 0; j < ex->n_checks; j++) {
			if (!ex->checks[j].id || strcmp(ex->checks[j].id, edge(c, d)))
				continue;
			if (state[j] == 1 || (state[j] == 0 && dep_cycle(ex, j, state, at))) {
				*at = i;
				return true;
			}
		}
	}
	state[i] = 2;
	return false;
}

/* Each edge of check i names another check of the exercise. */
static int edges_known(struct loader *l, yaml_node_t *cn, const struct exercise *ex, size_t i)
{
	const struct check *c = &ex->checks[i];
	int rc = 0;
	for (size_t d = 0; d < n_edges(c); d++) {
		bool found = false;
		const char *ids[256] = { 0 };
		size_t nid = 0;
		for (size_t j = 0; j < ex->n_checks; j++) {
			if (ex->checks[j].id && !strcmp(ex->checks[j].id, edge(c, d)))
				found = true;
			if (ex->checks[j].id && nid < 255 && j != i)
				ids[nid++] = ex->checks[j].id;
		}
		yaml_node_t *dn = loader_lookup(l, cn, edge_key(c, d));
		const char *verb = d < c->n_depends ? "depends on" : "requires";
		if (!found) {
			char hint[96];
			rc = loader_error(l, dn ? dn : cn, "'%s' %s unknown check '%s'%s", c->id ? c->id : "?", verb,
					  edge(c, d), loader_suggest(edge(c, d), ids, NULL, hint, sizeof(hint)));
		} else if (c->id && !strcmp(edge(c, d), c->id)) {
			rc = loader_error(l, dn ? dn : cn, "check '%s' %s itself", c->id, verb);
		}
	}
	return rc;
}

int loader_dependencies(struct loader *l, yaml_node_t *const *nodes, struct exercise *ex)
{
	int rc = 0;
	for (size_t i = 0; i < ex->n_checks; i++) {
		struct check *c = &ex->checks[i];
		for (size_t j = 0; j < i; j++) {
			if (c->id && ex->checks[j].id && !strcmp(c->id, ex->checks[j].id)) {
				yaml_node_t *idn = loader_lookup(l, nodes[i], "id");
				rc = loader_error(l, idn ? idn : nodes[i], "duplicate check id '%s' (first at line %d)", c->id,
					    ex->checks[j].line);
			}
		}
		if (edges_known(l, nodes[i], ex, i) < 0)
			rc = -1;
	}
	if (rc < 0)
		return rc;
	unsigned char *state = xcalloc(ex->n_checks, 1);
	size_t at = 0;
	for (size_t i = 0; i < ex->n_checks; i++) {
		if (state[i] == 0 && dep_cycle(ex, i, state, &at)) {
			yaml_node_t *dn = loader_lookup(l, nodes[at], "depends_on");
			if (!dn)
				dn = loader_lookup(l, nodes[at], "requires");
			rc = loader_error(l, dn ? dn : nodes[at], "dependency cycle through check '%s'", ex->checks[at].id);
			break;
		}
	}
	free(state);
	return rc;
}
