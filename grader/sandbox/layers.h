/*
 * layers.h - the names and states of the isolation layers around a check
 * child, as plain data the controller, reports and `grade doctor` share.
 *
 * sandbox.h sets the layers up; this header only says which exist, which
 * are on and why one is off.  No Python, no system calls.
 */
#ifndef GRADE_SANDBOX_LAYERS_H
#define GRADE_SANDBOX_LAYERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum sandbox_layer {
	/* Set up once in S by sandbox_supervisor_init(), inherited by every C. */
	SANDBOX_USER_NS,	/* S runs in its own user namespace, so that it may create the ones below unprivileged */
	SANDBOX_NET_NS,		/* no network interface at all (not even loopback up) */
	SANDBOX_IPC_NS,		/* private SysV IPC and POSIX message queues */
	SANDBOX_UTS_NS,		/* private host name */
	SANDBOX_SUBREAPER,	/* orphans of C re-parent to S, which can kill them */
	/* Per check, by sandbox_spawn(). */
	SANDBOX_PID_NS,		/* C is pid 1 of a fresh pid namespace: nothing it starts outlives it or sees others */
	SANDBOX_PIDFD,		/* S holds a pidfd for C: signals and waits without pid-reuse races */
	/* In C, by sandbox_enter(), in this order. */
	SANDBOX_RLIMITS,	/* RLIMIT_CPU, FSIZE, NOFILE, CORE=0, NPROC=0 without threads */
	SANDBOX_MEMORY,		/* RLIMIT_AS; off under AddressSanitizer, which reserves terabytes of address space */
	SANDBOX_CAPS,		/* every capability dropped (C is "root" of S's user namespace otherwise) */
	SANDBOX_NO_NEW_PRIVS,	/* PR_SET_NO_NEW_PRIVS: required by Landlock and seccomp */
	SANDBOX_PDEATHSIG,	/* SIGKILL when S dies */
	SANDBOX_CLOSE_FDS,	/* only 0, 1, 2 and policy.keep_fds stay open */
	SANDBOX_LANDLOCK,	/* files: read-only paths + the scratch directory; signals and abstract sockets scoped */
	SANDBOX_SECCOMP,	/* system call allowlist; x32 and i386 system calls kill the process */
	SANDBOX_RESULT_FD,	/* policy.result_fd can only be written by sandbox_write_result() */
	SANDBOX_NLAYERS
};

/*
 * Which layers are on.  Filled by sandbox_probe() (what the host supports) and by sandbox_enter() (what was applied
 * to this check).  Plain data: it can be copied, sent through a pipe and compared.
 */
struct sandbox_layers {
	bool on[SANDBOX_NLAYERS];
	/* For a layer that is off: a static string saying why ("unshare(CLONE_NEWUSER)"), and the errno behind it
	 * (0 if none).  For a layer that is on, why may hold a detail ("ABI 7") or be NULL. */
	const char *why[SANDBOX_NLAYERS];
	int err[SANDBOX_NLAYERS];
	int landlock_abi;	/* 0 when Landlock is unavailable */
};

/* "user_ns", "landlock", ...; NULL for an out-of-range value. */
const char *sandbox_layer_name(enum sandbox_layer layer);
/* The layer named 'name', or -1. */
int sandbox_layer_by_name(const char *name);

/* Why a layer is in its state, into buf: "ABI 7", "unshare(CLONE_NEWUSER): Operation not permitted", "not tried";
 * "" for a layer that is on without a detail. */
void sandbox_layer_reason(const struct sandbox_layers *l, enum sandbox_layer k, char *buf, size_t len);

/* Writes one line per layer, "name: on|off (reason)". */
void sandbox_describe(const struct sandbox_layers *l, FILE *out);

/* Writes the names of the layers that are off, comma-separated, into buf (always NUL-terminated) and returns how
 * many there are: for the one-time "sandbox degraded" warning. */
size_t sandbox_missing(const struct sandbox_layers *l, char *buf, size_t len);

/* The names of the layers that are on (on = true) or off, as a new JSON array (reports, the zygote's hello). */
json_t *sandbox_layers_json(const struct sandbox_layers *l, bool on);

/* The whole state (on, why, errno of every layer, the Landlock ABI) as a new JSON object: the controller's probe,
 * handed to the zygote (base/wire.h, WIRE_OP_PROBE) so that the host is probed once per run. */
json_t *sandbox_layers_encode(const struct sandbox_layers *l);
/* The reverse, into *out: 0, or -1 when j is not what sandbox_layers_encode() writes (a layer missing or unknown).
 * The why strings are borrowed from j, which must outlive *out.  Pure: memory only. */
int sandbox_layers_decode(const json_t *j, struct sandbox_layers *out);

/* For `grade --version`: "sandbox: user_ns, net_ns, ..." and, if any, "sandbox missing: ...". */
void sandbox_print_layers(const struct sandbox_layers *l, FILE *out);

/* Before grading: one line on err naming the layers that are off, and nothing when all are on. */
void sandbox_warn_degraded(const struct sandbox_layers *l, FILE *err);

#endif
