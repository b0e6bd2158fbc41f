/*
 * zygote.h - the warm interpreter that forks a supervisor per submission.
 *
 * The controller starts the zygote by executing its own binary again
 * (worker.h), so the zygote inherits none of the controller's memory:
 * rubrics and expected values never reach a process that student code
 * runs under.  The zygote starts CPython (pyhost.h), says
 *   {"op":"ready","python":..,"major":..,"minor":..,"refcount_offset":..,
 *    "sandbox":[layers in force],"sandbox_missing":{layer: why}}
 * and then, for each {"op":"submission","dir":..}, forks a supervisor
 * (supervisor.h) that takes over the channel until it exits, after which
 * the zygote sends
 *   {"op":"supervisor_end","status":{"exit":N}|{"signal":N}}.
 */
#ifndef GRADE_ZYGOTE_H
#define GRADE_ZYGOTE_H

/* The hidden command-line flag that starts a zygote on descriptor N. */
#define ZYGOTE_FLAG "--internal-zygote"

int zygote_main(int fd);

#endif
