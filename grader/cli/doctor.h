/*
 * doctor.h - `grade doctor`: what protects this host's checks.
 *
 * The layers are those of sandbox.h, as sandbox_probe() finds them on this host (the same probe a grading run hands its zygotes:
 * same user, same kernel, same container profile).  sandbox_enter() fails closed, so a layer the probe found
 * working is in force in every check.
 */
#ifndef GRADE_CLI_DOCTOR_H
#define GRADE_CLI_DOCTOR_H

#include <stdio.h>

#include "sandbox/layers.h"

/*
 * `grade doctor`: the embedded Python, each isolation layer (in force, or unavailable and why), the audit hook
 * (exercised in this process: an import of ctypes must be refused and recorded), then a one-line verdict.
 * Returns 0 when every layer is in force and the hook works, 1 when grading would run degraded.
 */
int doctor_run(FILE *out);

#endif
