/*
 * zygote.h - the warm interpreter that forks a supervisor per submission.
 *
 * The controller starts the zygote by executing its own binary again
 * (worker.h), so the zygote inherits none of the controller's memory:
 * rubrics and expected values never reach a process that student code
 * runs under.  The zygote starts CPython (pyhost.h), takes the
 * controller's probe of the sandbox layers ({"op":"probe","sandbox":..},
 * the first message the controller sends), says
 *   {"op":"ready","python":..,"major":..,"minor":..}
 * (or {"op":"error","message":..} when it cannot serve) and then, for
 * each {"op":"submission","dir":..}, forks a supervisor (supervisor.h) that takes over the channel until it exits, after which
 * the zygote sends (names and framing: base/wire.h)
 *   {"op":"supervisor_end","status":{"exit":N}|{"signal":N}}.
 */
#ifndef GRADE_ZYGOTE_H
#define GRADE_ZYGOTE_H

#include <stddef.h>

/* The hidden command-line flag that starts a zygote on descriptor N. */
#define ZYGOTE_FLAG "--internal-zygote"

int zygote_main(int fd);

/* CPython as every check child inherits it, before any student code
 * exists: the interpreter with the audit hook (py/pyhost.h), the fixtures
 * and the call path's reference-count offset, the memory kinds' workloads,
 * the opcode tables, the audit hook's per-interpreter work; then the heap
 * is frozen for the children to share.  The zygote's first step, and the
 * one the Python-side unit tests take.  Returns 0, or -1 with err filled. */
int zygote_start_python(char *err, size_t errlen);

#endif
