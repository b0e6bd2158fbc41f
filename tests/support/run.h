/* Helpers for end-to-end tests: run the built grade binary and capture. */
#ifndef GRADE_TESTS_E2E_H
#define GRADE_TESTS_E2E_H

#include <jansson.h>
#include <stddef.h>

struct run_result {
	int status;       /* exit status, or 128 + signal */
	char *out;        /* stdout, NUL-terminated */
	char *err;        /* stderr */
};

/* Runs $GRADE_BIN with argv (NULL-terminated, without argv[0]) in the
 * test data directory.  Caller frees with run_result_release. */
void run_grade(struct run_result *r, const char *const *args);
/* Runs argv (NULL-terminated; argv[0] looked up in PATH) the same way. */
void run_command(struct run_result *r, const char *const *argv);
void run_result_release(struct run_result *r);
/* The major.minor of the Python that made a JSON report ("3.13.0 (main, ...)"). */
void report_python(json_t *report, int *major, int *minor);
/* Applies an expected.json's "python" entries ({"CONDITION": {key: value...}}, e.g. ">=3.12") that hold for
 * major.minor: objects are merged, other values replaced. */
void expect_for_version(json_t *expected, int major, int minor, const char *name);
/* Runs the shell command printf(fmt, ...) makes; the test fails unless it
 * exits 0. */
void run_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* For git run by the test: HOME is 'home' (git writes nothing of the
 * user's), a fixed author and committer, and fixed dates. */
void git_test_env(const char *home);
/* $GRADE_TEST_DATA/rel, a new string. */
char *test_data(const char *rel);

/* A corpus case: the name of a directory holding an expected.json.  Inline
 * (not a pointer): Criterion copies parameters into its worker processes. */
struct corpus_case {
	char name[128];
};

/* The cases under $GRADE_TEST_DATA/subdir, sorted by name, in memory from
 * cr_malloc() for cr_make_param_array(); *n receives how many. */
struct corpus_case *corpus_cases(const char *subdir, size_t *n);

#endif
