/*
 * supervisor.h - the per-submission process between the zygote and checks.
 *
 * The zygote forks one supervisor for each submission.  For each exercise
 * the supervisor reads the exercise's files (and compiles them, which runs
 * no student code, before it forks a child: a live child given the
 * exercise compiles them itself) and makes the private scratch copy of the
 * submission fresh, then
 * serves check requests from the controller on 'fd'.  Checks run in a
 * sandboxed child that serves them in sequence (harness.h), exercise after
 * exercise; the supervisor enforces each check's wall-clock and CPU limits
 * from outside (the child's CPU clock), drains its stdout/stderr into
 * capped buffers, reads its result frame and sends the controller one
 * "result" message.  A timeout, crash, early exit or forged frame ends the
 * child; the next check gets a fresh one, and a check that went wrong in a
 * child that had served others runs once more alone.  Results from a child
 * that served an earlier exercise say "shared": true; the controller asks
 * again with "fresh": true for one that did not pass.
 *
 * The request bytes of a check are kept unparsed and wiped once the check
 * is over: no later child inherits them, not even in freed memory.
 *
 * Protocol, controller <-> supervisor (all frames from proto.h):
 *   S -> {"op":"hello","pid":N}
 *   C -> {"op":"exercise","exercise":id,"files":["x.py",..]}
 *   S -> {"op":"compiled","files":[{"file":..,"ok":bool,"error":{...}}],
 *         (ok: the file could be read; SyntaxErrors come with the import),
 *         "scratch_error": "..." when checks cannot run}
 *   C -> {"op":"check","limits":{"wall":s,"cpu":s,"memory":n,"output":n},"fresh":bool}
 *   C -> <request: raw JSON, {"kind":..,"spec":{..}}>
 *   S -> {"op":"result", ...}            (see docs/architecture.md)
 *   C -> {"op":"done"}                    S exits
 */
#ifndef GRADE_SUPERVISOR_H
#define GRADE_SUPERVISOR_H

#include <jansson.h>

#include "sandbox/sandbox.h"

/* 'job' is {"op":"exercise","dir":..,"files":[..]}; 'probed' the layers the
 * host supports and 'read_paths' the read-only paths of every check (the
 * zygote's, found once).  Never returns. */
/* The policy every check child gets, but for its scratch directory and
 * read-only paths: the zygote compiles its seccomp filter once
 * (sandbox_prepare()) for all supervisors. */
const struct sandbox_policy *supervisor_policy_template(void);

_Noreturn void supervisor_main(int fd, const json_t *job, const struct sandbox_layers *probed,
			       const char *const *read_paths);

#endif
