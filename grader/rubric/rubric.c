#include "rubric/rubric.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "kinds/kind.h"
#include "base/util.h"
#include "base/value.h"

#define RUBRIC_MAX_BYTES (4u << 20)


static const char *const common_check_keys[] = {
	"id", "kind", "points", "description", "feedback", "depends_on", "hidden", "partial",
	"limits", "python", NULL,
};
static const char *const exercise_keys[] = {
	"exercise", "title", "files", "weight", "limits", "checks", NULL,
};
static const char *const course_keys[] = { "course", "title", "exercises", NULL };
static const char *const limit_keys[] = { "time", "cpu", "memory", "output", NULL };
static const char *const feedback_keys[] = {
	"pass", "fail", "error", "timeout", "memory", "crash", "forbidden", "off_by", "wrong_type",
	/* bytecode summaries: the ways opcode_summary goes wrong */
	"not_recursive", "adaptive", "caches", "renamed",
	NULL,
};
static const char *const new_types[] = {
	"object", "instance", "list", "dict", "set", "bytearray", NULL,
};

/* ---- the loader ---------------------------------------------------------- */

struct loader {
	struct diag_list *diags;
	struct diag_source src;
	yaml_document_t doc;
	int errors;
};

static int err_at(struct loader *l, const yaml_node_t *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int err_at(struct loader *l, const yaml_node_t *node, const char *fmt, ...)
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

static yaml_node_t *node(struct loader *l, int index)
{
	return yaml_document_get_node(&l->doc, index);
}

static const char *describe(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE: return "a mapping";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_SCALAR_NODE: return n->data.scalar.length ? "a scalar" : "an empty value";
	default: return "nothing";
	}
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool is_plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static const char *tag_of(const yaml_node_t *n)
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
static const char *suggest(const char *word, const char *const *a, const char *const *b,
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

static bool in_list(const char *word, const char *const *list)
{
	for (size_t i = 0; list && list[i]; i++)
		if (!strcmp(word, list[i]))
			return true;
	return false;
}

/* Checks a mapping's keys: scalars, no duplicates, all known.  The allowed
 * names come from up to two NULL-terminated lists. */
static int check_keys(struct loader *l, yaml_node_t *map, const char *what, const char *const *a,
		      const char *const *b)
{
	int rc = 0;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(l, p->key);
		const char *key = scalar(k);
		if (!key) {
			rc = err_at(l, k, "%s keys must be plain names, not %s", what, describe(k));
			continue;
		}
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			const char *prev = scalar(node(l, q->key));
			if (prev && !strcmp(prev, key)) {
				rc = err_at(l, k, "duplicate key '%s' (first at line %zu)", key,
					    node(l, q->key)->start_mark.line + 1);
				break;
			}
		}
		if (!in_list(key, a) && !in_list(key, b)) {
			char hint[96];
			rc = err_at(l, k, "unknown key '%s' in %s%s", key, what, suggest(key, a, b, hint, sizeof(hint)));
		}
	}
	return rc;
}

static yaml_node_t *lookup(struct loader *l, yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(node(l, p->key));
		if (k && !strcmp(k, key))
			return node(l, p->value);
	}
	return NULL;
}

static int want_string(struct loader *l, yaml_node_t *v, const char *key, char **out)
{
	if (v->type != YAML_SCALAR_NODE || (is_plain(v) && v->data.scalar.length == 0))
		return err_at(l, v, "'%s' must be a string, not %s", key, describe(v));
	*out = xstrdup(scalar(v));
	return 0;
}

static int want_number(struct loader *l, yaml_node_t *v, const char *key, double *out)
{
	const char *s = scalar(v);
	char *end = NULL;
	if (!s || !is_plain(v))
		return err_at(l, v, "'%s' must be a number, not %s", key, s ? "a quoted string" : describe(v));
	errno = 0;
	double d = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(d))
		return err_at(l, v, "'%s' must be a number, not '%s'", key, s);
	*out = d;
	return 0;
}

static int want_bool(struct loader *l, yaml_node_t *v, const char *key, bool *out)
{
	const char *s = scalar(v);
	if (s && is_plain(v) && (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "yes"))) {
		*out = true;
		return 0;
	}
	if (s && is_plain(v) && (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "no"))) {
		*out = false;
		return 0;
	}
	return err_at(l, v, "'%s' must be true or false, not %s", key, s ? s : describe(v));
}

/* A string or a list of strings. */
static int want_string_list(struct loader *l, yaml_node_t *v, const char *key, char ***out, size_t *n)
{
	if (v->type == YAML_SCALAR_NODE) {
		*out = xcalloc(1, sizeof(char *));
		*n = 1;
		return want_string(l, v, key, &(*out)[0]);
	}
	if (v->type != YAML_SEQUENCE_NODE)
		return err_at(l, v, "'%s' must be a string or a list of strings, not %s", key, describe(v));
	size_t count = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	*out = xcalloc(count + 1, sizeof(char *));
	*n = 0;
	int rc = 0;
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		char *s = NULL;
		if (want_string(l, node(l, *it), key, &s) < 0)
			rc = -1;
		else
			(*out)[(*n)++] = s;
	}
	return rc;
}

static bool is_identifier(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* ---- Python values in YAML ----------------------------------------------- */

static int to_value(struct loader *l, yaml_node_t *n, json_t **out, int depth);

/* Resolves a plain scalar the way YAML 1.2's core schema does (plus Python
 * spellings): null, booleans, ints (decimal, 0x, 0o, 0b), floats. */
static json_t *resolve_plain(const char *s)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", "None", NULL };
	static const char *const trues[] = { "true", "True", "TRUE", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", NULL };
	if (in_list(s, nulls))
		return json_null();
	if (in_list(s, trues))
		return json_true();
	if (in_list(s, falses))
		return json_false();
	char clean[128];
	size_t n = 0;
	for (const char *p = s; *p && n + 1 < sizeof(clean); p++)
		if (*p != '_')
			clean[n++] = *p;
	clean[n] = '\0';
	if (n && strlen(s) < sizeof(clean)) {
		char *end = NULL;
		errno = 0;
		const char *digits = clean + (clean[0] == '-' || clean[0] == '+');
		int base = 10;
		if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
			base = 16;
		else if (digits[0] == '0' && (digits[1] == 'o' || digits[1] == 'O'))
			base = 8;
		else if (digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B'))
			base = 2;
		if (isdigit((unsigned char)digits[0])) {
			long long v;
			if (base == 10) {
				v = strtoll(clean, &end, 10);
			} else {
				v = strtoll(digits + 2, &end, base);
				if (clean[0] == '-')
					v = -v;
			}
			if (end && !*end && !errno)
				return json_integer(v);
			if (end && !*end && errno == ERANGE && base == 10) {
				/* Too big for 64 bits: canonical decimal, as the child encodes it. */
				const char *d = digits;
				while (d[0] == '0' && d[1])
					d++;
				char *txt = xasprintf("%s%s", clean[0] == '-' ? "-" : "", d);
				json_t *big = json_pack("{s:s}", "$int", txt);
				free(txt);
				return big;
			}
		}
		static const char *const specials[] = { ".inf", ".Inf", "inf", "+.inf", "-.inf", "-.Inf", "-inf",
							 ".nan", ".NaN", "nan", NULL };
		if (in_list(s, specials)) {
			const char *which = strstr(s, "na") || strstr(s, "Na") ? "nan" : s[0] == '-' ? "-inf" : "inf";
			return json_pack("{s:s}", "$float", which);
		}
		errno = 0;
		double d = strtod(clean, &end);
		if (end && !*end && !errno && (isdigit((unsigned char)digits[0]) || digits[0] == '.'))
			return json_real(d);
	}
	return json_string(s);
}

static json_t *hex_string(const char *s, size_t len)
{
	char *hex = hex_encode(s, len);
	json_t *j = json_string(hex);
	free(hex);
	return j;
}

static int to_new(struct loader *l, yaml_node_t *n, json_t **out)
{
	json_t *spec = json_object();
	if (n->type == YAML_SCALAR_NODE) {
		json_object_set_new(spec, "type", json_string(scalar(n)));
	} else if (n->type == YAML_MAPPING_NODE) {
		static const char *const keys[] = { "type", "size", "items", NULL };
		if (check_keys(l, n, "!new", keys, NULL) < 0) {
			json_decref(spec);
			return -1;
		}
		yaml_node_t *t = lookup(l, n, "type"), *size = lookup(l, n, "size"), *items = lookup(l, n, "items");
		if (!t || !scalar(t)) {
			json_decref(spec);
			return err_at(l, n, "!new needs a 'type' (one of object, instance, list, dict, set, bytearray)");
		}
		json_object_set_new(spec, "type", json_string(scalar(t)));
		if (size) {
			double d = 0;
			if (want_number(l, size, "size", &d) < 0 || d < 0 || d > 1e9 || floor(d) != d) {
				json_decref(spec);
				return err_at(l, size, "'size' must be a whole number from 0 to 10^9");
			}
			json_object_set_new(spec, "size", json_integer((json_int_t)d));
		}
		if (items) {
			json_t *v = NULL;
			if (to_value(l, items, &v, 1) < 0) {
				json_decref(spec);
				return -1;
			}
			json_object_set_new(spec, "items", v);
		}
	} else {
		json_decref(spec);
		return err_at(l, n, "!new takes a type name or a mapping, not %s", describe(n));
	}
	const char *type = json_string_value(json_object_get(spec, "type"));
	if (!in_list(type, new_types)) {
		char hint[96];
		err_at(l, n, "unknown type '%s' for !new%s", type, suggest(type, new_types, NULL, hint, sizeof(hint)));
		json_decref(spec);
		return -1;
	}
	*out = json_pack("{s:o}", "$new", spec);
	return 0;
}

static int to_value(struct loader *l, yaml_node_t *n, json_t **out, int depth)
{
	if (depth > 50)
		return err_at(l, n, "value nested too deeply");
	const char *tag = tag_of(n);
	if (tag && !strcmp(tag, "!new"))
		return to_new(l, n, out);
	if (n->type == YAML_SCALAR_NODE) {
		const char *s = scalar(n);
		size_t len = n->data.scalar.length;
		if (!tag) {
			*out = is_plain(n) ? resolve_plain(s) : json_stringn(s, len);
		} else if (!strcmp(tag, "!bytes") || !strcmp(tag, "!bytearray")) {
			*out = json_pack("{s:o}", tag[6] ? "$bytearray" : "$bytes", hex_string(s, len));
		} else if (!strcmp(tag, "!float")) {
			json_t *v = resolve_plain(s);
			if (json_is_integer(v)) {
				json_t *f = json_real((double)json_integer_value(v));
				json_decref(v);
				v = f;
			}
			if (!json_is_real(v) && !json_object_get(v, "$float")) {
				json_decref(v);
				return err_at(l, n, "!float needs a number, nan or inf, not '%s'", s);
			}
			*out = v;
		} else if (!strcmp(tag, "tag:yaml.org,2002:str")) {
			*out = json_stringn(s, len);
		} else if (!strcmp(tag, "!fixture") || !strcmp(tag, "!build")) {
			bool fixture = tag[1] == 'f';
			const char *const *names = fixture ? value_fixture_names : value_builder_names;
			if (!in_list(s, names)) {
				char hint[96];
				return err_at(l, n, "unknown %s '%s'%s", fixture ? "grader fixture" : "builder", s,
					      suggest(s, names, NULL, hint, sizeof(hint)));
			}
			*out = json_pack("{s:s}", fixture ? "$fixture" : "$build", s);
		} else if (!strcmp(tag, "!tuple") || !strcmp(tag, "!set") || !strcmp(tag, "!frozenset") ||
			   !strcmp(tag, "!dict")) {
			if (len)
				return err_at(l, n, "%s takes a list, not a scalar", tag);
			*out = !strcmp(tag, "!dict") ? json_pack("{s:[]}", "$dict")
						    : json_pack("{s:[]}", tag[1] == 't' ? "$tuple" : tag[1] == 's' ? "$set" : "$frozenset");
		} else {
			return err_at(l, n, "unknown tag '%s' (known: !tuple, !set, !frozenset, !dict, !bytes, !bytearray, !float, !new, !fixture, !build)", tag);
		}
		return 0;
	}
	if (n->type == YAML_SEQUENCE_NODE) {
		json_t *arr = json_array();
		int rc = 0;
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
			json_t *v = NULL;
			if (to_value(l, node(l, *it), &v, depth + 1) < 0)
				rc = -1;
			else
				json_array_append_new(arr, v);
		}
		if (rc < 0) {
			json_decref(arr);
			return -1;
		}
		if (!tag) {
			*out = arr;
		} else if (!strcmp(tag, "!tuple")) {
			*out = json_pack("{s:o}", "$tuple", arr);
		} else if (!strcmp(tag, "!set") || !strcmp(tag, "!frozenset")) {
			value_sort_array(arr);
			*out = json_pack("{s:o}", tag[1] == 's' ? "$set" : "$frozenset", arr);
		} else {
			json_decref(arr);
			return err_at(l, n, "tag '%s' does not apply to a list (use !tuple, !set or !frozenset)", tag);
		}
		return 0;
	}
	if (n->type == YAML_MAPPING_NODE) {
		if (tag && strcmp(tag, "!dict"))
			return err_at(l, n, "tag '%s' does not apply to a mapping", tag);
		json_t *pairs = json_array();
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			json_t *k = NULL, *v = NULL;
			if (to_value(l, node(l, p->key), &k, depth + 1) < 0 ||
			    to_value(l, node(l, p->value), &v, depth + 1) < 0) {
				json_decref(k);
				json_decref(pairs);
				return -1;
			}
			json_array_append_new(pairs, json_pack("[oo]", k, v));
		}
		value_sort_array(pairs);
		*out = json_pack("{s:o}", "$dict", pairs);
		return 0;
	}
	return err_at(l, n, "expected a value");
}

/* ---- limits, versions, feedback ------------------------------------------ */

int parse_duration(const char *s, double *out)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0)
		return -1;
	while (*end == ' ')
		end++;
	if (!*end || !strcmp(end, "s"))
		*out = v;
	else if (!strcmp(end, "ms"))
		*out = v / 1000;
	else if (!strcmp(end, "min"))
		*out = v * 60;
	else
		return -1;
	return 0;
}

int parse_size(const char *s, size_t *out)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0)
		return -1;
	while (*end == ' ')
		end++;
	static const struct { const char *unit; double factor; } units[] = {
		{ "", 1 }, { "B", 1 }, { "KiB", 1024.0 }, { "MiB", 1048576.0 }, { "GiB", 1073741824.0 },
		{ "kB", 1e3 }, { "KB", 1e3 }, { "MB", 1e6 }, { "GB", 1e9 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (!strcmp(end, units[i].unit)) {
			double bytes = v * units[i].factor;
			if (bytes > (double)(SIZE_MAX / 2))
				return -1;
			*out = (size_t)bytes;
			return 0;
		}
	}
	return -1;
}

int parse_version_cond(const char *text, struct version_cond *out)
{
	struct version_cond c = { 0 };
	const char *p = text;
	for (;;) {
		while (*p == ' ')
			p++;
		if (c.count == ARRAY_SIZE(c.terms))
			return -1;
		char op[3] = "==";
		if (!strncmp(p, ">=", 2) || !strncmp(p, "<=", 2) || !strncmp(p, "==", 2) || !strncmp(p, "!=", 2)) {
			memcpy(op, p, 2);
			p += 2;
		} else if (*p == '>' || *p == '<') {
			op[0] = *p;
			op[1] = '\0';
			p++;
		}
		while (*p == ' ')
			p++;
		int major = 0, minor = 0, used = 0;
		if (sscanf(p, "%d.%d%n", &major, &minor, &used) != 2 || major != 3 || minor < 0 || minor > 99)
			return -1;
		p += used;
		memcpy(c.terms[c.count].op, op, 3);
		c.terms[c.count].major = major;
		c.terms[c.count].minor = minor;
		c.count++;
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (*p != ',')
			return -1;
		p++;
	}
	*out = c;
	return 0;
}



static int load_limits(struct loader *l, yaml_node_t *v, struct limits *out)
{
	if (v->type != YAML_MAPPING_NODE)
		return err_at(l, v, "'limits' must be a mapping (time, cpu, memory, output), not %s", describe(v));
	int rc = check_keys(l, v, "limits", limit_keys, NULL);
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		const char *key = scalar(node(l, p->key));
		yaml_node_t *val = node(l, p->value);
		const char *s = scalar(val);
		if (!key)
			continue;
		if (!strcmp(key, "time") || !strcmp(key, "cpu")) {
			double d = 0;
			if (!s || parse_duration(s, &d) < 0 || d <= 0 || d > 3600)
				rc = err_at(l, val, "'%s' must be a duration such as 2s or 500ms (at most 1 hour)", key);
			else if (!strcmp(key, "time"))
				out->wall_seconds = d;
			else
				out->cpu_seconds = d;
		} else if (!strcmp(key, "memory") || !strcmp(key, "output")) {
			size_t n = 0;
			if (!s || parse_size(s, &n) < 0 || n == 0)
				rc = err_at(l, val, "'%s' must be a size such as 256MiB or 64KiB", key);
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
		*out = json_pack("{s:s}", "fail", scalar(v));
		return 0;
	}
	if (v->type != YAML_MAPPING_NODE)
		return err_at(l, v, "'feedback' must be a string or a mapping, not %s", describe(v));
	int rc = check_keys(l, v, "feedback", feedback_keys, NULL);
	json_t *fb = json_object();
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		const char *key = scalar(node(l, p->key));
		yaml_node_t *val = node(l, p->value);
		if (!key || !in_list(key, feedback_keys))
			continue;
		if (!strcmp(key, "off_by")) {
			if (val->type != YAML_MAPPING_NODE) {
				rc = err_at(l, val, "'off_by' maps a difference (+1, -1, ...) to a message");
				continue;
			}
			json_t *map = json_object();
			for (yaml_node_pair_t *q = val->data.mapping.pairs.start; q < val->data.mapping.pairs.top; q++) {
				yaml_node_t *dk = node(l, q->key);
				const char *ks = scalar(dk), *msg = scalar(node(l, q->value));
				char *end = NULL;
				long d = ks ? strtol(ks, &end, 10) : 0;
				if (!ks || !*ks || *end || d == 0) {
					rc = err_at(l, dk, "'off_by' keys are non-zero whole numbers such as +1 or -1");
					continue;
				}
				if (!msg) {
					rc = err_at(l, node(l, q->value), "an 'off_by' message must be a string");
					continue;
				}
				char norm[32];
				snprintf(norm, sizeof(norm), "%+ld", d);
				json_object_set_new(map, norm, json_string(msg));
			}
			json_object_set_new(fb, "off_by", map);
		} else if (!scalar(val)) {
			rc = err_at(l, val, "feedback '%s' must be a string, not %s", key, describe(val));
		} else {
			json_object_set_new(fb, key, json_string(scalar(val)));
		}
	}
	*out = fb;
	return rc;
}

/* ---- checks -------------------------------------------------------------- */

/* YAML as plain JSON (no Python value tags): for keys whose kind reads
 * them itself (predicates, workloads...). */
static int to_plain(struct loader *l, yaml_node_t *n, json_t **out, int depth)
{
	if (depth > 32)
		return err_at(l, n, "nested too deeply");
	if (n->type == YAML_SCALAR_NODE) {
		if (tag_of(n))
			return err_at(l, n, "tags are not allowed here");
		const char *s = scalar(n);
		*out = is_plain(n) ? resolve_plain(s) : json_string(s);
		return 0;
	}
	if (n->type == YAML_SEQUENCE_NODE) {
		*out = json_array();
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
			json_t *item = NULL;
			if (to_plain(l, node(l, *it), &item, depth + 1) < 0) {
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
			const char *k = scalar(node(l, p->key));
			json_t *item = NULL;
			if (!k) {
				json_decref(*out);
				*out = NULL;
				return err_at(l, node(l, p->key), "keys must be strings");
			}
			if (to_plain(l, node(l, p->value), &item, depth + 1) < 0) {
				json_decref(*out);
				*out = NULL;
				return -1;
			}
			json_object_set_new(*out, k, item);
		}
		return 0;
	}
	return err_at(l, n, "unexpected %s", describe(n));
}

static int load_kind_key(struct loader *l, const struct key_schema *ks, yaml_node_t *v, json_t *dest)
{
	json_t *val = NULL;
	switch (ks->type) {
	case KEY_STRING: {
		const char *s = scalar(v);
		if (!s || v->type != YAML_SCALAR_NODE)
			return err_at(l, v, "'%s' must be a string, not %s", ks->name, describe(v));
		if (ks->choices) {
			char *copy = xstrdup(ks->choices);
			const char *words[8] = { 0 };
			size_t n = 0;
			for (char *tok = strtok(copy, "|"); tok && n < 7; tok = strtok(NULL, "|"))
				words[n++] = tok;
			bool ok = in_list(s, words);
			char hint[96] = "";
			if (!ok)
				suggest(s, words, NULL, hint, sizeof(hint));
			if (!ok)
				err_at(l, v, "'%s' must be one of %s, not '%s'%s", ks->name, ks->choices, s, hint);
			free(copy);
			if (!ok)
				return -1;
		}
		val = json_string(s);
		break;
	}
	case KEY_MODULE:
	case KEY_FUNCTION: {
		const char *s = scalar(v);
		if (!s)
			return err_at(l, v, "'%s' must be a string, not %s", ks->name, describe(v));
		char *copy = xstrdup(s);
		char *dot = strrchr(copy, '.');
		bool ok = ks->type == KEY_MODULE ? is_identifier(copy)
			: (dot && (*dot = '\0', is_identifier(copy) && is_identifier(dot + 1)));
		free(copy);
		if (!ok)
			return err_at(l, v, ks->type == KEY_MODULE ? "'%s' must be a module name such as refcount"
				      : "'%s' must be module.function, such as refcount.count_refs", ks->name);
		val = json_string(s);
		break;
	}
	case KEY_NUMBER: {
		double d = 0;
		if (want_number(l, v, ks->name, &d) < 0)
			return -1;
		val = json_real(d);
		break;
	}
	case KEY_INT_LIST: {
		if (v->type != YAML_SEQUENCE_NODE)
			return err_at(l, v, "'%s' must be a list of whole numbers", ks->name);
		val = json_array();
		for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
			yaml_node_t *item = node(l, *it);
			double d = -1;
			if (want_number(l, item, ks->name, &d) < 0 || d < 0 || d > 1000 || floor(d) != d) {
				json_decref(val);
				return err_at(l, item, "'%s' items must be whole numbers from 0 to 1000", ks->name);
			}
			json_array_append_new(val, json_integer((json_int_t)d));
		}
		if (!json_array_size(val)) {
			json_decref(val);
			return err_at(l, v, "'%s' must not be empty", ks->name);
		}
		break;
	}
	case KEY_BOOL: {
		bool b = false;
		if (want_bool(l, v, ks->name, &b) < 0)
			return -1;
		val = json_boolean(b);
		break;
	}
	case KEY_STRING_LIST: {
		char **list = NULL;
		size_t n = 0;
		int rc = want_string_list(l, v, ks->name, &list, &n);
		val = json_array();
		for (size_t i = 0; i < n; i++) {
			json_array_append_new(val, json_string(list[i]));
			free(list[i]);
		}
		free(list);
		if (rc < 0) {
			json_decref(val);
			return -1;
		}
		break;
	}
	case KEY_SIZE: {
		size_t bytes = 0;
		const char *s = scalar(v);
		if (!s || parse_size(s, &bytes) < 0)
			return err_at(l, v, "'%s' must be a size such as 4096, 64KiB or 1MiB, not %s", ks->name,
				      s ? s : describe(v));
		val = json_integer((json_int_t)bytes);
		break;
	}
	case KEY_ANY:
		if (to_plain(l, v, &val, 0) < 0)
			return -1;
		break;
	case KEY_VALUE:
		if (to_value(l, v, &val, 0) < 0)
			return -1;
		break;
	case KEY_VALUE_LIST:
		if (v->type != YAML_SEQUENCE_NODE || tag_of(v))
			return err_at(l, v, "'%s' must be a list of arguments, not %s", ks->name, describe(v));
		if (to_value(l, v, &val, 0) < 0)
			return -1;
		break;
	case KEY_VALUE_MAP:
		if (v->type != YAML_MAPPING_NODE)
			return err_at(l, v, "'%s' must be a mapping of names to values", ks->name);
		val = json_object();
		for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
			const char *k = scalar(node(l, p->key));
			json_t *item = NULL;
			if (!k || !is_identifier(k)) {
				json_decref(val);
				return err_at(l, node(l, p->key), "keyword argument names must be identifiers");
			}
			if (to_value(l, node(l, p->value), &item, 0) < 0) {
				json_decref(val);
				return -1;
			}
			json_object_set_new(val, k, item);
		}
		break;
	case KEY_OUTPUT:
		if (v->type == YAML_SCALAR_NODE) {
			val = json_pack("{s:s}", "exact", scalar(v));
		} else if (v->type == YAML_MAPPING_NODE) {
			static const char *const out_keys[] = { "exact", "regex", "contains", NULL };
			if (check_keys(l, v, ks->name, out_keys, NULL) < 0)
				return -1;
			val = json_object();
			for (const char *const *k = out_keys; *k; k++) {
				yaml_node_t *x = lookup(l, v, *k);
				if (x && scalar(x))
					json_object_set_new(val, *k, json_string(scalar(x)));
			}
			if (json_object_size(val) != 1) {
				json_decref(val);
				return err_at(l, v, "'%s' takes exactly one of exact, regex, contains", ks->name);
			}
		} else {
			return err_at(l, v, "'%s' must be a string or {regex: ...}", ks->name);
		}
		break;
	}
	json_object_set_new(dest, ks->name, val);
	return 0;
}


static int load_check(struct loader *l, yaml_node_t *m, struct check *c)
{
	c->points = 1;
	c->spec = json_object();
	c->expect = json_object();
	c->line = (int)m->start_mark.line + 1;
	c->col = (int)m->start_mark.column + 1;
	if (m->type != YAML_MAPPING_NODE)
		return err_at(l, m, "a check must be a mapping with at least 'id' and 'kind', not %s", describe(m));

	int rc = 0;
	yaml_node_t *kind_node = lookup(l, m, "kind");
	const char *kind = scalar(kind_node);
	const struct key_schema *keys = NULL;
	if (!kind_node) {
		rc = err_at(l, m, "check is missing required key 'kind'");
	} else if (!kind) {
		rc = err_at(l, kind_node, "'kind' must be a string, not %s", describe(kind_node));
	} else {
		int k = check_kind_by_name(kind);
		if (k < 0) {
			char hint[96];
			const char *names[CHECK_KIND_COUNT + 1] = { 0 };
			for (size_t i = 0; i < CHECK_KIND_COUNT; i++)
				names[i] = check_kind_name((enum check_kind)i);
			rc = err_at(l, kind_node, "unknown check kind '%s'%s", kind,
				    suggest(kind, names, NULL, hint, sizeof(hint)));
		} else {
			c->kind = (enum check_kind)k;
			keys = kind_def(c->kind)->keys;
		}
	}

	const char *allowed[48] = { 0 };
	size_t na = 0;
	for (size_t i = 0; keys && keys[i].name && na < 47; i++)
		allowed[na++] = keys[i].name;
	if (keys && check_keys(l, m, "a check", common_check_keys, allowed) < 0)
		rc = -1;

	yaml_node_t *v;
	if (!(v = lookup(l, m, "id")))
		rc = err_at(l, m, "check is missing required key 'id'");
	else if (want_string(l, v, "id", &c->id) < 0)
		rc = -1;
	if ((v = lookup(l, m, "points"))) {
		if (want_number(l, v, "points", &c->points) < 0)
			rc = -1;
		else if (c->points < 0)
			rc = err_at(l, v, "'points' must not be negative");
	}
	if ((v = lookup(l, m, "description")) && want_string(l, v, "description", &c->description) < 0)
		rc = -1;
	if ((v = lookup(l, m, "feedback")) && load_feedback(l, v, &c->feedback) < 0)
		rc = -1;
	if ((v = lookup(l, m, "depends_on")) && want_string_list(l, v, "depends_on", &c->depends_on, &c->n_depends) < 0)
		rc = -1;
	if ((v = lookup(l, m, "hidden")) && want_bool(l, v, "hidden", &c->hidden) < 0)
		rc = -1;
	if ((v = lookup(l, m, "partial")) && want_bool(l, v, "partial", &c->partial) < 0)
		rc = -1;
	if ((v = lookup(l, m, "limits")) && load_limits(l, v, &c->limits) < 0)
		rc = -1;
	if ((v = lookup(l, m, "python"))) {
		const char *s = scalar(v);
		if (!s || parse_version_cond(s, &c->python) < 0)
			rc = err_at(l, v, "bad Python version condition '%s' (write e.g. \">=3.12\" or \">=3.11, <3.13\")",
				    s ? s : describe(v));
		else
			c->python_text = xstrdup(s);
	}
	for (size_t i = 0; keys && keys[i].name; i++) {
		v = lookup(l, m, keys[i].name);
		if (!v) {
			if (keys[i].required)
				rc = err_at(l, m, "%s check is missing required key '%s'", kind, keys[i].name);
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
	if (keys && rc == 0 && kind_def(c->kind)->validate) {
		const char *problem = kind_def(c->kind)->validate(c->spec, c->expect);
		if (problem)
			rc = err_at(l, m, "%s", problem);
	}
	if (!c->feedback)
		c->feedback = json_object();
	return rc;
}

/* Depth-first search for a cycle through depends_on. */
static bool dep_cycle(const struct exercise *ex, size_t i, unsigned char *state, size_t *at)
{
	state[i] = 1;
	const struct check *c = &ex->checks[i];
	for (size_t d = 0; d < c->n_depends; d++) {
		for (size_t j = 0; j < ex->n_checks; j++) {
			if (!ex->checks[j].id || strcmp(ex->checks[j].id, c->depends_on[d]))
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

static int check_dependencies(struct loader *l, yaml_node_t *checks_node, struct exercise *ex)
{
	int rc = 0;
	for (size_t i = 0; i < ex->n_checks; i++) {
		struct check *c = &ex->checks[i];
		yaml_node_t *cn = node(l, checks_node->data.sequence.items.start[i]);
		for (size_t j = 0; j < i; j++) {
			if (c->id && ex->checks[j].id && !strcmp(c->id, ex->checks[j].id)) {
				yaml_node_t *idn = lookup(l, cn, "id");
				rc = err_at(l, idn ? idn : cn, "duplicate check id '%s' (first at line %d)", c->id,
					    ex->checks[j].line);
			}
		}
		for (size_t d = 0; d < c->n_depends; d++) {
			bool found = false;
			const char *ids[256] = { 0 };
			size_t nid = 0;
			for (size_t j = 0; j < ex->n_checks; j++) {
				if (ex->checks[j].id && !strcmp(ex->checks[j].id, c->depends_on[d]))
					found = true;
				if (ex->checks[j].id && nid < 255 && j != i)
					ids[nid++] = ex->checks[j].id;
			}
			if (!found) {
				char hint[96];
				yaml_node_t *dn = lookup(l, cn, "depends_on");
				rc = err_at(l, dn ? dn : cn, "'%s' depends on unknown check '%s'%s", c->id ? c->id : "?",
					    c->depends_on[d], suggest(c->depends_on[d], ids, NULL, hint, sizeof(hint)));
			} else if (c->id && !strcmp(c->depends_on[d], c->id)) {
				yaml_node_t *dn = lookup(l, cn, "depends_on");
				rc = err_at(l, dn ? dn : cn, "check '%s' depends on itself", c->id);
			}
		}
	}
	if (rc < 0)
		return rc;
	unsigned char *state = xcalloc(ex->n_checks, 1);
	size_t at = 0;
	for (size_t i = 0; i < ex->n_checks; i++) {
		if (state[i] == 0 && dep_cycle(ex, i, state, &at)) {
			yaml_node_t *cn = node(l, checks_node->data.sequence.items.start[at]);
			yaml_node_t *dn = lookup(l, cn, "depends_on");
			rc = err_at(l, dn ? dn : cn, "dependency cycle through check '%s'", ex->checks[at].id);
			break;
		}
	}
	free(state);
	return rc;
}

static void exercise_release(struct exercise *ex)
{
	free(ex->id);
	free(ex->title);
	free(ex->path);
	for (size_t i = 0; i < ex->n_files; i++)
		free(ex->files[i]);
	free(ex->files);
	for (size_t i = 0; i < ex->n_checks; i++)
		check_release(&ex->checks[i]);
	free(ex->checks);
	memset(ex, 0, sizeof(*ex));
}

static int load_exercise(struct loader *l, yaml_node_t *root, struct exercise *ex)
{
	static const struct limits defaults = {
		LIMITS_DEFAULT_WALL, LIMITS_DEFAULT_CPU, LIMITS_DEFAULT_MEMORY, LIMITS_DEFAULT_OUTPUT,
	};
	int rc = check_keys(l, root, "an exercise", exercise_keys, NULL);
	yaml_node_t *v;
	ex->path = xstrdup(l->src.path);
	if ((v = lookup(l, root, "exercise"))) {
		if (want_string(l, v, "exercise", &ex->id) < 0)
			rc = -1;
		else if (!is_identifier(ex->id))
			rc = err_at(l, v, "'exercise' must be a short name of letters, digits and '_'");
	}
	if ((v = lookup(l, root, "title")) && want_string(l, v, "title", &ex->title) < 0)
		rc = -1;
	if (!(v = lookup(l, root, "files"))) {
		rc = err_at(l, root, "exercise is missing required key 'files'");
	} else if (want_string_list(l, v, "files", &ex->files, &ex->n_files) == 0) {
		for (size_t i = 0; i < ex->n_files; i++) {
			char *stem = xstrndup(ex->files[i], strlen(ex->files[i]) - (str_has_suffix(ex->files[i], ".py") ? 3 : 0));
			if (!str_has_suffix(ex->files[i], ".py") || !is_identifier(stem))
				rc = err_at(l, v, "'%s' is not a Python module file name such as refcount.py", ex->files[i]);
			free(stem);
		}
	} else {
		rc = -1;
	}
	if ((v = lookup(l, root, "weight"))) {
		if (want_number(l, v, "weight", &ex->weight) < 0)
			rc = -1;
		else if (ex->weight < 0)
			rc = err_at(l, v, "'weight' must not be negative");
	}
	if ((v = lookup(l, root, "limits")) && load_limits(l, v, &ex->limits) < 0)
		rc = -1;
	limits_inherit(&ex->limits, &defaults);

	yaml_node_t *checks = lookup(l, root, "checks");
	if (!checks)
		return err_at(l, root, "exercise is missing required key 'checks'");
	if (checks->type != YAML_SEQUENCE_NODE)
		return err_at(l, checks, "'checks' must be a list of checks, not %s", describe(checks));
	size_t n = (size_t)(checks->data.sequence.items.top - checks->data.sequence.items.start);
	if (n == 0)
		return err_at(l, checks, "'checks' is empty");
	ex->checks = xcalloc(n, sizeof(*ex->checks));
	for (size_t i = 0; i < n; i++) {
		struct check *c = &ex->checks[ex->n_checks++];
		if (load_check(l, node(l, checks->data.sequence.items.start[i]), c) < 0)
			rc = -1;
		limits_inherit(&c->limits, &ex->limits);
	}
	if (check_dependencies(l, checks, ex) < 0)
		rc = -1;
	return rc;
}

/* ---- files ----------------------------------------------------------------- */

static int load_file(struct rubric *r, const char *path, struct diag_list *diags, int depth);

static int yaml_error(struct loader *l, yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "YAML error";
	size_t line = p->problem_mark.line, col = p->problem_mark.column;
	if (p->error == YAML_READER_ERROR)
		return diag_file(l->diags, l->src.path, "cannot read: %s", problem), l->errors++, -1;
	if (p->context)
		diag_at(l->diags, &l->src, line, col, "YAML syntax error: %s %s (line %zu)", problem, p->context,
			p->context_mark.line + 1);
	else
		diag_at(l->diags, &l->src, line, col, "YAML syntax error: %s", problem);
	l->errors++;
	return -1;
}

static int load_course(struct loader *l, yaml_node_t *root, struct rubric *r, int depth)
{
	int rc = check_keys(l, root, "a course", course_keys, NULL);
	yaml_node_t *v;
	if ((v = lookup(l, root, "title")) && !r->title && want_string(l, v, "title", &r->title) < 0)
		rc = -1;
	if (!(v = lookup(l, root, "exercises")))
		return err_at(l, root, "course is missing required key 'exercises'");
	if (v->type != YAML_SEQUENCE_NODE)
		return err_at(l, v, "'exercises' must be a list of rubric files, not %s", describe(v));
	char *dir = xstrdup(l->src.path);
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[1] = '\0';
	else
		dir[0] = '\0';
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *item = node(l, *it);
		const char *file = scalar(item);
		if (!file) {
			rc = err_at(l, item, "course exercises are rubric file names, not %s", describe(item));
			continue;
		}
		char *path = file[0] == '/' ? xstrdup(file) : xasprintf("%s%s", dir, file);
		struct stat st;
		if (stat(path, &st) < 0)
			rc = err_at(l, item, "cannot open '%s': %s", file, strerror(errno));
		else if (load_file(r, path, l->diags, depth + 1) < 0)
			rc = -1;
		free(path);
	}
	free(dir);
	return rc;
}

static int load_file(struct rubric *r, const char *path, struct diag_list *diags, int depth)
{
	struct loader l = { .diags = diags, .src = { path, NULL, 0 } };
	char *text = NULL;
	size_t len = 0;
	yaml_parser_t parser;
	bool have_doc = false;
	int rc = -1;

	if (depth > 4)
		return diag_file(diags, path, "courses nested too deeply");
	int err = read_file(&text, &len, path, RUBRIC_MAX_BYTES);
	if (err == -EFBIG)
		return diag_file(diags, path, "larger than %u bytes", RUBRIC_MAX_BYTES);
	if (err < 0)
		return diag_file(diags, path, "cannot read: %s", strerror(-err));
	l.src.text = text;
	l.src.len = len;
	if (memchr(text, '\0', len) || !utf8_valid(text, len)) {
		diag_file(diags, path, "not a UTF-8 text file");
		goto done;
	}

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &l.doc)) {
		yaml_error(&l, &parser);
		yaml_parser_delete(&parser);
		goto done;
	}
	yaml_parser_delete(&parser);
	have_doc = true;

	yaml_node_t *root = yaml_document_get_root_node(&l.doc);
	if (!root) {
		diag_file(diags, path, "empty rubric (expected a mapping with 'exercise' or 'course')");
		goto done;
	}
	if (root->type != YAML_MAPPING_NODE) {
		err_at(&l, root, "a rubric is a mapping with 'exercise' or 'course', not %s", describe(root));
		goto done;
	}
	if (lookup(&l, root, "course")) {
		rc = load_course(&l, root, r, depth);
	} else if (lookup(&l, root, "exercise")) {
		r->exercises = xrealloc(r->exercises, (r->n_exercises + 1) * sizeof(*r->exercises));
		struct exercise *ex = &r->exercises[r->n_exercises++];
		memset(ex, 0, sizeof(*ex));
		rc = load_exercise(&l, root, ex);
		for (size_t i = 0; rc == 0 && i + 1 < r->n_exercises; i++) {
			if (ex->id && r->exercises[i].id && !strcmp(ex->id, r->exercises[i].id))
				rc = err_at(&l, lookup(&l, root, "exercise"), "exercise '%s' is already defined in %s",
					    ex->id, r->exercises[i].path);
		}
	} else {
		char hint[96];
		const char *key = root->data.mapping.pairs.start < root->data.mapping.pairs.top
			? scalar(node(&l, root->data.mapping.pairs.start->key)) : NULL;
		static const char *const tops[] = { "exercise", "course", NULL };
		err_at(&l, root, "a rubric needs 'exercise' (one exercise) or 'course' (a list of exercise files)%s",
		       key ? suggest(key, tops, NULL, hint, sizeof(hint)) : "");
	}
	if (l.errors)
		rc = -1;
done:
	if (have_doc)
		yaml_document_delete(&l.doc);
	free(text);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int rubric_load(struct rubric *out, const char *path, struct diag_list *diags)
{
	struct stat st;
	*out = (struct rubric)RUBRIC_INIT;
	if (stat(path, &st) < 0)
		return diag_file(diags, path, "cannot open: %s", strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return load_file(out, path, diags, 0);

	char *course = xasprintf("%s/course.yaml", path);
	if (stat(course, &st) == 0) {
		int rc = load_file(out, course, diags, 0);
		free(course);
		return rc;
	}
	free(course);
	DIR *d = opendir(path);
	if (!d)
		return diag_file(diags, path, "cannot open: %s", strerror(errno));
	char **names = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !(str_has_suffix(e->d_name, ".yaml") || str_has_suffix(e->d_name, ".yml")))
			continue;
		xgrow((void **)&names, &alloc, n + 1, sizeof(*names));
		names[n++] = xasprintf("%s/%s", path, e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	int rc = n ? 0 : diag_file(diags, path, "no rubric files (*.yaml) in this directory");
	for (size_t i = 0; i < n; i++) {
		if (load_file(out, names[i], diags, 0) < 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

void rubric_release(struct rubric *r)
{
	for (size_t i = 0; i < r->n_exercises; i++)
		exercise_release(&r->exercises[i]);
	free(r->exercises);
	free(r->title);
	*r = (struct rubric)RUBRIC_INIT;
}
