/*
 * loader.h - the rubric loader's pieces, shared by the files of rubric/
 * (not used outside it).
 *
 *   yaml.c     nodes of the libyaml document, every problem at its position
 *   values.c   Python values in YAML -> tagged JSON (base/value.h)
 *   checks.c   one check: common keys, its kind's keys, limits, feedback;
 *              dependencies between an exercise's checks
 *   units.c    durations, sizes, version conditions
 *   rubric.c   files, courses and exercises; rubric_load()
 *
 * Every function that reports a problem records it in l->diags (quoting
 * the line) and returns -1: a loader keeps going after an error so one run
 * reports every problem it can.  libyaml's own 1/0 convention stays inside
 * rubric.c.
 */
#ifndef GRADE_RUBRIC_LOADER_H
#define GRADE_RUBRIC_LOADER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "base/diag.h"
#include "rubric/rubric.h"

struct loader {
	struct diag_list *diags;
	struct diag_source src;
	yaml_document_t doc;
	int errors;
};

/* yaml.c */
int loader_error(struct loader *l, const yaml_node_t *node, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
yaml_node_t *loader_node(struct loader *l, int index);
/* "a mapping", "a list", "'text'": a node as messages name it. */
const char *loader_describe(const yaml_node_t *n);
/* The scalar's text, or NULL for other nodes. */
const char *loader_scalar(const yaml_node_t *n);
/* A plain (unquoted, untagged) scalar. */
bool loader_is_plain(const yaml_node_t *n);
/* The node's explicit tag ("!tuple"), or NULL. */
const char *loader_tag(const yaml_node_t *n);
/* " (did you mean 'x'?)" for the closest name in a or b, or "" (into hint). */
const char *loader_suggest(const char *word, const char *const *a, const char *const *b, char *hint, size_t len);
bool loader_in_list(const char *word, const char *const *list);
/* Every key of map must be in a or b (either may be NULL); what: "a check". */
int loader_check_keys(struct loader *l, yaml_node_t *map, const char *what, const char *const *a,
		      const char *const *b);
/* The value under 'key' in a mapping, or NULL. */
yaml_node_t *loader_lookup(struct loader *l, yaml_node_t *map, const char *key);
int loader_string(struct loader *l, yaml_node_t *v, const char *key, char **out);
int loader_number(struct loader *l, yaml_node_t *v, const char *key, double *out);
int loader_bool(struct loader *l, yaml_node_t *v, const char *key, bool *out);
int loader_string_list(struct loader *l, yaml_node_t *v, const char *key, char ***out, size_t *n);
bool loader_is_identifier(const char *s);

/* values.c: a Python value; *out is a new reference. */
/* A plain scalar as YAML 1.2's core schema reads it (null, bools, ints, floats), else a string (new). */
json_t *loader_resolve_plain(const char *s);
int loader_value(struct loader *l, yaml_node_t *n, json_t **out, int depth);

/* checks.c */
int loader_limits(struct loader *l, yaml_node_t *v, struct limits *out);
int loader_check(struct loader *l, yaml_node_t *m, struct check *c);
/* Ids unique, depends_on and requires naming checks of the exercise, no
 * cycle; nodes[i] is check i's mapping. */
int loader_dependencies(struct loader *l, yaml_node_t *const *nodes, struct exercise *ex);

#endif
