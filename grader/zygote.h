/*
 * zygote.h - the warm interpreter that forks a supervisor per exercise.
 *
 * The controller starts the zygote by executing its own binary again
 * (worker.h), so the zygote inherits none of the controller's memory:
 * rubrics and expected values never reach a process that student code
 * runs under.  The zygote starts CPython (pyhost.h), says
 *   {"op":"ready","python":..,"major":..,"minor":..,"refcount_offset":..}
 * and then, for each {"op":"exercise",...}, forks a supervisor that takes
 * over the channel until it exits, after which the zygote sends
 *   {"op":"exercise_end","status":{"exit":N}|{"signal":N}}.
 */
#ifndef GRADE_ZYGOTE_H
#define GRADE_ZYGOTE_H

/* The hidden command-line flag that starts a zygote on descriptor N. */
#define ZYGOTE_FLAG "--internal-zygote"

int zygote_main(int fd);

#endif
