/*
 * roster.h - who is in the class and where each submission is.
 *
 * A roster comes from a directory of submission folders (each
 * subdirectory is one student, named after the folder; hidden folders
 * left out) or from a CSV file (csv.h) with a header row naming its
 * columns: 'student' and 'path' are required, 'name', 'email' and
 * 'deadline' (ISO 8601 with a zone: the student's own deadline, an
 * extension) optional.  A relative path is relative to the CSV file's
 * directory; a URL (git/repo.h) is kept as it is.  Students are unique; a
 * problem in the file is reported at its file:line:col.
 *
 * Extensible on purpose: a roster entry holds what a gradebook row needs
 * besides the grading (a repository's commit, a due date...), filled by
 * whoever knows it.
 */
#ifndef GRADE_BOOK_ROSTER_H
#define GRADE_BOOK_ROSTER_H

#include <stdbool.h>
#include <stddef.h>

#include "base/diag.h"

struct roster_entry {
	char *student;     /* the key in the gradebook */
	char *path;        /* the submission directory as given or resolved */
	char *name;        /* NULL when unknown */
	char *email;       /* NULL when unknown */
	char *commit;      /* the graded commit, when the path is a repository (NULL: none) */
	char *deadline;    /* the roster's 'deadline' column (an extension), ISO 8601, or NULL */
	long long deadline_at;   /* it in Unix seconds, when deadline is set */
	bool has_late_penalty;
	double late_penalty;   /* points taken off for lateness, when has_late_penalty */
	size_t line;       /* its line in the CSV roster, 0 for a directory */
};

struct roster {
	struct roster_entry *entries;
	size_t n, alloc;
};

#define ROSTER_INIT { NULL, 0, 0 }

/* Reads 'path': a directory of submission folders, or a CSV roster.
 * Returns 0, or -1 with the problems in diags (*out valid to release). */
int roster_load(struct roster *out, const char *path, struct diag_list *diags);
void roster_release(struct roster *r);

/* The shard (1..count) a student belongs to: a stable hash of the id
 * (SHA-256), so the same student lands in the same shard on every
 * machine and in every run, whatever the roster's order. */
unsigned roster_shard_of(const char *student, unsigned count);
/* Keeps only the students of shard index (1..count), in roster order. */
void roster_keep_shard(struct roster *r, unsigned index, unsigned count);

#endif
