/*
 * rubric.c - rubric files: an exercise or a course of exercise files, read
 * with libyaml into struct rubric (loader.h for the pieces).
 */
#include "rubric/loader.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"

#define RUBRIC_MAX_BYTES (4u << 20)

static const char *const exercise_keys[] = {
	"exercise", "title", "files", "weight", "limits", "time_budget", "checks", "bonus", "bonus_cap", NULL,
};
static const char *const course_keys[] = { "course", "title", "exercises", NULL };

static void exercise_release(struct exercise *ex)
{
	free(ex->id);
	free(ex->title);
	free(ex->path);
	free_strings(ex->files, ex->n_files);
	for (size_t i = 0; i < ex->n_checks; i++)
		check_release(&ex->checks[i]);
	free(ex->checks);
	memset(ex, 0, sizeof(*ex));
}

/* The number of items of 'key' (a list of checks), or -1 after an error. */
static long check_list(struct loader *l, yaml_node_t *root, const char *key, bool required, yaml_node_t **out)
{
	yaml_node_t *list = *out = loader_lookup(l, root, key);
	if (!list)
		return required ? loader_error(l, root, "exercise is missing required key '%s'", key) : 0;
	if (list->type != YAML_SEQUENCE_NODE)
		return loader_error(l, list, "'%s' must be a list of checks, not %s", key, loader_describe(list));
	long n = (long)(list->data.sequence.items.top - list->data.sequence.items.start);
	if (n == 0 && required)
		return loader_error(l, list, "'%s' is empty", key);
	return n;
}

/* 'checks', then the checks of the 'bonus' section, which are bonus checks
 * (bonus: true) whatever they say. */
static int load_checks(struct loader *l, yaml_node_t *root, struct exercise *ex)
{
	yaml_node_t *lists[2];
	long n0 = check_list(l, root, "checks", true, &lists[0]);
	long n1 = check_list(l, root, "bonus", false, &lists[1]);
	if (n0 < 0 || n1 < 0)
		return -1;
	size_t n = (size_t)(n0 + n1);
	int rc = 0;
	yaml_node_t **nodes = xcalloc(n, sizeof(*nodes));
	ex->checks = xcalloc(n, sizeof(*ex->checks));
	for (size_t i = 0; i < n; i++) {
		bool in_bonus = i >= (size_t)n0;
		yaml_node_t *list = lists[in_bonus];
		struct check *c = &ex->checks[ex->n_checks++];
		nodes[i] = loader_node(l, list->data.sequence.items.start[in_bonus ? i - (size_t)n0 : i]);
		if (loader_check(l, nodes[i], c) < 0)
			rc = -1;
		c->bonus |= in_bonus;
		limits_inherit(&c->limits, &ex->limits);
	}
	if (loader_dependencies(l, nodes, ex) < 0)
		rc = -1;
	free(nodes);
	return rc;
}

static int load_exercise(struct loader *l, yaml_node_t *root, struct exercise *ex)
{
	static const struct limits defaults = {
		LIMITS_DEFAULT_WALL, LIMITS_DEFAULT_CPU, LIMITS_DEFAULT_MEMORY, LIMITS_DEFAULT_OUTPUT,
	};
	int rc = loader_check_keys(l, root, "an exercise", exercise_keys, NULL);
	yaml_node_t *v;
	ex->path = xstrdup(l->src.path);
	if ((v = loader_lookup(l, root, "exercise"))) {
		if (loader_string(l, v, "exercise", &ex->id) < 0)
			rc = -1;
		else if (!loader_is_identifier(ex->id))
			rc = loader_error(l, v, "'exercise' must be a short name of letters, digits and '_'");
	}
	if ((v = loader_lookup(l, root, "title")) && loader_string(l, v, "title", &ex->title) < 0)
		rc = -1;
	if (!(v = loader_lookup(l, root, "files"))) {
		rc = loader_error(l, root, "exercise is missing required key 'files'");
	} else if (loader_string_list(l, v, "files", &ex->files, &ex->n_files) == 0) {
		for (size_t i = 0; i < ex->n_files; i++) {
			char *stem = xstrndup(ex->files[i], strlen(ex->files[i]) - (str_has_suffix(ex->files[i], ".py") ? 3 : 0));
			if (!str_has_suffix(ex->files[i], ".py") || !loader_is_identifier(stem))
				rc = loader_error(l, v, "'%s' is not a Python module file name such as refcount.py", ex->files[i]);
			free(stem);
		}
	} else {
		rc = -1;
	}
	if ((v = loader_lookup(l, root, "weight"))) {
		if (loader_number(l, v, "weight", &ex->weight) < 0)
			rc = -1;
		else if (ex->weight < 0)
			rc = loader_error(l, v, "'weight' must not be negative");
	}
	if ((v = loader_lookup(l, root, "limits")) && loader_limits(l, v, &ex->limits) < 0)
		rc = -1;
	limits_inherit(&ex->limits, &defaults);
	ex->time_budget = EXERCISE_DEFAULT_TIME_BUDGET;
	if ((v = loader_lookup(l, root, "time_budget"))) {
		const char *s = loader_scalar(v);
		double d = 0;
		if (!s || parse_duration(s, &d) < 0 || d <= 0 || d > 3600)
			rc = loader_error(l, v, "'time_budget' must be a duration such as 6s or 1500ms (at most 1 hour)");
		else
			ex->time_budget = d;
	}

	if ((v = loader_lookup(l, root, "bonus_cap"))) {
		if (loader_number(l, v, "bonus_cap", &ex->bonus_cap) < 0)
			rc = -1;
		else if (ex->bonus_cap < 0)
			rc = loader_error(l, v, "'bonus_cap' must not be negative");
		ex->has_bonus_cap = true;
	}
	if (load_checks(l, root, ex) < 0)
		rc = -1;
	return rc;
}


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
	int rc = loader_check_keys(l, root, "a course", course_keys, NULL);
	yaml_node_t *v;
	if ((v = loader_lookup(l, root, "title")) && !r->title && loader_string(l, v, "title", &r->title) < 0)
		rc = -1;
	if (!(v = loader_lookup(l, root, "exercises")))
		return loader_error(l, root, "course is missing required key 'exercises'");
	if (v->type != YAML_SEQUENCE_NODE)
		return loader_error(l, v, "'exercises' must be a list of rubric files, not %s", loader_describe(v));
	char *dir = xstrdup(l->src.path);
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[1] = '\0';
	else
		dir[0] = '\0';
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *item = loader_node(l, *it);
		const char *file = loader_scalar(item);
		if (!file) {
			rc = loader_error(l, item, "course exercises are rubric file names, not %s", loader_describe(item));
			continue;
		}
		char *path = file[0] == '/' ? xstrdup(file) : xasprintf("%s%s", dir, file);
		struct stat st;
		if (stat(path, &st) < 0)
			rc = loader_error(l, item, "cannot open '%s': %s", file, strerror(errno));
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
		loader_error(&l, root, "a rubric is a mapping with 'exercise' or 'course', not %s", loader_describe(root));
		goto done;
	}
	if (loader_lookup(&l, root, "course")) {
		rc = load_course(&l, root, r, depth);
	} else if (loader_lookup(&l, root, "exercise")) {
		r->exercises = xrealloc(r->exercises, (r->n_exercises + 1) * sizeof(*r->exercises));
		struct exercise *ex = &r->exercises[r->n_exercises++];
		memset(ex, 0, sizeof(*ex));
		rc = load_exercise(&l, root, ex);
		for (size_t i = 0; rc == 0 && i + 1 < r->n_exercises; i++) {
			if (ex->id && r->exercises[i].id && !strcmp(ex->id, r->exercises[i].id))
				rc = loader_error(&l, loader_lookup(&l, root, "exercise"), "exercise '%s' is already defined in %s",
					    ex->id, r->exercises[i].path);
		}
	} else {
		char hint[96];
		const char *key = root->data.mapping.pairs.start < root->data.mapping.pairs.top
			? loader_scalar(loader_node(&l, root->data.mapping.pairs.start->key)) : NULL;
		static const char *const tops[] = { "exercise", "course", NULL };
		loader_error(&l, root, "a rubric needs 'exercise' (one exercise) or 'course' (a list of exercise files)%s",
		       key ? loader_suggest(key, tops, NULL, hint, sizeof(hint)) : "");
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
