/*
 * audit.h - a PEP 578 audit hook that refuses, and records, what student code must not ask CPython for.
 *
 * The hook is added from C before Py_Initialize(), so no Python code can remove it (sys.addaudithook only adds
 * hooks, and this one refuses that too once armed).  It does nothing until audit_arm(), which the check child C
 * calls right before student code runs; the zygote's warm-up and the grader's own work in C are not affected.
 *
 * When armed, a refused event raises an exception in the student's code (ImportError for imports, PermissionError
 * with errno EACCES for files, so that ordinary "except OSError" fallbacks in the standard library keep working,
 * PermissionError otherwise) and is recorded in a fixed table in C memory, with the student's file and line.
 * Student code may catch the exception; it cannot erase the record.
 *
 * This layer explains; the operating-system layers (sandbox.h) enforce.  A path-like object may lie about its
 * path to the hook, and native code would not go through it at all: Landlock and seccomp do not care.  What the
 * hook alone stands between is native code itself (ctypes, extension modules from the scratch directory, forged
 * code objects and marshal data, all ways to corrupt the interpreter's memory) and tampering with measurement
 * (trace and profile hooks).
 *
 * What is refused (see docs/security.md for the reasoning):
 *   - imports of ctypes, _ctypes, _posixsubprocess, _testcapi-like and subinterpreter modules; any extension
 *     module loaded from outside the read-only paths; every "ctypes.*" event
 *   - code.__new__ (also code.replace), marshal.load(s): forged bytecode crashes CPython at will.  audit_arm()
 *     points sys.pycache_prefix at a directory that cannot exist, so imports after arming compile from source
 *     instead of unmarshalling .pyc files
 *   - processes and signals: os.system, os.exec*, os.posix_spawn, os.spawn*, os.fork, os.forkpty, pty.spawn,
 *     subprocess.Popen, os.kill, os.killpg, signal.pthread_kill; threads unless the policy allows them (3.12+)
 *   - network: every socket.* event except AF_UNIX sockets (socketpair, for asyncio) and gethostname, and the
 *     events of http, ftplib, smtplib, imaplib, nntplib, poplib, telnetlib, urllib, syslog, webbrowser
 *   - measurement and introspection of the grader: sys.settrace, sys.setprofile, sys.addaudithook,
 *     gc.get_objects, gc.get_referrers, breakpoint(), resource.setrlimit, resource.prlimit, sqlite3 extensions
 *   - files: reading outside the scratch directory and the read-only paths, writing or deleting outside the
 *     scratch directory, symlinks anywhere, opening the result descriptor by number
 * Allowed on purpose: sys._getframe (logging and warnings use it), object.__setattr__ (students set class
 * attributes all the time), compile/exec/eval, gc.get_referents, mmap, os.putenv.
 */
#ifndef GRADE_AUDIT_H
#define GRADE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

/* Adds the hook.  Call once, before Py_Initialize(), in the process that initializes CPython (the zygote); forked
 * children inherit it.  Returns 0, or -1 if CPython refused. */
int audit_install(void);

/*
 * Work done once per interpreter rather than per check: imports the frozen standard modules not loaded yet
 * (since 3.13, loading one later raises marshal.loads, which is refused) and looks up the code of types.coroutine,
 * the one function allowed to make code objects.  Call it in the zygote after Py_Initialize() and the warm-up
 * imports, so that children inherit the result; audit_arm() calls it if nobody did.  Needs the GIL.  Returns 0,
 * or -1 with a Python exception set.
 */
int audit_prepare(void);

/*
 * What audit_arm() does to the interpreter for a scratch directory (refused modules out of sys.modules,
 * sys.dont_write_bytecode, sys.pycache_prefix, TMPDIR), done once in the zygote for the path every check child
 * will have (SCRATCH_TMPFS_DIR): a child armed for the same path then only checks sys.modules, which dirties no
 * page of the shared heap.  Needs the GIL.  Returns 0, or -1 with a Python exception set.
 */
int audit_preset(const char *scratch_dir);

struct audit_policy {
	const char *scratch_dir;	/* read-write; the cwd */
	const char *const *read_paths;	/* NULL-terminated; readable (directories: everything beneath) */
	bool allow_threads;
	int result_fd;			/* -1, or the result descriptor: open(fd) on it is refused */
	bool resolved;			/* read_paths are canonical already (realpath() done once, by the caller):
					 * saves a readlink() per path component in every check child */
};

/*
 * Arms the hook with a copy of p (paths resolved with realpath(); at most 32 read paths, longer lists fail).
 * Needs the GIL.  Also:
 *   - removes ctypes and the other refused modules from sys.modules, so that importing them raises the import
 *     event again (the zygote must not keep references to them elsewhere, e.g. by importing
 *     multiprocessing.sharedctypes);
 *   - sets sys.dont_write_bytecode and points sys.pycache_prefix at a path that cannot exist (see above);
 *   - points TMPDIR (and tempfile) at the scratch directory;
 * the last three only when audit_preset() did not do them for the same (canonical) path.
 * Clears earlier violations.  Returns 0, or -1 with a Python exception set.
 */
int audit_arm(const struct audit_policy *p);

/* Stops refusing and recording.  Only for when no student object can run any more (tests, or after the result
 * frame is written): __del__, __repr__ or __eq__ of a student object would run unaudited. */
void audit_disarm(void);
bool audit_armed(void);

struct audit_violation {
	char event[48];		/* "import", "open", "subprocess.Popen"... */
	char detail[160];	/* module, path and mode, command...; truncated */
	char file[96];		/* co_filename of the innermost student frame (tail kept if long), or "" */
	int line;		/* 1-based; 0 when unknown */
	bool forbidden;		/* false for a refused file access, which the standard library also does when it
				 * probes for optional files; true for the rest, which student code never needs */
};

#define AUDIT_MAX_VIOLATIONS 32

/* Forgets the violations recorded so far (between checks that share a child); the hook stays armed. */
void audit_clear_violations(void);

/* The violations recorded since audit_arm(), oldest first, in static memory (borrowed; valid until the next
 * audit_arm()).  Returns how many are stored; *dropped (if not NULL) receives how many more happened but did not
 * fit. */
size_t audit_violations(const struct audit_violation **out, size_t *dropped);

/*
 * The interpreter's own directories, for the read-only paths of both this policy and the sandbox's: the existing
 * directories of sys.path (standard library, lib-dynload; site is not imported, so no site-packages), and
 * <sys.base_prefix>/lib.  Resolved with realpath(), without duplicates.  Needs the GIL; call it in the zygote.
 * Returns a NULL-terminated array the caller frees with audit_free_paths(), or NULL with a Python exception set.
 */
char **audit_python_paths(void);
void audit_free_paths(char **paths);

#endif
