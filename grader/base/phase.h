/*
 * phase.h - the harness phase: which student callable a check child is
 * inside right now, on a page the supervisor can read after the child died.
 *
 * The supervisor maps one page (MAP_SHARED, anonymous) before it forks
 * any check child, so every child it forks shares it.  Before each check
 * it clears the page; the child writes the check's id, then, each time it
 * enters student code, the callable's name and how it got there (the
 * module's import, a call of the rubric's function, a call of what that
 * function returned: a decorator's wrapper).  When the supervisor kills a
 * child at its time limit it reads the page: that names the callable that
 * did not return, although the child can no longer say so itself.
 *
 * The page is written by a process that runs student code, so what it holds
 * is a claim, never trusted: the reader bounds and cleans the strings, and
 * the controller only compares them with names of its own rubric.  A
 * student who scribbles on it can cost their own submission checks, nothing
 * else.  Python-free.
 */
#ifndef GRADE_BASE_PHASE_H
#define GRADE_BASE_PHASE_H

#include <jansson.h>

enum phase_in {
	PHASE_NONE,      /* in the grader's own code (or between checks) */
	PHASE_IMPORT,    /* executing the student's module */
	PHASE_CALL,      /* calling the rubric's function */
	PHASE_WRAPPER,   /* calling what it returned (a decorator's wrapper) */
	PHASE_COUNT
};

#define PHASE_CHECK_MAX 128
#define PHASE_CALLABLE_MAX 256

struct phase_page {
	volatile unsigned char in;   /* enum phase_in: written last, so a torn write reads as "none" */
	char check[PHASE_CHECK_MAX];
	char callable[PHASE_CALLABLE_MAX];
};

/* The supervisor's page, mapped once; NULL when it cannot be (checks then
 * run as before, a hang costs its limit once per check). */
struct phase_page *phase_page_map(void);

/* Before each check (supervisor). */
void phase_page_clear(struct phase_page *p);

/* What the page says, as {"check", "callable", "in"} (new), or NULL when
 * it names no student code. */
json_t *phase_page_json(const struct phase_page *p);

/* "import", "call", "wrapper"; NULL for PHASE_NONE or out of range. */
const char *phase_in_name(enum phase_in in);
/* The phase named 'name', or PHASE_NONE. */
enum phase_in phase_in_by_name(const char *name);

/* In the check child: the page the calls below write (NULL: they do
 * nothing, as in unit tests that run observers without a supervisor). */
void phase_use(struct phase_page *p);
/* The check about to run: clears the callable. */
void phase_begin_check(const char *check);
/* Entering student code: 'callable' is "module.name" (or the module's name
 * for PHASE_IMPORT), NULL for the same callable as before.  PHASE_NONE:
 * back in the grader's code. */
void phase_enter(enum phase_in in, const char *callable);

#endif
