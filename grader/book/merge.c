#include "book/merge.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/util.h"
#include "book/book.h"

/* Every input's rows, as read, tagged with the input they came from. */
static const char collect_schema[] =
	"CREATE TEMP TABLE m_runs (src INTEGER, old_id INTEGER, started_at, finished_at, status, command, rubric,"
	"  rubric_hash, grader, python, total, graded, reused);"
	"CREATE TEMP TABLE m_students (src INTEGER, id, name, email);"
	"CREATE TEMP TABLE m_subs (src INTEGER, old_id INTEGER, run_old INTEGER, student, path, status, key,"
	"  content_hash, rubric_hash, grader, python, commit_id, late_penalty, score, max_score, bonus_score,"
	"  bonus_max, seconds, error, report, graded_at, commit_time, deadline, evidence_time, days_late);"
	"CREATE TEMP TABLE m_ex (src INTEGER, sub_old INTEGER, exercise, position, key, score, max_score,"
	"  bonus_score, bonus_max, error);"
	"CREATE TEMP TABLE m_checks (src INTEGER, sub_old INTEGER, exercise, check_id, position, status, score,"
	"  max_score, seconds);"
	"CREATE TEMP TABLE m_items (src INTEGER, old_id INTEGER, run_old INTEGER, student, sub_old INTEGER,"
	"  reused, alongside_old INTEGER);"
	"CREATE TEMP TABLE m_fetches (repo, branch, fetched_at, tip);"
	"CREATE TEMP TABLE m_seen (repo, commit_id, first_fetched_at);";

/* One input's rows into the m_ tables; ?1 is the input's number. */
static const char *const collect_sql[] = {
	"INSERT INTO m_runs SELECT ?1, id, started_at, finished_at, status, command, rubric, rubric_hash, grader,"
	"  python, total, graded, reused FROM src.runs",
	"INSERT INTO m_students SELECT ?1, id, name, email FROM src.students",
	"INSERT INTO m_subs SELECT ?1, id, run_id, student, path, status, key, content_hash, rubric_hash, grader,"
	"  python, commit_id, late_penalty, score, max_score, bonus_score, bonus_max, seconds, error, report,"
	"  graded_at, commit_time, deadline, evidence_time, days_late FROM src.submissions",
	"INSERT INTO m_ex SELECT ?1, submission_id, exercise, position, key, score, max_score, bonus_score,"
	"  bonus_max, error FROM src.exercises",
	"INSERT INTO m_checks SELECT ?1, submission_id, exercise, check_id, position, status, score, max_score,"
	"  seconds FROM src.checks",
	"INSERT INTO m_items SELECT ?1, id, run_id, student, submission_id, reused, alongside_id FROM src.run_items",
	"INSERT INTO m_fetches SELECT repo, branch, fetched_at, tip FROM src.git_fetches",
	"INSERT INTO m_seen SELECT repo, commit_id, first_fetched_at FROM src.git_seen",
};

/* The merged book from the m_ tables, in an order that does not depend on
 * the inputs' (merge.h): one row per identity, ids mapped through
 * run_map and sub_map. */
static const char build_sql[] =
	"CREATE INDEX temp.m_runs_ident ON m_runs (started_at);"
	"CREATE INDEX temp.m_subs_ident ON m_subs (student, graded_at);"
	"INSERT INTO main.students (id, name, email)"
	"  SELECT id, MIN(NULLIF(name, '')), MIN(NULLIF(email, '')) FROM m_students GROUP BY id ORDER BY id;"
	/* Of two copies of a run, the finished one (the latest end). */
	"INSERT INTO main.runs (started_at, finished_at, status, command, rubric, rubric_hash, grader, python, total,"
	"    graded, reused)"
	"  SELECT started_at, finished_at, status, command, rubric, rubric_hash, grader, python, total, graded, reused"
	"  FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY started_at, command, rubric_hash, grader, python, total"
	"        ORDER BY finished_at IS NULL, finished_at DESC, status, graded DESC, reused DESC) AS rn FROM m_runs)"
	"  WHERE rn = 1 ORDER BY started_at, command, rubric_hash, grader, python, total;"
	"CREATE TEMP TABLE run_map AS SELECT m.src, m.old_id, r.id AS new_id FROM main.runs r JOIN m_runs m"
	"  ON m.started_at IS r.started_at AND m.command IS r.command AND m.rubric_hash IS r.rubric_hash"
	"  AND m.grader IS r.grader AND m.python IS r.python AND m.total IS r.total;"
	"CREATE INDEX temp.run_map_src ON run_map (src, old_id);"
	"INSERT INTO main.submissions (run_id, student, path, status, key, content_hash, rubric_hash, grader, python,"
	"    commit_id, late_penalty, score, max_score, bonus_score, bonus_max, seconds, error, report, graded_at,"
	"    commit_time, deadline, evidence_time, days_late)"
	"  SELECT rm.new_id, s.student, s.path, s.status, s.key, s.content_hash, s.rubric_hash, s.grader, s.python,"
	"    s.commit_id, s.late_penalty, s.score, s.max_score, s.bonus_score, s.bonus_max, s.seconds, s.error,"
	"    s.report, s.graded_at, s.commit_time, s.deadline, s.evidence_time, s.days_late"
	"  FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY student, graded_at, status, key, path"
	"        ORDER BY run_old IS NULL) AS rn FROM m_subs) s"
	"  JOIN run_map rm ON rm.src = s.src AND rm.old_id = s.run_old"
	"  WHERE s.rn = 1 ORDER BY s.graded_at, s.student, s.status, s.key, s.path;"
	"CREATE TEMP TABLE sub_map AS SELECT m.src, m.old_id, s.id AS new_id FROM main.submissions s JOIN m_subs m"
	"  ON m.student = s.student AND m.graded_at = s.graded_at AND m.status = s.status AND m.key IS s.key"
	"  AND m.path = s.path;"
	"CREATE INDEX temp.sub_map_src ON sub_map (src, old_id);"
	"INSERT OR IGNORE INTO main.exercises (submission_id, exercise, position, key, score, max_score, bonus_score,"
	"    bonus_max, error)"
	"  SELECT sm.new_id, e.exercise, e.position, e.key, e.score, e.max_score, e.bonus_score, e.bonus_max, e.error"
	"  FROM m_ex e JOIN sub_map sm ON sm.src = e.src AND sm.old_id = e.sub_old ORDER BY sm.new_id, e.position;"
	"INSERT OR IGNORE INTO main.checks (submission_id, exercise, check_id, position, status, score, max_score,"
	"    seconds)"
	"  SELECT sm.new_id, c.exercise, c.check_id, c.position, c.status, c.score, c.max_score, c.seconds"
	"  FROM m_checks c JOIN sub_map sm ON sm.src = c.src AND sm.old_id = c.sub_old"
	"  ORDER BY sm.new_id, c.exercise, c.position;"
	/* Within a run, items in submission order; runs in start order, so a
	 * student's last item is the latest-started run's. */
	"INSERT INTO main.run_items (run_id, student, submission_id, reused, alongside_id)"
	"  SELECT rm.new_id, i.student, sm.new_id, MIN(i.reused), MIN(am.new_id) FROM m_items i"
	"  JOIN run_map rm ON rm.src = i.src AND rm.old_id = i.run_old"
	"  JOIN sub_map sm ON sm.src = i.src AND sm.old_id = i.sub_old"
	"  LEFT JOIN sub_map am ON am.src = i.src AND am.old_id = i.alongside_old"
	"  GROUP BY rm.new_id, i.student, sm.new_id ORDER BY rm.new_id, sm.new_id, i.student;"
	/* Evidence: every fetch, and each commit's earliest sighting. */
	"INSERT INTO main.git_fetches (repo, branch, fetched_at, tip)"
	"  SELECT repo, branch, fetched_at, MIN(tip) FROM m_fetches GROUP BY repo, branch, fetched_at"
	"  ORDER BY repo, branch, fetched_at;"
	"INSERT INTO main.git_seen (repo, commit_id, first_fetched_at)"
	"  SELECT repo, commit_id, MIN(first_fetched_at) FROM m_seen GROUP BY repo, commit_id"
	"  ORDER BY repo, commit_id;";

static int db_fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
	return fail(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
}

/* The number a one-number query answers (0 when it fails). */
static size_t count_of(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Reads the gradebook at path (input number src) into the m_ tables. */
static int collect(sqlite3 *db, const char *path, int src, char *err, size_t errlen)
{
	int rc = -1;
	sqlite3_stmt *st = NULL;
	/* ATTACH would create a missing file: it must be there, and a book. */
	if (access(path, R_OK) < 0)
		return fail_errno(err, errlen, errno, "%s", path);
	if (sqlite3_prepare_v2(db, "ATTACH ?1 AS src", -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, path, err, errlen);
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (step != SQLITE_DONE)
		return db_fail(db, path, err, errlen);
	size_t version = count_of(db, "PRAGMA src.user_version");
	if (version != BOOK_SCHEMA_VERSION) {
		fail(err, errlen, "%s: %s", path,
		     version ? "a gradebook of another schema version (open it with this grade's export first)"
			     : "not a gradebook (no schema version)");
		goto done;
	}
	for (size_t k = 0; k < ARRAY_SIZE(collect_sql); k++) {
		if (sqlite3_prepare_v2(db, collect_sql[k], -1, &st, NULL) != SQLITE_OK)
			goto sql_failed;
		sqlite3_bind_int(st, 1, src);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto sql_failed;
		sqlite3_finalize(st);
		st = NULL;
	}
	rc = 0;
	goto done;
sql_failed:
	db_fail(db, path, err, errlen);
done:
	sqlite3_finalize(st);
	sqlite3_exec(db, "DETACH src", NULL, NULL, NULL);
	return rc;
}

/* The merged book into the new file's connection. */
static int build(sqlite3 *db, const char *out_path, const char *const *inputs, size_t n, bool include_out, char *err,
		 size_t errlen)
{
	if (sqlite3_exec(db, collect_schema, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, "merge", err, errlen);
	int src = 0;
	if (include_out && collect(db, out_path, src++, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (collect(db, inputs[i], src++, err, errlen) < 0)
			return -1;
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, "merge", err, errlen);
	if (sqlite3_exec(db, build_sql, NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(db, "merge", err, errlen);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, "merge", err, errlen);
	return 0;
}

/* Removes a book file and its WAL companions. */
static void remove_book(const char *path)
{
	char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);
	unlink(path);
	unlink(wal);
	unlink(shm);
	free(wal);
	free(shm);
}

int book_merge(const char *out_path, const char *const *inputs, size_t n, struct book_merge_stats *stats, char *err,
	       size_t errlen)
{
	struct book *b = NULL;
	char *tmp = xasprintf("%s.merge.%d", out_path, (int)getpid());
	bool include_out = access(out_path, F_OK) == 0;
	int rc = -1;
	remove_book(tmp);
	if (book_open(&b, tmp, err, errlen) < 0)
		goto done;
	sqlite3 *db = book_db(b);
	if (build(db, out_path, inputs, n, include_out, err, errlen) < 0)
		goto done;
	*stats = (struct book_merge_stats){
		.runs = count_of(db, "SELECT count(*) FROM main.runs"),
		.submissions = count_of(db, "SELECT count(*) FROM main.submissions"),
		.students = count_of(db, "SELECT count(*) FROM main.students"),
	};
	stats->duplicates = count_of(db, "SELECT count(*) FROM m_subs") - stats->submissions;
	book_close(b);   /* the last connection: the WAL goes into the file */
	b = NULL;
	/* The old book's WAL must not be replayed over the new file. */
	char *wal = xasprintf("%s-wal", out_path), *shm = xasprintf("%s-shm", out_path);
	unlink(wal);
	unlink(shm);
	free(wal);
	free(shm);
	if (rename(tmp, out_path) < 0) {
		fail_errno(err, errlen, errno, "cannot write %s", out_path);
		goto done;
	}
	rc = 0;
done:
	if (b)
		book_close(b);
	if (rc < 0)
		remove_book(tmp);
	free(tmp);
	return rc;
}
