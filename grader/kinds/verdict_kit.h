/*
 * verdict_kit.h - helpers that kinds' deciders share (controller only).
 *
 * verdict_set() (verdict.h) sets status, message and points; these add the
 * rubric's feedback, the check's call as text, and the common ways a call
 * goes wrong.  Strings returned as 'char *' are the caller's to free.
 */
#ifndef GRADE_VERDICT_KIT_H
#define GRADE_VERDICT_KIT_H

#include <jansson.h>
#include <stdbool.h>

#include "kinds/result.h"
#include "kinds/verdict.h"

/* The rubric's feedback text for 'key' ("fail", "wrong_type"...), or NULL. */
const char *verdict_feedback_text(const struct check *c, const char *key);
/* Chooses the feedback shown (text may be NULL: none), overriding the
 * default choice by status. */
void verdict_choose_feedback(struct check_result *out, const char *text);

/* "count_refs" for a check whose spec names "refcount.count_refs". */
const char *verdict_function_name(const struct check *c);
/* The spec's arguments as Python source: "1, [2, 3]". */
char *verdict_args_text(const struct check *c);
/* The check's call as Python source: "count_refs(1, [2, 3])". */
char *verdict_call_text(const struct check *c);
/* "TypeError: boom at refcount.py:3". */
char *verdict_describe_exception(const json_t *exc);
/* "64 KiB", "512 MiB", "100 bytes". */
char *verdict_size_text(size_t bytes);

/* False (with the verdict set) when the observer recorded that the
 * function is missing or not callable. */
bool verdict_function_found(const struct check *c, const json_t *kobs, struct check_result *out);
/* An exception from student code: memory, sys.exit(), or plain (error). */
void verdict_exception(const struct check *c, const json_t *exc, const char *during, struct check_result *out);
/* When the check passed so far and expects printed output ('stdout'),
 * compares it with result[stream] ("stdout_import" or "stdout_call"). */
void verdict_output(const struct check *c, const json_t *result, const char *stream, const char *when,
		    struct check_result *out);
/* The same for the rubric key 'key' ("stdout", "stderr") against
 * result[stream] ("stdout_call", "stderr"...). */
void verdict_output_key(const struct check *c, const json_t *result, const char *key, const char *stream,
			const char *when, struct check_result *out);

#endif
