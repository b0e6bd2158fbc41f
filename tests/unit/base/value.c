#include <criterion/criterion.h>
#include <stdlib.h>

#include "base/value.h"

TestSuite(value, .timeout = 10);

static json_t *J(const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
	cr_assert_not_null(v, "bad JSON in test: %s", text);
	return v;
}

static void expect_repr(const char *json, const char *want)
{
	json_t *v = J(json);
	char *s = value_repr(v, 200);
	cr_expect_str_eq(s, want, "repr of %s", json);
	free(s);
	json_decref(v);
}

Test(value, repr_looks_like_python)
{
	expect_repr("null", "None");
	expect_repr("[true, false]", "[True, False]");
	expect_repr("2.0", "2.0");
	expect_repr("0.1", "0.1");
	expect_repr("\"it's\"", "\"it's\"");
	expect_repr("\"a\\nb\"", "'a\\nb'");
	expect_repr("{\"$tuple\": [1]}", "(1,)");
	expect_repr("{\"$tuple\": []}", "()");
	expect_repr("{\"$set\": []}", "set()");
	expect_repr("{\"$dict\": [[\"a\", 1]]}", "{'a': 1}");
	expect_repr("{\"$bytes\": \"6869ff\"}", "b'hi\\xff'");
	expect_repr("{\"$bytearray\": \"00\"}", "bytearray(b'\\x00')");
	expect_repr("{\"$object\": \"map\", \"module\": \"builtins\"}", "<map object>");
	expect_repr("{\"$object\": \"LyingInt\", \"module\": \"refcount\"}", "<refcount.LyingInt object>");
	expect_repr("{\"$float\": \"nan\"}", "nan");
	expect_repr("{\"$new\": {\"type\": \"list\"}}", "<new list>");
}

Test(value, repr_is_cut_at_the_limit)
{
	json_t *v = J("[1111111111, 2222222222, 3333333333, 4444444444]");
	char *s = value_repr(v, 12);
	cr_expect_str_eq(s, "[1111111111,...");
	free(s);
	json_decref(v);
}

Test(value, equality_is_strict_about_types)
{
	json_t *one = J("1"), *onef = J("1.0"), *t = J("true"), *list = J("[1, 2]"),
	       *tuple = J("{\"$tuple\": [1, 2]}"), *obj = J("{\"$object\": \"int\"}");
	cr_expect(value_equal(one, one));
	cr_expect_not(value_equal(one, onef));
	cr_expect_not(value_equal(one, t));
	cr_expect_not(value_equal(list, tuple));
	cr_expect_not(value_equal(one, obj), "an int subclass is never an int");
	json_decref(one);
	json_decref(onef);
	json_decref(t);
	json_decref(list);
	json_decref(tuple);
	json_decref(obj);
}

Test(value, close_compares_floats_within_tolerance)
{
	json_t *a = J("[1.0, {\"$tuple\": [2.0]}]"), *b = J("[1.0000001, {\"$tuple\": [2.0000001]}]"), *c = J("[1.1, {\"$tuple\": [2.0]}]");
	cr_expect(value_close(a, b, 1e-6, 0));
	cr_expect_not(value_close(a, c, 1e-6, 0));
	cr_expect_not(value_equal(a, b));
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

Test(value, type_names)
{
	const char *cases[][2] = {
		{ "1", "int" }, { "1.5", "float" }, { "\"s\"", "str" }, { "[]", "list" }, { "null", "NoneType" },
		{ "{\"$tuple\": []}", "tuple" }, { "{\"$int\": \"99999999999999999999\"}", "int" },
		{ "{\"$object\": \"map\"}", "map" }, { "{\"$frozenset\": []}", "frozenset" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *v = J(cases[i][0]);
		cr_expect_str_eq(value_type_name(v), cases[i][1], "%s", cases[i][0]);
		json_decref(v);
	}
}

Test(value, sort_makes_sets_canonical)
{
	json_t *a = J("[3, 1, 2]"), *b = J("[2, 3, 1]");
	value_sort_array(a);
	value_sort_array(b);
	cr_expect(value_equal(a, b));
	json_decref(a);
	json_decref(b);
}
