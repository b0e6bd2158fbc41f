#include "book/history.h"

#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/util.h"
#include "book/export.h"
#include "report/report.h"

/* Each student's latest run item (in run ?1, unless 0) with the item
 * before it: the two submissions to compare. */
static const char pairs_sql[] =
	"SELECT cur.student, prev.submission_id, cur.submission_id FROM run_items cur"
	" JOIN run_items prev ON prev.id = (SELECT max(j.id) FROM run_items j"
	"                                  WHERE j.student = cur.student AND j.id < cur.id)"
	" WHERE cur.id = (SELECT max(k.id) FROM run_items k WHERE k.student = cur.student)"
	"   AND (?1 = 0 OR cur.run_id = ?1) AND prev.submission_id != cur.submission_id"
	" ORDER BY cur.student";

static const char result_sql[] = "SELECT status, score, max_score FROM submissions WHERE id = ?1";

/* The checks whose status differs between submissions ?1 (before) and ?2
 * (after), in rubric order. */
static const char checks_sql[] =
	"SELECT c.exercise, c.check_id, max(CASE WHEN c.submission_id = ?1 THEN c.status END),"
	"       max(CASE WHEN c.submission_id = ?2 THEN c.status END)"
	" FROM checks c WHERE c.submission_id IN (?1, ?2) GROUP BY c.exercise, c.check_id"
	" HAVING coalesce(max(CASE WHEN c.submission_id = ?1 THEN c.status END), '')"
	"     != coalesce(max(CASE WHEN c.submission_id = ?2 THEN c.status END), '')"
	" ORDER BY (SELECT min(e.position) FROM exercises e WHERE e.submission_id IN (?1, ?2)"
	"           AND e.exercise = c.exercise), min(c.position), c.check_id";

/* One submission's status and score. */
static int load_result(sqlite3_stmt *st, int64_t id, char **status, bool *has, double *score, double *max)
{
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return -1;
	*status = book_col_text(st, 0);
	*has = sqlite3_column_type(st, 1) != SQLITE_NULL;
	*score = sqlite3_column_double(st, 1);
	*max = sqlite3_column_double(st, 2);
	return 0;
}

static void load_checks(sqlite3_stmt *st, int64_t before, int64_t after, struct book_change *c)
{
	size_t alloc = 0;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int64(st, 2, after);
	while (sqlite3_step(st) == SQLITE_ROW) {
		xgrow((void **)&c->checks, &alloc, c->n_checks + 1, sizeof(*c->checks));
		c->checks[c->n_checks++] = (struct book_check_change){
			.exercise = book_col_text(st, 0), .check = book_col_text(st, 1),
			.before = book_col_text(st, 2), .after = book_col_text(st, 3),
		};
	}
}

static bool changed(const struct book_change *c)
{
	return strcmp(c->before_status, c->after_status) || c->before_has_score != c->after_has_score ||
	       fabs(c->before_score - c->after_score) > 1e-9;
}

static void change_release(struct book_change *c)
{
	free(c->student);
	free(c->before_status);
	free(c->after_status);
	for (size_t i = 0; i < c->n_checks; i++) {
		free(c->checks[i].exercise);
		free(c->checks[i].check);
		free(c->checks[i].before);
		free(c->checks[i].after);
	}
	free(c->checks);
}

int book_load_changes(struct book *b, int64_t run, struct book_changes *out, char *err, size_t errlen)
{
	sqlite3 *db = book_db(b);
	sqlite3_stmt *pairs = NULL, *result = NULL, *checks = NULL;
	size_t alloc = 0;
	int rc = -1;
	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(db, pairs_sql, -1, &pairs, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, result_sql, -1, &result, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, checks_sql, -1, &checks, NULL) != SQLITE_OK) {
		fail(err, errlen, "gradebook: %s", sqlite3_errmsg(db));
		goto done;
	}
	sqlite3_bind_int64(pairs, 1, run);
	int step;
	while ((step = sqlite3_step(pairs)) == SQLITE_ROW) {
		struct book_change c = { .student = book_col_text(pairs, 0) };
		int64_t before = sqlite3_column_int64(pairs, 1), after = sqlite3_column_int64(pairs, 2);
		if (load_result(result, before, &c.before_status, &c.before_has_score, &c.before_score, &c.before_max) < 0 ||
		    load_result(result, after, &c.after_status, &c.after_has_score, &c.after_score, &c.after_max) < 0) {
			fail(err, errlen, "gradebook: a run item of '%s' names no submission", c.student);
			change_release(&c);
			goto done;
		}
		if (!changed(&c)) {
			change_release(&c);
			continue;
		}
		/* A missing submission has no checks: that it is missing says it all. */
		if (strcmp(c.before_status, "missing") && strcmp(c.after_status, "missing"))
			load_checks(checks, before, after, &c);
		xgrow((void **)&out->items, &alloc, out->n + 1, sizeof(*out->items));
		out->items[out->n++] = c;
	}
	if (step != SQLITE_DONE) {
		fail(err, errlen, "gradebook: %s", sqlite3_errmsg(db));
		goto done;
	}
	rc = 0;
done:
	sqlite3_finalize(pairs);
	sqlite3_finalize(result);
	sqlite3_finalize(checks);
	return rc;
}

void book_changes_release(struct book_changes *c)
{
	for (size_t i = 0; i < c->n; i++)
		change_release(&c->items[i]);
	free(c->items);
	memset(c, 0, sizeof(*c));
}

/* A result as the listing names it: its score, or its status. */
static void put_result(struct buf *out, const char *status, bool has, double score)
{
	char p[32];
	if (has && !strcmp(status, "graded")) {
		report_points(p, sizeof(p), score);
		buf_puts(out, p);
	} else {
		buf_puts(out, status);
	}
}

void book_changes_print(const struct book_changes *c, struct buf *out)
{
	if (!c->n) {
		buf_puts(out, "no score changed since each student's previous run\n");
		return;
	}
	buf_printf(out, "score changes since the previous run (%zu student%s):\n", c->n, c->n == 1 ? "" : "s");
	int width = 0;
	for (size_t i = 0; i < c->n; i++) {
		int w = (int)strlen(c->items[i].student);
		width = w > width && w <= 32 ? w : width;
	}
	for (size_t i = 0; i < c->n; i++) {
		const struct book_change *ch = &c->items[i];
		char *who = report_clean(ch->student, 256);
		buf_printf(out, "  %-*s  ", width, who);
		free(who);
		put_result(out, ch->before_status, ch->before_has_score, ch->before_score);
		buf_puts(out, " → ");
		put_result(out, ch->after_status, ch->after_has_score, ch->after_score);
		if (ch->before_has_score && ch->after_has_score) {
			char d[32];
			report_points(d, sizeof(d), ch->after_score - ch->before_score);
			buf_printf(out, " (%s%s)", ch->after_score >= ch->before_score ? "+" : "", d);
		}
		for (size_t k = 0; k < ch->n_checks; k++) {
			const struct book_check_change *cc = &ch->checks[k];
			buf_printf(out, "%s%s/%s %s → %s", k ? ", " : "  ", cc->exercise, cc->check,
				   cc->before ? cc->before : "(none)", cc->after ? cc->after : "(none)");
		}
		buf_puts(out, "\n");
	}
}

int book_diff_text(struct book *b, int64_t run, bool always, struct buf *out, char *err, size_t errlen)
{
	struct book_changes c;
	int rc = book_load_changes(b, run, &c, err, errlen);
	if (rc == 0 && (c.n || always))
		book_changes_print(&c, out);
	book_changes_release(&c);
	return rc;
}
