/*
 * doctor.h - what protects this host's checks: `grade doctor`, `grade --version`, and the one-line warning and
 * the report fields of a degraded run.
 *
 * The layers are those of sandbox.h, as sandbox_probe() finds them on this host (the same probe the zygote runs:
 * same user, same kernel, same container profile).  sandbox_enter() fails closed, so a layer the probe found
 * working is in force in every check.
 */
#ifndef GRADE_DOCTOR_H
#define GRADE_DOCTOR_H

#include <jansson.h>
#include <stdio.h>

#include "sandbox.h"

/*
 * `grade doctor`: the embedded Python, each isolation layer (in force, or unavailable and why), the audit hook
 * (exercised in this process: an import of ctypes must be refused and recorded), then a one-line verdict.
 * Returns 0 when every layer is in force and the hook works, 1 when grading would run degraded.
 */
int doctor_run(FILE *out);

/* For `grade --version`: "sandbox: user_ns, net_ns, ..." and, if any, "sandbox missing: ...". */
void doctor_print_layers(const struct sandbox_layers *l, FILE *out);

/* Before grading: one line on err naming the layers that are off, and nothing when all are on. */
void doctor_warn_degraded(const struct sandbox_layers *l, FILE *err);

/* The names of the layers that are on (on = true) or off, as a new JSON array, for the report's "grader". */
json_t *doctor_layers_json(const struct sandbox_layers *l, bool on);

#endif
