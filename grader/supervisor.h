/*
 * supervisor.h - the per-exercise process between the zygote and checks.
 *
 * The zygote forks one supervisor for each (submission, exercise) job.  The
 * supervisor compiles the exercise's files (compiling runs no student
 * code), then serves check requests from the controller on 'fd': for each
 * one it forks a check child (harness.h), enforces its wall-clock limit,
 * drains its stdout/stderr into capped buffers, reads its result frame and
 * sends the controller one "result" message.
 *
 * The request bytes of a check are kept unparsed in one buffer that is
 * wiped right after the fork, so no check child inherits another check's
 * inputs, not even in freed memory.
 *
 * Protocol, controller <-> supervisor (all frames from proto.h):
 *   S -> {"op":"hello","pid":N}
 *   S -> {"op":"compiled","files":[{"file":..,"ok":bool,"error":{...}}]}
 *   C -> {"op":"check","limits":{"wall":s,"cpu":s,"memory":n,"output":n}}
 *   C -> <request: raw JSON, {"kind":..,"spec":{..}}>
 *   S -> {"op":"result", ...}            (see docs/architecture.md)
 *   C -> {"op":"done"}                    S exits
 */
#ifndef GRADE_SUPERVISOR_H
#define GRADE_SUPERVISOR_H

#include <jansson.h>

/* 'job' is {"op":"exercise","dir":..,"files":[..]}.  Never returns. */
_Noreturn void supervisor_main(int fd, const json_t *job);

#endif
