#include "base/value.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"

static const char *tag_of(const json_t *v)
{
	if (!json_is_object(v) || json_object_size(v) < 1)
		return NULL;
	const char *key = json_object_iter_key(json_object_iter((json_t *)v));
	return key && key[0] == '$' ? key : NULL;
}

bool value_equal(const json_t *a, const json_t *b)
{
	return json_equal((json_t *)a, (json_t *)b) != 0;
}

bool value_close(const json_t *a, const json_t *b, double rel_tol, double abs_tol)
{
	if (json_is_real(a) && json_is_real(b)) {
		double x = json_real_value(a), y = json_real_value(b);
		double diff = fabs(x - y), scale = fmax(fabs(x), fabs(y));
		return diff <= fmax(rel_tol * scale, abs_tol);
	}
	if (json_is_array(a) && json_is_array(b)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!value_close(json_array_get(a, i), json_array_get(b, i), rel_tol, abs_tol))
				return false;
		return true;
	}
	if (json_is_object(a) && json_is_object(b)) {
		if (json_object_size(a) != json_object_size(b))
			return false;
		const char *key;
		json_t *va;
		json_object_foreach((json_t *)a, key, va) {
			json_t *vb = json_object_get(b, key);
			if (!vb || !value_close(va, vb, rel_tol, abs_tol))
				return false;
		}
		return true;
	}
	return value_equal(a, b);
}

const char *value_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_NULL: return "NoneType";
	case JSON_TRUE:
	case JSON_FALSE: return "bool";
	case JSON_INTEGER: return "int";
	case JSON_REAL: return "float";
	case JSON_STRING: return "str";
	case JSON_ARRAY: return "list";
	case JSON_OBJECT: break;
	}
	const char *tag = tag_of(v);
	if (!tag)
		return "dict";
	if (!strcmp(tag, "$object")) {
		const char *name = json_string_value(json_object_get(v, "$object"));
		return name ? name : "object";
	}
	if (!strcmp(tag, "$int")) return "int";
	if (!strcmp(tag, "$float")) return "float";
	if (!strcmp(tag, "$str")) return "str";
	if (!strcmp(tag, "$fixture")) return "grader fixture";
	return tag + 1; /* tuple, set, frozenset, dict, bytes, bytearray, new, build */
}

static void repr_into(struct buf *out, const json_t *v, int depth);

static void repr_items(struct buf *out, const json_t *array, const char *open, const char *close,
		       int depth, bool one_tuple)
{
	buf_puts(out, open);
	for (size_t i = 0; i < json_array_size(array); i++) {
		if (i)
			buf_puts(out, ", ");
		repr_into(out, json_array_get(array, i), depth + 1);
		if (buf_truncated(out))
			return;
	}
	if (one_tuple && json_array_size(array) == 1)
		buf_puts(out, ",");
	buf_puts(out, close);
}

static void repr_string(struct buf *out, const char *s, size_t len, char prefix)
{
	bool dq = memchr(s, '\'', len) && !memchr(s, '"', len);
	char q = dq ? '"' : '\'';
	if (prefix)
		buf_append(out, &prefix, 1);
	buf_append(out, &q, 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\' || c == (unsigned char)q)
			buf_printf(out, "\\%c", c);
		else if (c == '\n')
			buf_puts(out, "\\n");
		else if (c == '\t')
			buf_puts(out, "\\t");
		else if (c == '\r')
			buf_puts(out, "\\r");
		else if (c < 0x20 || c == 0x7f || (prefix && c >= 0x80))
			buf_printf(out, "\\x%02x", c);
		else
			buf_append(out, &s[i], 1);
	}
	buf_append(out, &q, 1);
}

static void repr_hex_bytes(struct buf *out, const char *hex, const char *wrap)
{
	char *raw = xmalloc(strlen(hex) / 2 + 1);
	size_t n = hex_decode(hex, raw);
	if (wrap)
		buf_printf(out, "%s(", wrap);
	repr_string(out, raw, n, 'b');
	if (wrap)
		buf_puts(out, ")");
	free(raw);
}

static void repr_into(struct buf *out, const json_t *v, int depth)
{
	if (depth > 50) {
		buf_puts(out, "...");
		return;
	}
	switch (json_typeof(v)) {
	case JSON_NULL: buf_puts(out, "None"); return;
	case JSON_TRUE: buf_puts(out, "True"); return;
	case JSON_FALSE: buf_puts(out, "False"); return;
	case JSON_INTEGER: buf_printf(out, "%lld", (long long)json_integer_value(v)); return;
	case JSON_REAL: {
		double d = json_real_value(v);
		char tmp[64];
		snprintf(tmp, sizeof(tmp), "%.17g", d);
		/* Shortest form that reads back the same, like Python's repr. */
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
			if (strtod(tmp, NULL) == d)
				break;
		}
		buf_puts(out, tmp);
		if (!strpbrk(tmp, ".eEn"))
			buf_puts(out, ".0");
		return;
	}
	case JSON_STRING:
		repr_string(out, json_string_value(v), json_string_length(v), 0);
		return;
	case JSON_ARRAY: repr_items(out, v, "[", "]", depth, false); return;
	case JSON_OBJECT: break;
	}
	const char *tag = tag_of(v);
	const json_t *inner = tag ? json_object_get(v, tag) : NULL;
	if (!tag) {
		buf_puts(out, "{...}");
	} else if (!strcmp(tag, "$tuple")) {
		repr_items(out, inner, "(", ")", depth, true);
	} else if (!strcmp(tag, "$set")) {
		if (json_array_size(inner) == 0)
			buf_puts(out, "set()");
		else
			repr_items(out, inner, "{", "}", depth, false);
	} else if (!strcmp(tag, "$frozenset")) {
		repr_items(out, inner, "frozenset({", "})", depth, false);
	} else if (!strcmp(tag, "$dict")) {
		buf_puts(out, "{");
		for (size_t i = 0; i < json_array_size(inner); i++) {
			json_t *pair = json_array_get(inner, i);
			if (i)
				buf_puts(out, ", ");
			repr_into(out, json_array_get(pair, 0), depth + 1);
			buf_puts(out, ": ");
			repr_into(out, json_array_get(pair, 1), depth + 1);
		}
		buf_puts(out, "}");
	} else if (!strcmp(tag, "$bytes")) {
		repr_hex_bytes(out, json_string_value(inner) ? json_string_value(inner) : "", NULL);
	} else if (!strcmp(tag, "$bytearray")) {
		repr_hex_bytes(out, json_string_value(inner) ? json_string_value(inner) : "", "bytearray");
	} else if (!strcmp(tag, "$int") || !strcmp(tag, "$float") || !strcmp(tag, "$str")) {
		buf_puts(out, json_string_value(inner) ? json_string_value(inner) : "?");
	} else if (!strcmp(tag, "$object")) {
		const char *mod = json_string_value(json_object_get(v, "module"));
		if (mod && strcmp(mod, "builtins"))
			buf_printf(out, "<%s.%s object>", mod, json_string_value(inner));
		else
			buf_printf(out, "<%s object>", json_string_value(inner));
	} else if (!strcmp(tag, "$fixture")) {
		buf_printf(out, "<grader's %s>", json_string_value(inner) ? json_string_value(inner) : "?");
	} else if (!strcmp(tag, "$build")) {
		buf_printf(out, "<%s>", json_string_value(inner) ? json_string_value(inner) : "?");
	} else if (!strcmp(tag, "$new")) {
		const char *what = json_is_string(inner) ? json_string_value(inner)
			: json_string_value(json_object_get(inner, "type"));
		buf_printf(out, "<new %s>", what ? what : "object");
	} else {
		buf_puts(out, tag);
	}
}

char *value_repr(const json_t *v, size_t max)
{
	struct buf out = BUF_INIT(max);
	repr_into(&out, v, 0);
	if (buf_truncated(&out)) {
		out.limit += 4;
		buf_puts(&out, "...");
	}
	return buf_detach(&out, NULL);
}

static int compare_canonical(const void *pa, const void *pb)
{
	char *a = json_dumps(*(json_t *const *)pa, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	char *b = json_dumps(*(json_t *const *)pb, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	int r = strcmp(a ? a : "", b ? b : "");
	free(a);
	free(b);
	return r;
}

void value_sort_array(json_t *array)
{
	size_t n = json_array_size(array);
	if (n < 2)
		return;
	json_t **items = xmalloc(n * sizeof(*items));
	for (size_t i = 0; i < n; i++)
		items[i] = json_incref(json_array_get(array, i));
	qsort(items, n, sizeof(*items), compare_canonical);
	json_array_clear(array);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(array, items[i]);
	free(items);
}

const char *const value_fixture_names[] = {
	"sample_function", "identity", "token", "make_token", "raise_value_error", "GraderNode", NULL,
};

const char *const value_builder_names[] = {
	"shared_str", "shared_tuple", "many_none", "self_list", "two_lists", "instance_cycle",
	"dict_keys", "nested_dict", "dict_subclass", "instance", "slots", "slots_inherited",
	"slots_single", "slots_private", "slots_dict", "opaque_items", "class_root", "function_root",
	"module_root", "deep_list", "ints", "tuples", "mixed", "deque_items", "generator_root",
	"closure_cells", "iterable_instance", "exception_args", "bound_method_root",
	"builtin_method_root", NULL,
};
