/*
 * sandbox.h - operating-system layers around a check child.
 *
 * The process model (see docs/security.md):
 *
 *     grade (controller) -> zygote -> supervisor S (one per job) -> check child C (one per check)
 *
 * S calls sandbox_supervisor_init() once, then for every check sandbox_spawn() (like fork), supervises C and ends
 * with sandbox_kill_tree() before reaping it.  C does its own setup (descriptors, inputs), then calls
 * sandbox_enter() as the last thing before student code runs.  After sandbox_enter() C can still compute and write
 * its result (through sandbox_write_result() when the result descriptor is protected), but it cannot fork, exec,
 * signal anyone else, open files outside the policy, touch the network or raise its limits again.
 *
 * Every layer is optional on a given host.  sandbox_probe() finds out which ones work; a layer that is off always
 * carries a reason, so nothing is ever skipped silently.  S's setup and sandbox_spawn() degrade (a namespace the
 * host refuses after all is turned off, with its reason, and the caller sees it in what sandbox_enter() reports);
 * sandbox_enter() fails closed: a layer the probe found working that does not apply is an error.
 *
 * After sandbox_spawn(), C allocates only if it has to compile its own seccomp filter (no sandbox_prepare()).
 */
#ifndef GRADE_SANDBOX_H
#define GRADE_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "sandbox/layers.h"

/*
 * Finds out what this host supports.  Forks one short-lived child that tries the namespaces the way S and C will
 * (so the answer accounts for sysctls, container seccomp profiles and AppArmor), and asks the kernel for the
 * Landlock ABI and seccomp support.  Takes a few milliseconds; call it once, in the zygote.  Never fails: a layer
 * it cannot test is reported off with a reason.
 */
void sandbox_probe(struct sandbox_layers *out);

/*
 * In S, once, while S is still single-threaded (unshare(CLONE_NEWUSER) demands it) and after S has opened every
 * file it needs from the host (in a user namespace S loses its host capabilities).
 *
 * Becomes a child subreaper, then enters a new user namespace that maps S's own uid and gid to themselves, then new
 * network, IPC and UTS namespaces that every check of this job shares (they are created once here rather than per
 * check because a network namespace costs milliseconds to create and more to destroy).
 *
 * l says which layers to try (normally the probe result) and is updated: a layer that failed is turned off with its
 * reason, so the same struct can be passed on to sandbox_spawn() and sandbox_enter().  Returns 0, or -1 with a
 * message in err when S is left in a state it cannot continue from (user namespace entered but uid map refused).
 */
int sandbox_supervisor_init(struct sandbox_layers *l, char *err, size_t errlen);

/*
 * Like fork(): returns C's pid in S, 0 in C, -1 (errno set) on error.  In S, *pidfd receives a pidfd for C, or -1
 * where pidfds are unavailable; S owns it and closes it after reaping C.
 *
 * Where l->on[SANDBOX_PID_NS], C starts as pid 1 of a fresh pid namespace (clone3, falling back to clone; no new
 * stack, so with fork semantics).  Otherwise it falls back to fork() and C leads its own process group.  In both
 * cases C gets PR_SET_PDEATHSIG(SIGKILL) before anything else and exits at once if S is already gone.
 *
 * Like fork(), only async-signal-safe work is safe in C if S had threads; S must not.  pthread_atfork handlers do
 * not run: the caller brackets the call with PyOS_BeforeFork() / PyOS_AfterFork_Parent() / PyOS_AfterFork_Child()
 * as it would around fork().
 *
 * Being pid 1 changes signal semantics for C: the kernel ignores signals C has no handler for unless they come
 * from outside the namespace (SIGKILL from S) or are synchronous faults.  So abort() ends in SIGSEGV instead of
 * SIGABRT, and SIGXCPU is ignored: sandbox_enter() then sets the hard CPU limit equal to the soft one, and S must
 * classify "CPU time exceeded" from the rusage of wait4(), not from the signal.
 */
pid_t sandbox_spawn(const struct sandbox_layers *l, int *pidfd);

struct sandbox_policy {
	const char *scratch_dir;	/* absolute; the only writable directory; sandbox_enter() makes it the cwd */
	const char *const *read_paths;	/* NULL-terminated, read-only files and directories (missing ones are
					 * skipped); see sandbox_system_read_paths() and audit_python_paths() */
	double cpu_seconds;		/* RLIMIT_CPU, rounded up to whole seconds; 0 = unchanged */
	size_t memory_bytes;		/* RLIMIT_AS; 0 = unchanged; ignored under AddressSanitizer */
	size_t file_bytes;		/* RLIMIT_FSIZE; 0 = unchanged */
	unsigned max_open_files;	/* RLIMIT_NOFILE; 0 = unchanged */
	bool allow_threads;		/* else clone() fails with EPERM and RLIMIT_NPROC is 0 */
	const int *keep_fds;		/* besides 0, 1, 2: descriptors that survive (the result pipe...) */
	size_t n_keep_fds;
	int result_fd;			/* -1, or a pipe (in keep_fds) that only sandbox_write_result() may write:
					 * student code cannot write, dup, fcntl or ioctl it, even with native code */
};

/*
 * Optional, in S (or the zygote) before spawning: compiles the seccomp filters for this policy (its allow_threads
 * and result_fd) once, so that sandbox_enter() in every C only loads them.  Saves about 1.5 ms per check.  Only
 * used for children in a pid namespace (C's own pid, 1, is part of the filter); otherwise, or when the policy
 * differs, C compiles its own.  Returns 0, or -1 with a message in err.
 */
int sandbox_prepare(const struct sandbox_policy *p, const struct sandbox_layers *l, char *err, size_t errlen);

/*
 * In C, after the grader's own setup, right before student code runs.  C must be single-threaded (Landlock
 * applies to the calling thread only); sandbox_enter() checks.  Steps, in order, each needing the previous:
 *
 *   1. chdir(scratch_dir)
 *   2. rlimits: CPU (soft = limit, hard = limit + 1, or = limit when C is pid 1), AS, FSIZE, NOFILE, CORE = 0,
 *      NPROC = 0 unless allow_threads; lowered hard limits cannot be raised again
 *   3. PR_SET_DUMPABLE(0), then drop every capability (bounding, ambient, effective, permitted, inheritable)
 *   4. PR_SET_NO_NEW_PRIVS
 *   5. PR_SET_PDEATHSIG(SIGKILL), again, then check that S is still alive
 *   6. close every descriptor but 0, 1, 2 and keep_fds (close_range)
 *   7. Landlock: read_paths read-only, scratch_dir read-write (no symlinks, devices, fifos or sockets created),
 *      /dev/null read-write, everything else denied (including /proc: no /proc/self/mem, no /proc/1/...);
 *      TCP bind/connect denied; signals and abstract unix sockets scoped to the sandbox (ABI >= 6)
 *   8. seccomp, last, because it forbids the system calls of the steps above
 *
 * l is what S found (after sandbox_supervisor_init()).  *applied receives what this check really got, including
 * the layers set up by S and sandbox_spawn(); the caller reports any layer that is off.  Returns 0, or -1 with a
 * message in err; after a failure C must _exit() without running student code (the state is half-applied).
 */
int sandbox_enter(const struct sandbox_policy *p, const struct sandbox_layers *l, struct sandbox_layers *applied,
		  char *err, size_t errlen);

/*
 * Writes a result frame to policy.result_fd after sandbox_enter() (vmsplice(), the one system call the filter
 * allows on that descriptor, and one CPython does not expose).  Copies the bytes into fresh pages first, because a
 * pipe keeps references to spliced pages.  Blocks until everything is written.  Returns 0, or -1 with errno set.
 * Also works before sandbox_enter() or without seccomp.
 */
int sandbox_write_result(int fd, const void *data, size_t len);

/*
 * In S: kills C's whole process tree with SIGKILL and waits until C has exited, without reaping C (so its pid
 * cannot be reused meanwhile; the caller reaps it with waitpid()/waitid() and gets its status and rusage).  With a
 * pid namespace the kernel kills everything in it; without one this also kills C's process group and any orphan
 * that re-parented to S (S is a subreaper): then S must have no children other than its check children.
 * pidfd may be -1.  Safe to call more than once, and on a C that has already exited.
 */
void sandbox_kill_tree(pid_t pid, int pidfd);

/*
 * Read-only paths every check needs besides Python's own directories: system library directories (the shared
 * libraries of extension modules, found through /etc/ld.so.cache), time zone data, /dev/null, /dev/urandom.
 * Static, NULL-terminated.  Never put grader data (rubrics, expected values) under one of these.
 */
const char *const *sandbox_system_read_paths(void);

#endif
