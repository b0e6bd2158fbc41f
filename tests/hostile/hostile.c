/*
 * The hostile corpus: tests/data/hostile/<case>/ holds one hostile file (or a few generated ones) and expected.json.
 * Each case becomes a fresh submission in a temporary directory: the reference solutions of every exercise
 * (the .py files of exercises/SLUG/reference) with the case's files on top.  grade then runs with the course rubrics, as
 * the child of hostile-pid1 (pid 1 of a fresh pid namespace when the host allows one), and the test asserts:
 *
 *   - grade exits 0 with a valid JSON report;
 *   - the attacked exercise's checks have the expected statuses and messages;
 *   - every other exercise of the course keeps full marks;
 *   - no marker file appeared (hostile code writes one when an attack works) and nothing was added to the
 *     secret directory (a fake rubric and reference solution the case tries to read, holding a token that must
 *     appear nowhere in grade's output), nor does "LEAKED" (what hostile code prints or raises on success);
 *   - no process outlived grade (hostile-pid1 lists every process left in the namespace).
 *
 * expected.json:
 *   "exercise": the exercise attacked;  "promise": which promise of docs/security.md the case tests;
 *   "attack": one line, what the case does;
 *   "status": the status of every check of that exercise not listed in "checks" (dependants may be "skipped"),
 *   except checks of kinds that only read the source;
 *   "message": a substring of each such check's message or feedback;
 *   "checks": {"id": "status"} exact statuses;  "messages": {"id": "substring"};
 *   "whole_submission": true when the attack is on the submission itself (its files): then "status" applies to
 *   every exercise, and the others are not expected to keep their marks;
 *   "python": {"CONDITION": {...}} overrides any of the above on the Pythons the condition holds for (">=3.12");
 *   "dangerous": true when a sandbox bug could harm the machine running the tests (fork bombs, kill(-1),
 *   signals to the parent, disk fills): such a case only runs inside a pid namespace, and is skipped otherwise;
 *   "symlinks": {"name": "target"};  "pad": {"file": bytes} (appended comment lines);
 *   "many_files": {"dir": "name", "count": n} (empty files in a subdirectory of the submission);
 *   "timeouts_waited": n, how many check children of the attacked exercise ran to their time limit (the report's
 *   count): a callable that hangs costs its limit once, not once per check;
 *   "needs_memory_limit": true when the attack is only safe under the memory limit (skipped under ASan, which
 *   runs checks without one);  "asan_skip": why the case means something else under ASan (skipped there).
 * HOSTILE_CASES=name,name... runs only those cases (the others are skipped), for working on a few;
 * HOSTILE_NO_PIDNS=1 runs as on a host without unshare (hostile-pid1 as a plain subreaper, dangerous cases skipped).
 * Files are templates: @MARKER_DIR@, @SECRET_DIR@ and @SOURCE_ROOT@ (the grader's source tree) are replaced.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "support/run.h"
#include "base/util.h"

TestSuite(hostile, .timeout = 300);

/* grade's own deadline inside hostile-pid1, in seconds: far above any rubric's sum of limits. */
#define RUN_LIMIT "150"

/* Output is capped per check: a report this large means a flood got through. */
#define REPORT_MAX ((size_t)4 << 20)

ParameterizedTestParameters(hostile, corpus)
{
	size_t n = 0;
	struct corpus_case *cases = corpus_cases("hostile", &n);
	return cr_make_param_array(struct corpus_case, cases, n);
}

/* ---- the temporary submission --------------------------------------------------------------------------- */

struct vars {
	const char *marker, *secret, *source;
};

/* text with every @NAME@ replaced; a new buffer of *len bytes (sources may hold NUL bytes). */
static char *substitute(const char *text, size_t *len, const struct vars *v)
{
	static const char *const names[] = { "@MARKER_DIR@", "@SECRET_DIR@", "@SOURCE_ROOT@" };
	const char *values[] = { v->marker, v->secret, v->source };
	struct buf out = BUF_INIT((size_t)1 << 30);
	size_t i = 0;
	while (i < *len) {
		size_t k;
		for (k = 0; k < ARRAY_SIZE(names); k++) {
			size_t n = strlen(names[k]);
			if (*len - i >= n && !memcmp(text + i, names[k], n)) {
				buf_puts(&out, values[k]);
				i += n;
				break;
			}
		}
		if (k == ARRAY_SIZE(names))
			buf_append(&out, text + i++, 1);
	}
	return buf_detach(&out, len);
}

static void write_bytes(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_geq(fd, 0, "cannot create %s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, data, len), (ssize_t)len, "cannot write %s", path);
	close(fd);
}

/* Copies the regular files of src whose names end in suffix (or all but skip) into dst, substituting. */
static void copy_files(const char *src, const char *dst, const char *suffix, const char *skip, const struct vars *v)
{
	DIR *d = opendir(src);
	cr_assert_not_null(d, "cannot open %s", src);
	struct dirent *e;
	while ((e = readdir(d))) {
		char *from = xasprintf("%s/%s", src, e->d_name);
		struct stat st;
		if (e->d_name[0] != '.' && lstat(from, &st) == 0 && S_ISREG(st.st_mode) &&
		    (!suffix || str_has_suffix(e->d_name, suffix)) && (!skip || strcmp(e->d_name, skip))) {
			char *text = NULL;
			size_t len = 0;
			cr_assert_eq(read_file(&text, &len, from, (size_t)64 << 20), 0, "cannot read %s", from);
			char *out = substitute(text, &len, v);
			char *to = xasprintf("%s/%s", dst, e->d_name);
			write_bytes(to, out, len);
			free(to);
			free(out);
			free(text);
		}
		free(from);
	}
	closedir(d);
}

/* The reference solution of every exercise: the correct "other files" of the submission. */
static void copy_references(const char *source_root, const char *dst, const struct vars *v)
{
	char *exercises = xasprintf("%s/exercises", source_root);
	DIR *d = opendir(exercises);
	cr_assert_not_null(d, "cannot open %s", exercises);
	struct dirent *e;
	while ((e = readdir(d))) {
		char *ref = xasprintf("%s/%s/reference", exercises, e->d_name);
		struct stat st;
		if (e->d_name[0] != '.' && stat(ref, &st) == 0 && S_ISDIR(st.st_mode))
			copy_files(ref, dst, ".py", NULL, v);
		free(ref);
	}
	closedir(d);
	free(exercises);
}

static void make_extras(const json_t *expected, const char *sub, const struct vars *v)
{
	const char *name;
	json_t *val;
	json_object_foreach(json_object_get(expected, "symlinks"), name, val) {
		size_t len = strlen(json_string_value(val));
		char *target = substitute(json_string_value(val), &len, v);
		char *link = xasprintf("%s/%s", sub, name);
		unlink(link);
		cr_assert_eq(symlink(target, link), 0, "symlink %s: %s", link, strerror(errno));
		free(link);
		free(target);
	}
	json_object_foreach(json_object_get(expected, "pad"), name, val) {
		char *path = xasprintf("%s/%s", sub, name);
		FILE *f = fopen(path, "a");
		cr_assert_not_null(f, "%s", path);
		for (json_int_t n = 0; n < json_integer_value(val); n += 64)
			fputs("# padding padding padding padding padding padding padding pad\n", f);
		fclose(f);
		free(path);
	}
	const json_t *many = json_object_get(expected, "many_files");
	if (many) {
		char *dir = xasprintf("%s/%s", sub, json_string_value(json_object_get(many, "dir")));
		cr_assert_eq(mkdir(dir, 0755), 0);
		for (json_int_t i = 0; i < json_integer_value(json_object_get(many, "count")); i++) {
			char *f = xasprintf("%s/f%lld.py", dir, (long long)i);
			write_bytes(f, "", 0);
			free(f);
		}
		free(dir);
	}
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	/* Hostile code may have left read-only directories behind. */
	chmod(path, 0700);
	remove(path);
	return 0;
}

static void remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

/* ---- the pid namespace ---------------------------------------------------------------------------------- */

/* The unshare options that give grade a pid namespace of its own here, or NULL when the host allows none. */
static const char *const *namespace_args(void)
{
	static const char *const as_root[] = { "unshare", "--pid", "--fork", "--mount-proc", NULL };
	static const char *const as_user[] = { "unshare", "--user", "--map-root-user", "--pid", "--fork",
					       "--mount-proc", NULL };
	const char *const *args = geteuid() == 0 ? as_root : as_user;
	const char *off = getenv("HOSTILE_NO_PIDNS");
	if (off && *off)
		return NULL;	/* to see what a host without unshare gets */
	const char *argv[16];
	size_t n = 0;
	while (args[n]) {
		argv[n] = args[n];
		n++;
	}
	argv[n++] = "true";
	argv[n] = NULL;
	struct run_result r;
	run_command(&r, argv);
	int status = r.status;
	run_result_release(&r);
	return status == 0 ? args : NULL;
}

/* ---- the report ----------------------------------------------------------------------------------------- */

static const json_t *find_exercise(const json_t *report, const char *id)
{
	size_t i;
	json_t *ex;
	json_array_foreach(json_object_get(report, "exercises"), i, ex)
		if (!strcmp(str_or(json_string_value(json_object_get(ex, "id")), ""), id))
			return ex;
	return NULL;
}

static char *check_text(const json_t *c)
{
	return xasprintf("%s %s", str_or(json_string_value(json_object_get(c, "message")), ""),
			 str_or(json_string_value(json_object_get(c, "feedback")), ""));
}

/* Kinds that read the source without running it: an attack on what runs does not concern them, so "status"
 * leaves them out (list them in "checks" to pin them). */
static bool static_kind(const char *kind)
{
	return kind && !strcmp(kind, "source");
}

static void expect_checks(const char *name, const json_t *expected, const json_t *ex)
{
	const char *status = json_string_value(json_object_get(expected, "status"));
	const char *message = json_string_value(json_object_get(expected, "message"));
	const json_t *exact = json_object_get(expected, "checks");
	const json_t *messages = json_object_get(expected, "messages");
	size_t i, with_status = 0;
	json_t *c;
	json_array_foreach(json_object_get(ex, "checks"), i, c) {
		const char *id = json_string_value(json_object_get(c, "id"));
		const char *got = str_or(json_string_value(json_object_get(c, "status")), "?");
		char *text = check_text(c);
		const char *want = json_string_value(json_object_get(exact, id));
		if (want) {
			cr_expect_str_eq(got, want, "%s: check %s is %s (%s), expected %s", name, id, got, text, want);
		} else if (status && !static_kind(json_string_value(json_object_get(c, "kind")))) {
			cr_expect(!strcmp(got, status) || !strcmp(got, "skipped"), "%s: check %s is %s (%s), expected %s",
				  name, id, got, text, status);
			if (!strcmp(got, status)) {
				with_status++;
				if (message)
					cr_expect(strstr(text, message) != NULL,
						  "%s: check %s says \"%s\", expected to mention \"%s\"", name, id, text,
						  message);
			}
		}
		const char *sub = json_string_value(json_object_get(messages, id));
		if (sub)
			cr_expect(strstr(text, sub) != NULL, "%s: check %s says \"%s\", expected to mention \"%s\"", name,
				  id, text, sub);
		free(text);
	}
	if (status)
		cr_expect_gt(with_status, 0, "%s: no check of the exercise is %s", name, status);
}

static void expect_other_exercises_intact(const char *name, const json_t *report, const char *attacked)
{
	size_t i;
	json_t *ex;
	json_array_foreach(json_object_get(report, "exercises"), i, ex) {
		const char *id = json_string_value(json_object_get(ex, "id"));
		if (!strcmp(id, attacked))
			continue;
		double score = json_number_value(json_object_get(ex, "score"));
		double max = json_number_value(json_object_get(ex, "max_score"));
		/* The reference solutions earn every bonus too: score is max_score plus bonus_max. */
		double bonus = json_number_value(json_object_get(ex, "bonus_max"));
		cr_expect(score == max + bonus, "%s: exercise %s lost points (%g/%g+%g) to an attack on %s", name, id,
			  score, max, bonus, attacked);
	}
}

/* ---- the test ------------------------------------------------------------------------------------------- */

ParameterizedTest(struct corpus_case *hc, hostile, corpus)
{
	char *case_dir = test_data("hostile");
	char *dir = xasprintf("%s/%s", case_dir, hc->name);
	char *exp_path = xasprintf("%s/expected.json", dir);
	json_error_t jerr;
	json_t *expected = json_load_file(exp_path, 0, &jerr);
	cr_assert_not_null(expected, "%s: %s", exp_path, jerr.text);
	const char *exercise = json_string_value(json_object_get(expected, "exercise"));
	cr_assert_not_null(exercise, "%s: no \"exercise\"", exp_path);

	const char *only = getenv("HOSTILE_CASES");
	if (only && *only && !strstr(only, hc->name))
		cr_skip_test("%s: not in HOSTILE_CASES", hc->name);
#if defined(__SANITIZE_ADDRESS__)
	if (json_is_true(json_object_get(expected, "needs_memory_limit")))
		cr_skip_test("%s: skipped: AddressSanitizer builds run without the memory limit this attack needs",
			     hc->name);
	const char *asan_skip = json_string_value(json_object_get(expected, "asan_skip"));
	if (asan_skip)
		cr_skip_test("%s: skipped under AddressSanitizer: %s", hc->name, asan_skip);
#endif
	const char *const *ns = namespace_args();
	if (!ns && json_is_true(json_object_get(expected, "dangerous")))
		cr_skip_test("%s: skipped: this attack is only run inside a pid namespace, and unshare --pid is not "
			     "available here", hc->name);

	const char *source_root = getenv("GRADE_SOURCE_ROOT");
	const char *pid1 = getenv("HOSTILE_PID1");
	const char *bin = getenv("GRADE_BIN");
	cr_assert(source_root && pid1 && bin, "run through meson test");

	char base[] = "/tmp/grade-hostile-XXXXXX";
	cr_assert_not_null(mkdtemp(base));
	char *sub = xasprintf("%s/submission", base), *markers = xasprintf("%s/markers", base),
	     *secret = xasprintf("%s/secret", base), *secret_ref = xasprintf("%s/secret/reference", base);
	cr_assert_eq(mkdir(sub, 0755), 0);
	cr_assert_eq(mkdir(markers, 0777), 0);
	cr_assert_eq(mkdir(secret, 0755), 0);
	cr_assert_eq(mkdir(secret_ref, 0755), 0);
	/* The base directory is only ours: the submission is reached through it. */
	chmod(base, 0755);

	unsigned char rnd[8];
	cr_assert_eq(getrandom(rnd, sizeof(rnd), 0), (ssize_t)sizeof(rnd));
	char token[32];
	snprintf(token, sizeof(token), "SECRET-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3],
		 rnd[4], rnd[5], rnd[6], rnd[7]);
	char *rubric = xasprintf("%s/refcount.yaml", secret), *ref = xasprintf("%s/refcount.py", secret_ref);
	char *rubric_text = xasprintf("# expected: %s\nexercise: refcount\n", token);
	char *ref_text = xasprintf("# %s\nimport sys\n\ndef count_refs(obj):\n    return sys.getrefcount(obj) - 1\n", token);
	write_bytes(rubric, rubric_text, strlen(rubric_text));
	write_bytes(ref, ref_text, strlen(ref_text));
	size_t secret_entries = count_entries(secret);

	struct vars v = { markers, secret, source_root };
	copy_references(source_root, sub, &v);
	copy_files(dir, sub, NULL, "expected.json", &v);
	make_extras(expected, sub, &v);

	const char *argv[32];
	size_t n = 0;
	for (size_t i = 0; ns && ns[i]; i++)
		argv[n++] = ns[i];
	argv[n++] = pid1;
	argv[n++] = RUN_LIMIT;
	argv[n++] = bin;
	argv[n++] = "--format";
	argv[n++] = "json";
	argv[n++] = sub;
	argv[n] = NULL;
	struct run_result r;
	run_command(&r, argv);

	cr_expect_null(strstr(r.err, "hostile-pid1:"), "%s: %s", hc->name, r.err);
	cr_expect_eq(r.status, 0, "%s: grade exited %d: %.2000s", hc->name, r.status, r.err);
	json_t *report = json_loads(r.out, 0, &jerr);
	cr_expect_not_null(report, "%s: the report is not JSON (%s): %.300s", hc->name, jerr.text, r.out);
	if (report) {
		int major, minor;
		report_python(report, &major, &minor);
		expect_for_version(expected, major, minor, hc->name);
	}
	const json_t *ex = report ? find_exercise(report, exercise) : NULL;
	if (report && json_is_true(json_object_get(expected, "whole_submission"))) {
		size_t i;
		json_t *each;
		json_array_foreach(json_object_get(report, "exercises"), i, each)
			expect_checks(hc->name, expected, each);
	} else if (report) {
		cr_expect_not_null(ex, "%s: no exercise %s in the report", hc->name, exercise);
		if (ex)
			expect_checks(hc->name, expected, ex);
		const json_t *waited = json_object_get(expected, "timeouts_waited");
		if (ex && waited)
			cr_expect_eq(json_integer_value(json_object_get(ex, "timeouts_waited")), json_integer_value(waited),
				     "%s: %lld check children ran to their time limit, expected %lld", hc->name,
				     (long long)json_integer_value(json_object_get(ex, "timeouts_waited")),
				     (long long)json_integer_value(waited));
		expect_other_exercises_intact(hc->name, report, exercise);
	}
	cr_expect_eq(count_entries(markers), 0, "%s: a marker file was written: the attack worked", hc->name);
	cr_expect_eq(count_entries(secret), secret_entries, "%s: something was written to the secret directory",
		     hc->name);
	cr_expect_null(strstr(r.out, token), "%s: the secret token is in the report", hc->name);
	cr_expect_null(strstr(r.err, token), "%s: the secret token is on grade's stderr", hc->name);
	cr_expect_lt(strlen(r.out), REPORT_MAX, "%s: the report is %zu bytes long", hc->name, strlen(r.out));
	cr_expect_null(strstr(r.out, "LEAKED"), "%s: the case reports a successful leak: %.2000s", hc->name, r.out);

	json_decref(report);
	run_result_release(&r);
	remove_tree(base);
	free(rubric_text);
	free(ref_text);
	free(rubric);
	free(ref);
	free(sub);
	free(markers);
	free(secret);
	free(secret_ref);
	free(exp_path);
	free(dir);
	free(case_dir);
	json_decref(expected);
}

/* The runner's own guard: a process left behind is reported, and the run fails. */
Test(hostile, pid1_reports_a_survivor)
{
	const char *pid1 = getenv("HOSTILE_PID1");
	cr_assert_not_null(pid1, "run through meson test");
	const char *leaves[] = { pid1, "20", "sh", "-c", "setsid sleep 30 & exit 0", NULL };
	const char *clean[] = { pid1, "20", "sh", "-c", "sleep 0.1 & wait; exit 3", NULL };
	struct run_result r;
	run_command(&r, leaves);
	cr_expect_eq(r.status, 99, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.err, "hostile-pid1: survivor") && strstr(r.err, "sleep"), "%s", r.err);
	run_result_release(&r);
	run_command(&r, clean);
	cr_expect_eq(r.status, 3, "the command's status passes through: %d: %s", r.status, r.err);
	cr_expect_str_eq(r.err, "");
	run_result_release(&r);
}
