/* Helpers for end-to-end tests: run the built grade binary and capture. */
#ifndef GRADE_TESTS_E2E_H
#define GRADE_TESTS_E2E_H

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
/* $GRADE_TEST_DATA/rel, a new string. */
char *test_data(const char *rel);

#endif
