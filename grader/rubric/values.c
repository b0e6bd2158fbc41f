/*
 * values.c - Python values written in YAML (plain scalars, !tuple, !set,
 * !bytes, !new, !fixture...) into the tagged JSON of base/value.h.
 */
#include "rubric/loader.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "base/value.h"

static const char *const new_types[] = {
	"object", "instance", "list", "dict", "set", "bytearray", NULL,
};



/* Resolves a plain scalar the way YAML 1.2's core schema does (plus Python
 * spellings): null, booleans, ints (decimal, 0x, 0o, 0b), floats. */
json_t *loader_resolve_plain(const char *s)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", "None", NULL };
	static const char *const trues[] = { "true", "True", "TRUE", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", NULL };
	if (loader_in_list(s, nulls))
		return json_null();
	if (loader_in_list(s, trues))
		return json_true();
	if (loader_in_list(s, falses))
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
		if (loader_in_list(s, specials)) {
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
		json_object_set_new(spec, "type", json_string(loader_scalar(n)));
	} else if (n->type == YAML_MAPPING_NODE) {
		static const char *const keys[] = { "type", "size", "items", NULL };
		if (loader_check_keys(l, n, "!new", keys, NULL) < 0) {
			json_decref(spec);
			return -1;
		}
		yaml_node_t *t = loader_lookup(l, n, "type"), *size = loader_lookup(l, n, "size"), *items = loader_lookup(l, n, "items");
		if (!t || !loader_scalar(t)) {
			json_decref(spec);
			return loader_error(l, n, "!new needs a 'type' (one of object, instance, list, dict, set, bytearray)");
		}
		json_object_set_new(spec, "type", json_string(loader_scalar(t)));
		if (size) {
			double d = 0;
			if (loader_number(l, size, "size", &d) < 0 || d < 0 || d > 1e9 || floor(d) != d) {
				json_decref(spec);
				return loader_error(l, size, "'size' must be a whole number from 0 to 10^9");
			}
			json_object_set_new(spec, "size", json_integer((json_int_t)d));
		}
		if (items) {
			json_t *v = NULL;
			if (loader_value(l, items, &v, 1) < 0) {
				json_decref(spec);
				return -1;
			}
			json_object_set_new(spec, "items", v);
		}
	} else {
		json_decref(spec);
		return loader_error(l, n, "!new takes a type name or a mapping, not %s", loader_describe(n));
	}
	const char *type = json_string_value(json_object_get(spec, "type"));
	if (!loader_in_list(type, new_types)) {
		char hint[96];
		loader_error(l, n, "unknown type '%s' for !new%s", type, loader_suggest(type, new_types, NULL, hint, sizeof(hint)));
		json_decref(spec);
		return -1;
	}
	*out = json_pack("{s:o}", "$new", spec);
	return 0;
}

/* A scalar, plain or tagged (!bytes, !float, !fixture...), as its tagged
 * JSON value in *out (new).  Returns 0, or -1 with the problem recorded. */
static int scalar_value(struct loader *l, yaml_node_t *n, const char *tag, json_t **out)
{
	const char *s = loader_scalar(n);
	size_t len = n->data.scalar.length;
	if (!tag) {
		*out = loader_is_plain(n) ? loader_resolve_plain(s) : json_stringn(s, len);
	} else if (!strcmp(tag, "!bytes") || !strcmp(tag, "!bytearray")) {
		*out = json_pack("{s:o}", tag[6] ? "$bytearray" : "$bytes", hex_string(s, len));
	} else if (!strcmp(tag, "!float")) {
		json_t *v = loader_resolve_plain(s);
		if (json_is_integer(v)) {
			json_t *f = json_real((double)json_integer_value(v));
			json_decref(v);
			v = f;
		}
		if (!json_is_real(v) && !json_object_get(v, "$float")) {
			json_decref(v);
			return loader_error(l, n, "!float needs a number, nan or inf, not '%s'", s);
		}
		*out = v;
	} else if (!strcmp(tag, "tag:yaml.org,2002:str")) {
		*out = json_stringn(s, len);
	} else if (!strcmp(tag, "!fixture") || !strcmp(tag, "!build")) {
		bool fixture = tag[1] == 'f';
		const char *const *names = fixture ? value_fixture_names : value_builder_names;
		if (!loader_in_list(s, names)) {
			char hint[96];
			return loader_error(l, n, "unknown %s '%s'%s", fixture ? "grader fixture" : "builder", s,
				      loader_suggest(s, names, NULL, hint, sizeof(hint)));
		}
		*out = json_pack("{s:s}", fixture ? "$fixture" : "$build", s);
	} else if (!strcmp(tag, "!tuple") || !strcmp(tag, "!set") || !strcmp(tag, "!frozenset") ||
		   !strcmp(tag, "!dict")) {
		if (len)
			return loader_error(l, n, "%s takes a list, not a scalar", tag);
		*out = !strcmp(tag, "!dict") ? json_pack("{s:[]}", "$dict")
					    : json_pack("{s:[]}", tag[1] == 't' ? "$tuple" : tag[1] == 's' ? "$set" : "$frozenset");
	} else {
		return loader_error(l, n, "unknown tag '%s' (known: !tuple, !set, !frozenset, !dict, !bytes, !bytearray, !float, !new, !fixture, !build)", tag);
	}
	return 0;
}

/* A sequence: a list, or with !tuple / !set / !frozenset that container. */
static int sequence_value(struct loader *l, yaml_node_t *n, const char *tag, json_t **out, int depth)
{
	json_t *arr = json_array();
	int rc = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		json_t *v = NULL;
		if (loader_value(l, loader_node(l, *it), &v, depth + 1) < 0)
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
		return loader_error(l, n, "tag '%s' does not apply to a list (use !tuple, !set or !frozenset)", tag);
	}
	return 0;
}

/* A mapping: a dict, its pairs sorted so that equal dicts encode alike. */
static int mapping_value(struct loader *l, yaml_node_t *n, const char *tag, json_t **out, int depth)
{
	if (tag && strcmp(tag, "!dict"))
		return loader_error(l, n, "tag '%s' does not apply to a mapping", tag);
	json_t *pairs = json_array();
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		json_t *k = NULL, *v = NULL;
		if (loader_value(l, loader_node(l, p->key), &k, depth + 1) < 0 ||
		    loader_value(l, loader_node(l, p->value), &v, depth + 1) < 0) {
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

int loader_value(struct loader *l, yaml_node_t *n, json_t **out, int depth)
{
	if (depth > 50)
		return loader_error(l, n, "value nested too deeply");
	const char *tag = loader_tag(n);
	if (tag && !strcmp(tag, "!new"))
		return to_new(l, n, out);
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return scalar_value(l, n, tag, out);
	case YAML_SEQUENCE_NODE:
		return sequence_value(l, n, tag, out, depth);
	case YAML_MAPPING_NODE:
		return mapping_value(l, n, tag, out, depth);
	default:
		return loader_error(l, n, "expected a value");
	}
}
