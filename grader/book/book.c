#include "book/book.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/util.h"

/* migrations[v] takes a gradebook from schema version v to v + 1
 * (docs/gradebook.md says the same in words). */
static const char *const migrations[] = {
	/* 0 -> 1: the first schema. */
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY,"
	"  started_at TEXT NOT NULL,"
	"  finished_at TEXT,"
	"  status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted')),"
	"  command TEXT,"
	"  rubric TEXT,"
	"  rubric_hash TEXT NOT NULL,"
	"  grader TEXT NOT NULL,"
	"  python TEXT NOT NULL,"
	"  total INTEGER NOT NULL,"
	"  graded INTEGER,"
	"  reused INTEGER);"
	"CREATE TABLE students ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT,"
	"  email TEXT);"
	"CREATE TABLE submissions ("
	"  id INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(id),"
	"  student TEXT NOT NULL REFERENCES students(id),"
	"  path TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('graded', 'error', 'missing')),"
	"  key TEXT,"
	"  content_hash TEXT,"
	"  rubric_hash TEXT NOT NULL,"
	"  grader TEXT NOT NULL,"
	"  python TEXT NOT NULL,"
	"  commit_id TEXT,"
	"  late_penalty REAL,"
	"  score REAL,"
	"  max_score REAL,"
	"  bonus_score REAL,"
	"  bonus_max REAL,"
	"  seconds REAL,"
	"  error TEXT,"
	"  report TEXT,"
	"  graded_at TEXT NOT NULL);"
	"CREATE INDEX submissions_by_key ON submissions(key) WHERE status = 'graded';"
	"CREATE TABLE exercises ("
	"  submission_id INTEGER NOT NULL REFERENCES submissions(id),"
	"  exercise TEXT NOT NULL,"
	"  position INTEGER NOT NULL,"
	"  key TEXT,"
	"  score REAL NOT NULL,"
	"  max_score REAL NOT NULL,"
	"  bonus_score REAL NOT NULL,"
	"  bonus_max REAL NOT NULL,"
	"  error TEXT,"
	"  PRIMARY KEY (submission_id, exercise)) WITHOUT ROWID;"
	"CREATE TABLE checks ("
	"  submission_id INTEGER NOT NULL REFERENCES submissions(id),"
	"  exercise TEXT NOT NULL,"
	"  check_id TEXT NOT NULL,"
	"  position INTEGER NOT NULL,"
	"  status TEXT NOT NULL,"
	"  score REAL NOT NULL,"
	"  max_score REAL NOT NULL,"
	"  seconds REAL,"
	"  PRIMARY KEY (submission_id, exercise, check_id)) WITHOUT ROWID;"
	"CREATE TABLE run_items ("
	"  id INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(id),"
	"  student TEXT NOT NULL REFERENCES students(id),"
	"  submission_id INTEGER NOT NULL REFERENCES submissions(id),"
	"  reused INTEGER NOT NULL);"
	"CREATE INDEX run_items_by_student ON run_items(student, id);"
	"CREATE INDEX run_items_by_run ON run_items(run_id);"
	/* Each student's current result: their latest run item's. */
	"CREATE VIEW latest AS"
	"  SELECT s.* FROM submissions s JOIN run_items i ON i.submission_id = s.id"
	"  WHERE i.id = (SELECT MAX(j.id) FROM run_items j WHERE j.student = i.student);",
	/* 1 -> 2: git repositories and deadlines (docs/deadlines.md). */
	"ALTER TABLE submissions ADD COLUMN commit_time TEXT;"
	"ALTER TABLE submissions ADD COLUMN deadline TEXT;"
	"ALTER TABLE submissions ADD COLUMN evidence_time TEXT;"
	"ALTER TABLE submissions ADD COLUMN days_late REAL;"
	"ALTER TABLE run_items ADD COLUMN alongside_id INTEGER REFERENCES submissions(id);"
	"CREATE TABLE git_fetches ("
	"  repo TEXT NOT NULL,"
	"  branch TEXT NOT NULL,"
	"  fetched_at TEXT NOT NULL,"
	"  tip TEXT NOT NULL,"
	"  PRIMARY KEY (repo, branch, fetched_at)) WITHOUT ROWID;"
	"CREATE TABLE git_seen ("
	"  repo TEXT NOT NULL,"
	"  commit_id TEXT NOT NULL,"
	"  first_fetched_at TEXT NOT NULL,"
	"  PRIMARY KEY (repo, commit_id)) WITHOUT ROWID;",
};

#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))
_Static_assert(N_MIGRATIONS == BOOK_SCHEMA_VERSION, "one migration per schema version");

enum stmt_id {
	ST_FIND, ST_REUSE, ST_SUBMISSION, ST_FINAL, ST_SEEN_ADD, ST_SEEN, ST_TIP_ADD, ST_LAST_TIP, ST_PRIOR_FETCH, ST_EXERCISE, ST_CHECK, ST_STUDENT, ST_RUN_BEGIN, ST_RUN_END, ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_FIND] = "SELECT id FROM submissions WHERE key = ?1 AND student = ?2 AND status = 'graded' ORDER BY id DESC LIMIT 1",
	[ST_REUSE] = "INSERT INTO run_items (run_id, student, submission_id, reused, alongside_id)"
		     " VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_FINAL] = "SELECT coalesce(score, 0) - coalesce(late_penalty, 0) FROM submissions WHERE id = ?1",
	[ST_SEEN_ADD] = "INSERT OR IGNORE INTO git_seen (repo, commit_id, first_fetched_at) VALUES (?1, ?2, ?3)",
	[ST_SEEN] = "SELECT first_fetched_at FROM git_seen WHERE repo = ?1 AND commit_id = ?2",
	[ST_TIP_ADD] = "INSERT OR IGNORE INTO git_fetches (repo, branch, fetched_at, tip) VALUES (?1, ?2, ?3, ?4)",
	[ST_LAST_TIP] = "SELECT tip, fetched_at FROM git_fetches WHERE repo = ?1 AND branch = ?2"
			" ORDER BY fetched_at DESC LIMIT 1",
	[ST_PRIOR_FETCH] = "SELECT max(fetched_at) FROM git_fetches WHERE repo = ?1 AND fetched_at <= ?2",
	[ST_SUBMISSION] =
		"INSERT INTO submissions (run_id, student, path, status, key, content_hash, rubric_hash, grader,"
		" python, commit_id, late_penalty, score, max_score, bonus_score, bonus_max, seconds, error, report,"
		" graded_at, commit_time, deadline, evidence_time, days_late)"
		" SELECT ?1, ?2, ?3, ?4, ?5, ?6, rubric_hash, grader, python, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
		" ?15, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?16, ?17, ?18, ?19 FROM runs WHERE id = ?1",
	[ST_EXERCISE] = "INSERT INTO exercises (submission_id, exercise, position, key, score, max_score, bonus_score,"
			" bonus_max, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_CHECK] = "INSERT INTO checks (submission_id, exercise, check_id, position, status, score, max_score,"
		     " seconds) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_STUDENT] = "INSERT INTO students (id, name, email) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO UPDATE SET"
		       " name = coalesce(excluded.name, name), email = coalesce(excluded.email, email)",
	[ST_RUN_BEGIN] = "INSERT INTO runs (started_at, status, command, rubric, rubric_hash, grader, python, total)"
			 " VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'running', ?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_RUN_END] = "UPDATE runs SET finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), status = ?2,"
		       " graded = ?3, reused = ?4 WHERE id = ?1",
};

struct book {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmts[ST_COUNT];
};

sqlite3 *book_db(struct book *b)
{
	return b->db;
}

/* SQLite's word for what went wrong, as grade says it. */
static int db_fail(struct book *b, char *err, size_t errlen, const char *what)
{
	return fail(err, errlen, "gradebook '%s': %s: %s", b->path, what, sqlite3_errmsg(b->db));
}

static int exec(struct book *b, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_exec(b->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(b, err, errlen, "cannot write");
	return 0;
}

static sqlite3_stmt *stmt(struct book *b, enum stmt_id id, char *err, size_t errlen)
{
	if (!b->stmts[id] && sqlite3_prepare_v3(b->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &b->stmts[id],
						NULL) != SQLITE_OK) {
		db_fail(b, err, errlen, "cannot prepare a statement");
		return NULL;
	}
	sqlite3_reset(b->stmts[id]);
	sqlite3_clear_bindings(b->stmts[id]);
	return b->stmts[id];
}

/* Runs a statement that returns no row. */
static int step_done(struct book *b, sqlite3_stmt *st, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(b, err, errlen, "cannot write");
	return 0;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static int schema_version(struct book *b, int *version, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(b->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return db_fail(b, err, errlen, "cannot read the schema version (not a gradebook?)");
	}
	*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* Brings the schema to BOOK_SCHEMA_VERSION, each step in a transaction. */
static int migrate(struct book *b, char *err, size_t errlen)
{
	int version = 0;
	if (schema_version(b, &version, err, errlen) < 0)
		return -1;
	if (version > BOOK_SCHEMA_VERSION)
		return fail(err, errlen, "gradebook '%s' has schema version %d; this grade knows versions up to %d",
			    b->path, version, BOOK_SCHEMA_VERSION);
	while (version < BOOK_SCHEMA_VERSION) {
		char *sql = xasprintf("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;", migrations[version],
				      version + 1);
		int rc = exec(b, sql, err, errlen);
		free(sql);
		if (rc < 0) {
			sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		/* Another grade may have migrated it meanwhile: read it again. */
		if (schema_version(b, &version, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int open_book(struct book **out, const char *path, bool create, char *err, size_t errlen)
{
	struct book *b = xcalloc(1, sizeof(*b));
	b->path = xstrdup(path);
	*out = NULL;
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &b->db, flags, NULL) != SQLITE_OK) {
		if (!b->db) {
			fail(err, errlen, "cannot open gradebook '%s'", path);
		} else {
			db_fail(b, err, errlen, "cannot open");
		}
		book_close(b);
		return -1;
	}
	sqlite3_extended_result_codes(b->db, 1);
	/* Another grade or a reader (the sqlite3 shell) may hold the lock for
	 * a moment. */
	sqlite3_busy_timeout(b->db, 10000);
	/* WAL: readers never block the writer, and a commit is one append.
	 * synchronous=NORMAL: a killed process loses nothing committed (only
	 * a power cut may lose the last commits, never consistency). */
	if (exec(b, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;", err,
		 errlen) < 0 ||
	    migrate(b, err, errlen) < 0) {
		book_close(b);
		return -1;
	}
	*out = b;
	return 0;
}

int book_open(struct book **out, const char *path, char *err, size_t errlen)
{
	return open_book(out, path, true, err, errlen);
}

int book_open_existing(struct book **out, const char *path, char *err, size_t errlen)
{
	return open_book(out, path, false, err, errlen);
}

void book_close(struct book *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(b->stmts[i]);
	sqlite3_close(b->db);
	free(b->path);
	free(b);
}

int book_begin(struct book *b, char *err, size_t errlen)
{
	return exec(b, "BEGIN IMMEDIATE", err, errlen);
}

int book_commit(struct book *b, char *err, size_t errlen)
{
	if (exec(b, "COMMIT", err, errlen) < 0) {
		sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

void book_rollback(struct book *b)
{
	if (!sqlite3_get_autocommit(b->db))
		sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
}

int book_run_begin(struct book *b, const struct book_run *run, int64_t *id, char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt(b, ST_RUN_BEGIN, err, errlen);
	if (!st)
		return -1;
	bind_text(st, 1, run->command);
	bind_text(st, 2, run->rubric);
	bind_text(st, 3, run->rubric_hash);
	bind_text(st, 4, run->grader);
	bind_text(st, 5, run->python);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)run->total);
	if (step_done(b, st, err, errlen) < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(b->db);
	return 0;
}

int book_run_end(struct book *b, int64_t id, const char *status, size_t graded, size_t reused, char *err,
		 size_t errlen)
{
	sqlite3_stmt *st = stmt(b, ST_RUN_END, err, errlen);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, status);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)graded);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)reused);
	return step_done(b, st, err, errlen);
}

int book_add_students(struct book *b, const struct roster *r, char *err, size_t errlen)
{
	if (book_begin(b, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < r->n; i++) {
		sqlite3_stmt *st = stmt(b, ST_STUDENT, err, errlen);
		if (!st)
			goto fail;
		bind_text(st, 1, r->entries[i].student);
		bind_text(st, 2, r->entries[i].name);
		bind_text(st, 3, r->entries[i].email);
		if (step_done(b, st, err, errlen) < 0)
			goto fail;
	}
	return book_commit(b, err, errlen);
fail:
	book_rollback(b);
	return -1;
}

int book_find(struct book *b, const char *key, const char *student, int64_t *id, char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt(b, ST_FIND, err, errlen);
	*id = 0;
	if (!st)
		return -1;
	bind_text(st, 1, key);
	bind_text(st, 2, student);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(b, err, errlen, "cannot read");
	return 0;
}

int book_item(struct book *b, int64_t run, const char *student, int64_t id, int64_t alongside, bool reused,
	      char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt(b, ST_REUSE, err, errlen);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, run);
	bind_text(st, 2, student);
	sqlite3_bind_int64(st, 3, id);
	sqlite3_bind_int(st, 4, reused);
	if (alongside)
		sqlite3_bind_int64(st, 5, alongside);
	return step_done(b, st, err, errlen);
}

int book_reuse(struct book *b, int64_t run, const char *student, int64_t id, char *err, size_t errlen)
{
	return book_item(b, run, student, id, 0, true, err, errlen);
}

/* Runs a one-row query whose first column is text (*out NULL: no row or NULL). */
static int query_text(struct book *b, sqlite3_stmt *st, char **out, char *err, size_t errlen)
{
	*out = NULL;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*out = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(b, err, errlen, "cannot read");
	return 0;
}

int book_final_score(struct book *b, int64_t id, double *out, char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt(b, ST_FINAL, err, errlen);
	*out = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_double(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(b, err, errlen, "cannot read");
}

/* Runs statement id with texts[0..n) bound to ?1..?n; no row expected. */
static int write_texts(struct book *b, enum stmt_id id, const char *const *texts, int n, char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt(b, id, err, errlen);
	if (!st)
		return -1;
	for (int i = 0; i < n; i++)
		bind_text(st, i + 1, texts[i]);
	return step_done(b, st, err, errlen);
}

int book_git_seen_add(struct book *b, const char *repo, const char *commit, const char *at, char *err,
		      size_t errlen)
{
	const char *texts[] = { repo, commit, at };
	return write_texts(b, ST_SEEN_ADD, texts, 3, err, errlen);
}

int book_git_first_fetched(struct book *b, const char *repo, const char *commit, char **at, char *err,
			   size_t errlen)
{
	sqlite3_stmt *st = stmt(b, ST_SEEN, err, errlen);
	if (!st)
		return -1;
	bind_text(st, 1, repo);
	bind_text(st, 2, commit);
	return query_text(b, st, at, err, errlen);
}

int book_git_tip_add(struct book *b, const char *repo, const char *branch, const char *at, const char *tip,
		     char *err, size_t errlen)
{
	const char *texts[] = { repo, branch, at, tip };
	return write_texts(b, ST_TIP_ADD, texts, 4, err, errlen);
}

int book_git_last_tip(struct book *b, const char *repo, const char *branch, char **tip, char **at, char *err,
		      size_t errlen)
{
	sqlite3_stmt *st = stmt(b, ST_LAST_TIP, err, errlen);
	*at = NULL;
	if (!st)
		return -1;
	bind_text(st, 1, repo);
	bind_text(st, 2, branch);
	*tip = NULL;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*tip = xstrdup((const char *)sqlite3_column_text(st, 0));
		*at = xstrdup((const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(b, err, errlen, "cannot read");
}

int book_git_prior_fetch(struct book *b, const char *repo, const char *before, char **at, char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt(b, ST_PRIOR_FETCH, err, errlen);
	if (!st)
		return -1;
	bind_text(st, 1, repo);
	bind_text(st, 2, before);
	return query_text(b, st, at, err, errlen);
}

static double num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/* Whether the grader (not the student's code) failed anywhere in it. */
static bool grader_failed(const json_t *report)
{
	size_t i, j;
	const json_t *e, *c;
	json_array_foreach(json_object_get(report, "exercises"), i, e) {
		if (json_object_get(e, "error"))
			return true;
		json_array_foreach(json_object_get(e, "checks"), j, c)
			if (json_is_true(json_object_get(c, "harness_error")))
				return true;
	}
	return false;
}

/* The exercises' and checks' rows of submission 'sid'. */
static int record_parts(struct book *b, int64_t sid, const json_t *report, const struct book_submission *s,
			char *err, size_t errlen)
{
	size_t i, j;
	const json_t *e, *c;
	json_array_foreach(json_object_get(report, "exercises"), i, e) {
		const char *ex = json_string_value(json_object_get(e, "id"));
		sqlite3_stmt *st = stmt(b, ST_EXERCISE, err, errlen);
		if (!st || !ex)
			return st ? fail(err, errlen, "%s", "a report's exercise has no id") : -1;
		sqlite3_bind_int64(st, 1, sid);
		bind_text(st, 2, ex);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)i);
		bind_text(st, 4, s->exercise_keys && i < s->n_exercise_keys ? s->exercise_keys[i] : NULL);
		sqlite3_bind_double(st, 5, num(e, "score"));
		sqlite3_bind_double(st, 6, num(e, "max_score"));
		sqlite3_bind_double(st, 7, num(e, "bonus_score"));
		sqlite3_bind_double(st, 8, num(e, "bonus_max"));
		bind_text(st, 9, json_string_value(json_object_get(e, "error")));
		if (step_done(b, st, err, errlen) < 0)
			return -1;
		json_array_foreach(json_object_get(e, "checks"), j, c) {
			if (!(st = stmt(b, ST_CHECK, err, errlen)))
				return -1;
			sqlite3_bind_int64(st, 1, sid);
			bind_text(st, 2, ex);
			bind_text(st, 3, json_string_value(json_object_get(c, "id")));
			sqlite3_bind_int64(st, 4, (sqlite3_int64)j);
			bind_text(st, 5, json_string_value(json_object_get(c, "status")));
			sqlite3_bind_double(st, 6, num(c, "score"));
			sqlite3_bind_double(st, 7, num(c, "max_score"));
			sqlite3_bind_double(st, 8, num(c, "seconds"));
			if (step_done(b, st, err, errlen) < 0)
				return -1;
		}
	}
	return 0;
}

int book_record(struct book *b, int64_t run, const struct book_submission *s, const char **status_out,
		char *err, size_t errlen)
{
	json_t *report = NULL;
	const char *status = s->status;
	int rc = -1;
	if (s->report) {
		json_error_t je;
		if (!(report = json_loads(s->report, 0, &je))) {
			fail(err, errlen, "the report of '%s' is not JSON: %s", s->who->student, je.text);
			goto done;
		}
		if (!strcmp(status, "graded") && grader_failed(report))
			status = "error";
	}
	if (book_begin(b, err, errlen) < 0)
		goto done;
	sqlite3_stmt *st = stmt(b, ST_SUBMISSION, err, errlen);
	if (!st)
		goto done;
	sqlite3_bind_int64(st, 1, run);
	bind_text(st, 2, s->who->student);
	bind_text(st, 3, s->who->path);
	bind_text(st, 4, status);
	bind_text(st, 5, s->key);
	bind_text(st, 6, s->content_hash);
	const json_t *src = json_object_get(report, "source");
	const char *commit = src ? json_string_value(json_object_get(src, "commit")) : s->who->commit;
	bind_text(st, 7, commit);
	if (json_is_number(json_object_get(src, "late_penalty")))
		sqlite3_bind_double(st, 8, num(src, "late_penalty"));
	else if (s->who->has_late_penalty)
		sqlite3_bind_double(st, 8, s->who->late_penalty);
	bind_text(st, 16, json_string_value(json_object_get(src, "commit_time")));
	bind_text(st, 17, json_string_value(json_object_get(src, "deadline")));
	bind_text(st, 18, json_string_value(json_object_get(src, "evidence_time")));
	if (json_is_number(json_object_get(src, "days_late")))
		sqlite3_bind_double(st, 19, num(src, "days_late"));
	if (report) {
		sqlite3_bind_double(st, 9, num(report, "score"));
		sqlite3_bind_double(st, 10, num(report, "max_score"));
		sqlite3_bind_double(st, 11, num(report, "bonus_score"));
		sqlite3_bind_double(st, 12, num(report, "bonus_max"));
		sqlite3_bind_double(st, 13, num(report, "seconds"));
	}
	bind_text(st, 14, s->error);
	bind_text(st, 15, s->report);
	if (step_done(b, st, err, errlen) < 0)
		goto done;
	int64_t sid = sqlite3_last_insert_rowid(b->db);
	if (report && record_parts(b, sid, report, s, err, errlen) < 0)
		goto done;
	if (s->id_out)
		*s->id_out = sid;
	if (!s->no_item && book_item(b, run, s->who->student, sid, s->alongside, false, err, errlen) < 0)
		goto done;
	if (book_commit(b, err, errlen) < 0)
		goto done;
	if (status_out)
		*status_out = status;
	rc = 0;
done:
	if (rc < 0)
		book_rollback(b);
	json_decref(report);
	return rc;
}
