/*
 * internal.h - what the files of sandbox/ share (not used outside it):
 * kernel interfaces newer than Debian 12's headers, the layer bookkeeping,
 * and the state that crosses fork between S and C.
 *
 *   spawn.c     S's set-up (user, net, IPC, UTS namespaces), spawning C, killing C's tree
 *   probe.c     what this host supports
 *   enter.c     C's steps into the sandbox, in order (sandbox_enter)
 *   landlock.c  the file-system ruleset
 *   seccomp.c   the system call allowlist, compiled once and loaded per C
 *   result.c    the result descriptor and the read-only system paths
 */
#ifndef GRADE_SANDBOX_INTERNAL_H
#define GRADE_SANDBOX_INTERNAL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asm/prctl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>


#include "sandbox/sandbox.h"

/* ====================================================================== */
/* Kernel interfaces newer than Debian 12's headers, or without wrappers.  */
/* ====================================================================== */

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef PR_GET_TID_ADDRESS
#define PR_GET_TID_ADDRESS 40
#endif
#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

/* Landlock rights by ABI version; the 6.1 uapi header stops at ABI 2. */
#define LL_FS_EXECUTE		(1ULL << 0)
#define LL_FS_WRITE_FILE	(1ULL << 1)
#define LL_FS_READ_FILE		(1ULL << 2)
#define LL_FS_READ_DIR		(1ULL << 3)
#define LL_FS_REMOVE_DIR	(1ULL << 4)
#define LL_FS_REMOVE_FILE	(1ULL << 5)
#define LL_FS_MAKE_CHAR		(1ULL << 6)
#define LL_FS_MAKE_DIR		(1ULL << 7)
#define LL_FS_MAKE_REG		(1ULL << 8)
#define LL_FS_MAKE_SOCK		(1ULL << 9)
#define LL_FS_MAKE_FIFO		(1ULL << 10)
#define LL_FS_MAKE_BLOCK	(1ULL << 11)
#define LL_FS_MAKE_SYM		(1ULL << 12)
#define LL_FS_REFER		(1ULL << 13)	/* ABI 2 */
#define LL_FS_TRUNCATE		(1ULL << 14)	/* ABI 3 */
#define LL_FS_IOCTL_DEV		(1ULL << 15)	/* ABI 5 */
#define LL_NET_BIND_TCP		(1ULL << 0)	/* ABI 4 */
#define LL_NET_CONNECT_TCP	(1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX	(1ULL << 0)	/* ABI 6 */
#define LL_SCOPE_SIGNAL		(1ULL << 1)
/* Rights that make sense on a file (not a directory) in a rule. */
#define LL_FS_FILE_RIGHTS (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

/* The kernel takes the size, so this one struct serves every ABI. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;	/* ABI 4 */
	uint64_t scoped;		/* ABI 6 */
};

struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static inline int sys_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}


/* ====================================================================== */
/* Layers: names, reasons, description.                                    */
/* ====================================================================== */

static inline void layer_on(struct sandbox_layers *l, enum sandbox_layer k, const char *detail)
{
	l->on[k] = true;
	l->why[k] = detail;
	l->err[k] = 0;
}

static inline void layer_off(struct sandbox_layers *l, enum sandbox_layer k, const char *why, int err)
{
	l->on[k] = false;
	l->why[k] = why;
	l->err[k] = err;
}

/* Copies layer k's state from one struct to another. */
static inline void layer_copy(struct sandbox_layers *to, const struct sandbox_layers *from, enum sandbox_layer k)
{
	to->on[k] = from->on[k];
	to->why[k] = from->why[k];
	to->err[k] = from->err[k];
}



/* ====================================================================== */
/* State that crosses fork: what S set up, how C was spawned.              */
/* ====================================================================== */

/* Written by sandbox_supervisor_init() in S; C inherits the copy and reports it from sandbox_enter(). */
extern struct sandbox_layers supervisor_state;
extern bool supervisor_done;

/* Written in C by sandbox_spawn(). */
extern bool spawned_child;
extern bool spawned_in_pidns;
extern pid_t spawned_parent;

/* In S: how each live check child was spawned, for sandbox_kill_tree(). */
struct spawned_child {
	pid_t pid;
	bool pidns;
};
extern struct spawned_child spawned[16];

/* Sticky fallbacks, so that a refused clone3() or CLONE_NEWPID is not retried for every check. */
extern bool clone3_refused, pidns_refused;
extern int pidns_refused_err;


/* landlock.c */
int apply_landlock(const struct sandbox_policy *p, int abi, char *err, size_t errlen);
/* seccomp.c */
int apply_seccomp(const struct sandbox_policy *p, bool rfd_socket, char *err, size_t errlen);

#endif
