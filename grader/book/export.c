#include "book/export.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "base/util.h"
#include "book/csv.h"
#include "report/report.h"

char *book_col_text(struct sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? xstrdup((const char *)s) : NULL;
}

static int load_exercises(sqlite3 *db, struct book_table *t, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT e.exercise FROM exercises e JOIN latest l ON l.id = e.submission_id"
			       " GROUP BY e.exercise ORDER BY min(e.position), e.exercise",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(err, errlen, "gradebook: %s", sqlite3_errmsg(db));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		xgrow((void **)&t->exercises, &alloc, t->n_exercises + 1, sizeof(*t->exercises));
		t->exercises[t->n_exercises++] = book_col_text(st, 0);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(err, errlen, "gradebook: %s", sqlite3_errmsg(db));
}

static int load_exercise_scores(sqlite3 *db, struct book_table *t, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT exercise, score FROM exercises WHERE submission_id = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return fail(err, errlen, "gradebook: %s", sqlite3_errmsg(db));
	for (size_t i = 0; i < t->n; i++) {
		struct book_row *r = &t->rows[i];
		r->exercise_score = xcalloc(t->n_exercises ? t->n_exercises : 1, sizeof(double));
		r->exercise_has = xcalloc(t->n_exercises ? t->n_exercises : 1, sizeof(bool));
		if (!r->submission_id)
			continue;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, r->submission_id);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *ex = (const char *)sqlite3_column_text(st, 0);
			for (size_t e = 0; ex && e < t->n_exercises; e++)
				if (!strcmp(t->exercises[e], ex)) {
					r->exercise_score[e] = sqlite3_column_double(st, 1);
					r->exercise_has[e] = true;
				}
		}
	}
	sqlite3_finalize(st);
	return 0;
}

int book_load_latest(struct book *b, struct book_table *out, char *err, size_t errlen)
{
	sqlite3 *db = book_db(b);
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	memset(out, 0, sizeof(*out));
	if (load_exercises(db, out, err, errlen) < 0)
		return -1;
	if (sqlite3_prepare_v2(db,
			       "SELECT st.id, st.name, st.email, coalesce(l.status, 'missing'), l.score, l.max_score,"
			       " l.bonus_score, l.bonus_max, l.seconds, l.late_penalty, l.content_hash, l.commit_id,"
			       " l.graded_at, l.error, l.report, coalesce(l.id, 0), l.commit_time, l.evidence_time, l.days_late"
			       " FROM students st LEFT JOIN latest l ON l.student = st.id ORDER BY st.id",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(err, errlen, "gradebook: %s", sqlite3_errmsg(db));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		xgrow((void **)&out->rows, &alloc, out->n + 1, sizeof(*out->rows));
		struct book_row *r = &out->rows[out->n++];
		*r = (struct book_row){
			.student = book_col_text(st, 0), .name = book_col_text(st, 1), .email = book_col_text(st, 2),
			.status = book_col_text(st, 3), .has_score = sqlite3_column_type(st, 4) != SQLITE_NULL,
			.score = sqlite3_column_double(st, 4), .max_score = sqlite3_column_double(st, 5),
			.bonus_score = sqlite3_column_double(st, 6), .bonus_max = sqlite3_column_double(st, 7),
			.seconds = sqlite3_column_double(st, 8),
			.has_late_penalty = sqlite3_column_type(st, 9) != SQLITE_NULL,
			.late_penalty = sqlite3_column_double(st, 9), .content_hash = book_col_text(st, 10),
			.commit_id = book_col_text(st, 11), .graded_at = book_col_text(st, 12), .error = book_col_text(st, 13),
			.report = book_col_text(st, 14), .submission_id = sqlite3_column_int64(st, 15),
			.commit_time = book_col_text(st, 16), .evidence_time = book_col_text(st, 17),
			.has_days_late = sqlite3_column_type(st, 18) != SQLITE_NULL,
			.days_late = sqlite3_column_double(st, 18),
		};
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(err, errlen, "gradebook: %s", sqlite3_errmsg(db));
	return load_exercise_scores(db, out, err, errlen);
}

void book_table_release(struct book_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct book_row *r = &t->rows[i];
		free(r->student);
		free(r->name);
		free(r->email);
		free(r->status);
		free(r->content_hash);
		free(r->commit_id);
		free(r->commit_time);
		free(r->evidence_time);
		free(r->graded_at);
		free(r->error);
		free(r->report);
		free(r->exercise_score);
		free(r->exercise_has);
	}
	free(t->rows);
	free_strings(t->exercises, t->n_exercises);
	memset(t, 0, sizeof(*t));
}

static void put_points(struct buf *out, bool has, double v)
{
	char p[32] = "";
	if (has)
		report_points(p, sizeof(p), v);
	csv_put_field(out, p, 0);
}

void book_export_csv(const struct book_table *t, struct buf *out)
{
	static const char *const head[] = { "student", "name", "email", "status", "score", "max_score", "bonus",
					    "late_penalty", "total" };
	for (size_t i = 0; i < ARRAY_SIZE(head); i++)
		csv_put_field(out, head[i], i == 0);
	for (size_t e = 0; e < t->n_exercises; e++)
		csv_put_field(out, t->exercises[e], 0);
	csv_put_field(out, "content_hash", 0);
	csv_put_field(out, "commit", 0);
	csv_put_field(out, "commit_time", 0);
	csv_put_field(out, "evidence_time", 0);
	csv_put_field(out, "days_late", 0);
	csv_put_field(out, "graded_at", 0);
	csv_end_record(out);
	for (size_t i = 0; i < t->n; i++) {
		const struct book_row *r = &t->rows[i];
		csv_put_field(out, r->student, 1);
		csv_put_field(out, r->name, 0);
		csv_put_field(out, r->email, 0);
		csv_put_field(out, r->status, 0);
		put_points(out, r->has_score, r->score);
		put_points(out, r->has_score, r->max_score);
		put_points(out, r->has_score, r->bonus_score);
		put_points(out, r->has_late_penalty, r->late_penalty);
		put_points(out, r->has_score, r->score - (r->has_late_penalty ? r->late_penalty : 0));
		for (size_t e = 0; e < t->n_exercises; e++)
			put_points(out, r->exercise_has[e], r->exercise_score[e]);
		csv_put_field(out, r->content_hash, 0);
		csv_put_field(out, r->commit_id, 0);
		csv_put_field(out, r->commit_time, 0);
		csv_put_field(out, r->evidence_time, 0);
		char days[32] = "";
		if (r->has_days_late)
			snprintf(days, sizeof(days), "%.2f", r->days_late);
		csv_put_field(out, days, 0);
		csv_put_field(out, r->graded_at, 0);
		csv_end_record(out);
	}
}

char *book_file_name(const char *student)
{
	struct buf b = BUF_INIT((size_t)1 << 20);
	if (student[0] == '.' || !student[0])
		buf_puts(&b, "_");
	for (const unsigned char *p = (const unsigned char *)student; *p; p++) {
		char c = (char)*p;
		if (c == '/' || *p < 0x20 || *p == 0x7f)
			c = '_';
		buf_append(&b, &c, 1);
	}
	return buf_detach(&b, NULL);
}
