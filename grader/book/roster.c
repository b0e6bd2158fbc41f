#include "book/roster.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"
#include "book/csv.h"
#include "book/hash.h"
#include "git/due.h"
#include "git/repo.h"

#define ROSTER_MAX_BYTES ((size_t)64 << 20)

static void entry_release(struct roster_entry *e)
{
	free(e->student);
	free(e->path);
	free(e->name);
	free(e->email);
	free(e->commit);
	free(e->deadline);
}

void roster_release(struct roster *r)
{
	for (size_t i = 0; i < r->n; i++)
		entry_release(&r->entries[i]);
	free(r->entries);
	*r = (struct roster)ROSTER_INIT;
}

static struct roster_entry *add(struct roster *r)
{
	xgrow((void **)&r->entries, &r->alloc, r->n + 1, sizeof(*r->entries));
	struct roster_entry *e = &r->entries[r->n++];
	*e = (struct roster_entry){ 0 };
	return e;
}

static int by_student(const void *a, const void *b)
{
	return strcmp(((const struct roster_entry *)a)->student, ((const struct roster_entry *)b)->student);
}

static int from_dir(struct roster *r, const char *dir, struct diag_list *diags)
{
	DIR *d = opendir(dir);
	if (!d)
		return diag_file(diags, dir, "cannot list the submissions: %s", strerror(errno));
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *path = strcmp(dir, ".") ? xasprintf("%s/%s", dir, de->d_name) : xstrdup(de->d_name);
		struct stat st;
		if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
			free(path);
			continue;
		}
		struct roster_entry *e = add(r);
		e->student = xstrdup(de->d_name);
		e->path = path;
	}
	closedir(d);
	qsort(r->entries, r->n, sizeof(*r->entries), by_student);
	if (r->n == 0)
		return diag_file(diags, dir, "%s", "no submission folders in this directory");
	return 0;
}

static long column(const struct csv_record *header, const char *name)
{
	for (size_t i = 0; i < header->n; i++)
		if (!strcmp(header->fields[i], name))
			return (long)i;
	return -1;
}

/* 'path' relative to the roster's directory, unless absolute. */
static char *resolve(const char *roster, const char *path)
{
	const char *slash = strrchr(roster, '/');
	if (path[0] == '/' || !slash || repo_is_url(path))
		return xstrdup(path);
	return xasprintf("%.*s/%s", (int)(slash - roster), roster, path);
}

static int from_csv(struct roster *r, const char *file, struct diag_list *diags)
{
	char *text = NULL;
	size_t len = 0;
	struct csv_table t = CSV_TABLE_INIT;
	int rc = read_file(&text, &len, file, ROSTER_MAX_BYTES);
	if (rc < 0) {
		rc = diag_file(diags, file, "cannot read the roster: %s", strerror(-rc));
		goto done;
	}
	struct diag_source src = { file, text, len };
	if ((rc = csv_parse(&t, file, text, len, diags)) < 0)
		goto done;
	if (t.n == 0) {
		rc = diag_file(diags, file, "%s", "empty roster (a header row 'student,path' comes first)");
		goto done;
	}
	const struct csv_record *h = &t.records[0];
	long cs = column(h, "student"), cp = column(h, "path"), cn = column(h, "name"), ce = column(h, "email");
	long cd = column(h, "deadline");
	if (cs < 0 || cp < 0) {
		rc = diag_at(diags, &src, h->line - 1, 0, "the header row needs the columns 'student' and 'path'");
		goto done;
	}
	for (size_t i = 1; i < t.n; i++) {
		const struct csv_record *rec = &t.records[i];
		if ((size_t)cs >= rec->n || (size_t)cp >= rec->n || !*rec->fields[cs] || !*rec->fields[cp]) {
			rc = diag_at(diags, &src, rec->line - 1, 0, "row %zu has no %s", i,
				     (size_t)cs >= rec->n || !*rec->fields[cs] ? "student" : "path");
			continue;
		}
		struct roster_entry *e = add(r);
		e->student = xstrdup(rec->fields[cs]);
		e->path = resolve(file, rec->fields[cp]);
		e->line = rec->line;
		if (cn >= 0 && (size_t)cn < rec->n && *rec->fields[cn])
			e->name = xstrdup(rec->fields[cn]);
		if (ce >= 0 && (size_t)ce < rec->n && *rec->fields[ce])
			e->email = xstrdup(rec->fields[ce]);
		if (cd >= 0 && (size_t)cd < rec->n && *rec->fields[cd]) {
			int64_t at = 0;
			char why[256];
			if (due_parse_time(rec->fields[cd], &at, why, sizeof(why)) < 0)
				rc = diag_at(diags, &src, rec->line - 1, 0, "deadline: %s", why);
			e->deadline = xstrdup(rec->fields[cd]);
			e->deadline_at = (long long)at;
		}
	}
	for (size_t i = 0; i < r->n; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(r->entries[i].student, r->entries[j].student)) {
				rc = diag_at(diags, &src, r->entries[i].line - 1, 0,
					     "student '%s' is already on line %zu", r->entries[i].student,
					     r->entries[j].line);
				break;
			}
	if (r->n == 0 && rc == 0)
		rc = diag_file(diags, file, "%s", "the roster lists no student");
done:
	csv_table_release(&t);
	free(text);
	return rc < 0 || diags->errors ? -1 : 0;
}

int roster_load(struct roster *out, const char *path, struct diag_list *diags)
{
	*out = (struct roster)ROSTER_INIT;
	struct stat st;
	if (stat(path, &st) < 0)
		return diag_file(diags, path, "cannot open the roster: %s", strerror(errno));
	return S_ISDIR(st.st_mode) ? from_dir(out, path, diags) : from_csv(out, path, diags);
}

unsigned roster_shard_of(const char *student, unsigned count)
{
	char hex[BOOK_HASH_HEX];
	const char *parts[] = { student };
	digest_strings(parts, 1, hex);
	char first[17];
	memcpy(first, hex, 16);
	first[16] = '\0';
	return (unsigned)(strtoull(first, NULL, 16) % count) + 1;
}

void roster_keep_shard(struct roster *r, unsigned index, unsigned count)
{
	size_t kept = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (roster_shard_of(r->entries[i].student, count) == index)
			r->entries[kept++] = r->entries[i];
		else
			entry_release(&r->entries[i]);
	}
	r->n = kept;
}
