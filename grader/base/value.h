/*
 * value.h - Python values as tagged JSON, on the controller's side.
 *
 * The check child encodes what student code returned (pyvalue.h) and the
 * rubric loader encodes expected values from YAML into the same form, so
 * the controller compares them without an interpreter:
 *
 *   None, True, False        null, true, false
 *   int (fits 64 bits)       integer          larger: {"$int": "-123..."} (decimal;
 *                                            hex "0x..." past 14000 bits)
 *   float                    real             nan/inf: {"$float": "nan"}
 *   str                      string
 *   tuple / set / frozenset  {"$tuple": [...]}, {"$set": [...]}, {"$frozenset": [...]}
 *   dict                     {"$dict": [[key, value], ...]}
 *   bytes / bytearray        {"$bytes": "hex"}, {"$bytearray": "hex"}
 *   anything else            {"$object": "type name", "module": "..."}
 *
 * Only exact built-in types get a value encoding: an int subclass, a map
 * object or a list subclass is an "$object", so it never equals a plain
 * value.  Set elements and dict items are sorted canonically, so equality
 * is json_equal().  In arguments, {"$new": ...} asks the child to build a
 * fresh object (see pyvalue.h).
 */
#ifndef GRADE_VALUE_H
#define GRADE_VALUE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Strict equality: same types, same values (1 != 1.0 != True). */
bool value_equal(const json_t *a, const json_t *b);
/* Like value_equal, but floats compare within rel/abs tolerance (math.isclose). */
bool value_close(const json_t *a, const json_t *b, double rel_tol, double abs_tol);
/* The Python type name of an encoded value ("int", "list", "map"...). */
const char *value_type_name(const json_t *v);
/* A Python-like repr, cut at about 'max' bytes.  Caller frees. */
char *value_repr(const json_t *v, size_t max);
/* Canonical sort of an array of encoded values (for sets). */
void value_sort_array(json_t *array);

/* The grader objects arguments may name: {"$fixture": NAME} (functions and
 * objects passed to student code) and {"$build": NAME} (case objects built
 * fresh: shared references, cycles, slots...).  NULL-terminated; the
 * rubric loader checks names against them, the check child builds them
 * (py/fixtures.h). */
extern const char *const value_fixture_names[];
extern const char *const value_builder_names[];

#endif
