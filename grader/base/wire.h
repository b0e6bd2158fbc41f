/*
 * wire.h - the one protocol between grade's processes.
 *
 * Everything two processes of grade say to each other is defined here:
 * the descriptor numbers a process finds its channels on, the frame
 * codec (one length encoding: 4 bytes, big-endian), the size limits, and
 * the names of the messages and of their keys.  No file writes a key of
 * the protocol as a bare string; the contents of one kind's observation
 * (what observe/NAME.c records and kinds/NAME.c reads) are that kind's
 * own and stay with the pair.
 *
 * Three framings, all with the same length encoding:
 *
 *   WIRE_PLAIN    length | payload
 *                 controller <-> zygote <-> supervisor (JSON objects),
 *                 and lane -> controller (a report: wire_lane_*)
 *   WIRE_REQUEST  nonce | length | payload
 *                 supervisor -> check child: a check request, or a
 *                 switch followed by the raw sources it announces
 *   WIRE_RESULT   nonce | length | payload | nonce
 *                 check child -> supervisor: one observation per check
 *
 * The nonce (WIRE_NONCE_LEN random bytes, fresh per check) lets the
 * supervisor tell the grader's frame from bytes student code wrote to the
 * result descriptor.
 *
 * Receivers always give a size limit: a frame announcing more is refused
 * without being read, so a corrupted or forged stream cannot make the
 * reader allocate without bound.  The decoders (wire_frame_parse and what
 * is built on it) are pure: they read memory and nothing else, and are
 * fuzzed (fuzz/).
 *
 * Return values: 0 (or a size) on success, or one of the negative WIRE_*
 * codes.
 */
#ifndef GRADE_WIRE_H
#define GRADE_WIRE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	WIRE_ERROR = -1,      /* read/write error (errno kept) */
	WIRE_EOF = -2,        /* the peer closed the stream before a whole frame */
	WIRE_TIMEOUT = -3,    /* the deadline passed */
	WIRE_TOOBIG = -4,     /* the frame is larger than the limit */
	WIRE_BADJSON = -5,    /* the frame is not a JSON object */
	WIRE_INCOMPLETE = -6, /* the bytes so far are the start of a frame: read more */
	WIRE_FORGED = -7,     /* the bytes cannot be the grader's frame (nonce, length, trailing bytes) */
};

/* ---- descriptors ---------------------------------------------------------- */

/* The zygote's channel to the controller (`grade --internal-zygote 3`). */
#define WIRE_FD_ZYGOTE 3
/* A check child's descriptors beyond 0 (/dev/null), 1 (import output, then
 * call output) and 2 (stderr). */
#define WIRE_FD_CALL_OUT 3    /* fd 1 once the first import is done */
#define WIRE_FD_RESULT 4      /* the result socket: WIRE_RESULT frames */
#define WIRE_FD_REQUEST 5     /* the request pipe: WIRE_REQUEST frames */
#define WIRE_FD_IMPORT_OUT 6  /* fd 1 again when the child is switched to a later exercise */
#define WIRE_CHILD_FD_FIRST WIRE_FD_CALL_OUT
#define WIRE_CHILD_FD_COUNT 4 /* 3, 4, 5, 6: all a child keeps but 0, 1, 2 */

/* ---- limits --------------------------------------------------------------- */

#define WIRE_NONCE_LEN 16
#define WIRE_LEN_BYTES 4
#define WIRE_CONTROL_MAX (1u << 20)   /* controller -> zygote/supervisor messages, a check request */
#define WIRE_HELLO_MAX (1u << 16)     /* the zygote's first message */
#define WIRE_RESULT_MAX (16u << 20)   /* supervisor -> controller messages */
#define WIRE_OBSERVATION_MAX (4u << 20) /* check child -> supervisor: one observation */
#define WIRE_SOURCE_MAX (1u << 20)    /* one student file, read or carried by a switch */
#define WIRE_SWITCH_MODULES_MAX 64    /* files one switch may carry */

/* ---- messages: ops ---------------------------------------------------------- */

#define WIRE_KEY_OP "op"
/* zygote -> controller */
#define WIRE_OP_READY "ready"                   /* python, major, minor */
#define WIRE_OP_ERROR "error"                   /* message: the zygote could not start */
#define WIRE_OP_SUPERVISOR_END "supervisor_end" /* status {exit|signal}, or error */
/* controller -> zygote */
#define WIRE_OP_PROBE "probe"                   /* the first message: layers, landlock_abi (sandbox_layers_encode) */
#define WIRE_OP_SUBMISSION "submission"         /* dir, cpu: fork a supervisor */
#define WIRE_OP_QUIT "quit"
/* supervisor <-> controller (supervisor.h) */
#define WIRE_OP_HELLO "hello"                   /* pid */
#define WIRE_OP_EXERCISE "exercise"             /* exercise, files */
#define WIRE_OP_COMPILED "compiled"             /* files [{file, ok, error}], scratch_error */
#define WIRE_OP_CHECK "check"                   /* limits, fresh; then the request as a frame of its own */
#define WIRE_OP_RESULT "result"                 /* see WIRE_KEY_* below */
#define WIRE_OP_DONE "done"

/* ---- messages: keys --------------------------------------------------------- */

#define WIRE_KEY_MESSAGE "message"
#define WIRE_KEY_PYTHON "python"
#define WIRE_KEY_MAJOR "major"
#define WIRE_KEY_MINOR "minor"
#define WIRE_KEY_STATUS "status"
#define WIRE_KEY_EXIT "exit"
#define WIRE_KEY_SIGNAL "signal"
#define WIRE_KEY_ERROR "error"
#define WIRE_KEY_DIR "dir"
#define WIRE_KEY_CPU "cpu"                      /* submission: the CPU to stay on; result: CPU seconds */
#define WIRE_KEY_PID "pid"
#define WIRE_KEY_EXERCISE "exercise"
#define WIRE_KEY_FILES "files"
#define WIRE_KEY_FILE "file"
#define WIRE_KEY_OK "ok"
#define WIRE_KEY_MISSING "missing"
#define WIRE_KEY_SCRATCH_ERROR "scratch_error"
#define WIRE_KEY_LIMITS "limits"                /* {wall, cpu, memory, output} */
#define WIRE_KEY_WALL "wall"
#define WIRE_KEY_MEMORY "memory"
#define WIRE_KEY_OUTPUT "output"
#define WIRE_KEY_FRESH "fresh"
/* the probe (controller -> zygote): {layer name: {on, why, errno}} */
#define WIRE_KEY_LAYERS "layers"
#define WIRE_KEY_LANDLOCK_ABI "landlock_abi"
#define WIRE_KEY_ON "on"
#define WIRE_KEY_WHY "why"
#define WIRE_KEY_ERRNO "errno"
/* the check request (controller -> child, unparsed by the supervisor) */
#define WIRE_KEY_CHECK "check"
#define WIRE_KEY_KIND "kind"
#define WIRE_KEY_SPEC "spec"
#define WIRE_KEY_SWITCH "switch"                /* [{name, file, error} or {name, file, source: n}] */
#define WIRE_KEY_NAME "name"
#define WIRE_KEY_SOURCE "source"
/* the result (supervisor -> controller) */
#define WIRE_KEY_CHANNEL "channel"              /* WIRE_CHANNEL_* */
#define WIRE_KEY_STDOUT_IMPORT "stdout_import"
#define WIRE_KEY_STDOUT_CALL "stdout_call"
#define WIRE_KEY_STDERR "stderr"
#define WIRE_KEY_OUTPUT_DROPPED "output_dropped"
#define WIRE_KEY_OBSERVATION "observation"
#define WIRE_KEY_SHARED "shared"
#define WIRE_KEY_MAXRSS_KB "maxrss_kb"
#define WIRE_KEY_TIMEOUT "timeout"              /* WIRE_TIMEOUT_WALL or _CPU */
#define WIRE_KEY_SUPERVISOR_ERROR "supervisor_error"
#define WIRE_KEY_SUBMISSION_ERROR "submission_error"
#define WIRE_KEY_PHASE "phase"                  /* after a timeout: base/phase.h, {check, callable, in} */
#define WIRE_CHANNEL_OK "ok"
#define WIRE_CHANNEL_TAMPERED "tampered"
#define WIRE_CHANNEL_MISSING "missing"
#define WIRE_TIMEOUT_WALL "wall"
#define WIRE_TIMEOUT_CPU "cpu"
/* the observation's envelope (check child); the kind's own part is under
 * the kind's name */
#define WIRE_KEY_IMPORT "import"                /* {module, ok, missing, exception, seconds, violations} */
#define WIRE_KEY_MODULE "module"
#define WIRE_KEY_EXCEPTION "exception"
#define WIRE_KEY_SECONDS "seconds"
#define WIRE_KEY_VIOLATIONS "violations"
#define WIRE_KEY_VIOLATIONS_DROPPED "violations_dropped"
#define WIRE_KEY_SANDBOX "sandbox"              /* the layers applied: the child's first observation only */
#define WIRE_KEY_HARNESS_ERROR "harness_error"  /* a grader-side problem, in the envelope or a kind's part */
/* an exception (py_exception_to_json()): type, message, line, col, ... */
#define WIRE_KEY_TYPE "type"
#define WIRE_KEY_LINE "line"
/* one of the violations: what the audit hook refused */
#define WIRE_KEY_EVENT "event"
#define WIRE_KEY_DETAIL "detail"
#define WIRE_KEY_FORBIDDEN "forbidden"

/* obs[WIRE_KEY_HARNESS_ERROR] as a string (borrowed), or NULL. */
const char *wire_harness_error(const json_t *obs);

/* ---- the frame codec ------------------------------------------------------ */

enum wire_framing { WIRE_PLAIN, WIRE_REQUEST, WIRE_RESULT };

/* Bytes before and after the payload of a frame. */
size_t wire_head_size(enum wire_framing f);
size_t wire_tail_size(enum wire_framing f);

void wire_put_be32(unsigned char *p, uint32_t v);
uint32_t wire_get_be32(const unsigned char *p);

/* Writes the head of a frame of 'len' payload bytes into head
 * (wire_head_size(f) bytes); 'nonce' for WIRE_REQUEST and WIRE_RESULT. */
void wire_head_encode(enum wire_framing f, unsigned char *head, const unsigned char *nonce, size_t len);
/* A whole frame in one new buffer (caller frees), its size in *total. */
unsigned char *wire_frame_encode(enum wire_framing f, const unsigned char *nonce, const void *payload, size_t len,
				 size_t *total);

/* Where a frame's payload lies in the bytes given to wire_frame_parse(). */
struct wire_span {
	size_t offset, len;
};

/*
 * Looks at the first 'len' bytes of a stream of frames.  Returns the size
 * of the whole first frame (its payload in *payload), or:
 *   WIRE_INCOMPLETE  a frame starts here; *need (if not NULL) is the size
 *                    the bytes must reach before it can be decided
 *   WIRE_TOOBIG      the length announced is over 'limit'
 *   WIRE_FORGED      (WIRE_RESULT) the bytes do not start with, or the
 *                    frame does not end with, 'expected_nonce'
 * For WIRE_REQUEST the nonce is the frame's own, copied to 'nonce_out'
 * when the head is complete (either may be NULL).  Pure: memory only.
 */
long wire_frame_parse(enum wire_framing f, const unsigned char *buf, size_t len, size_t limit,
		      const unsigned char *expected_nonce, unsigned char *nonce_out, struct wire_span *payload,
		      size_t *need);

/*
 * A check child's answer, accumulated in buf[0..len): 1 with *obs a new
 * reference to the observation (a JSON object), WIRE_INCOMPLETE, or
 * WIRE_FORGED: bytes that cannot be the grader's frame (wrong nonce, too
 * long, bytes after the frame, not a JSON object).
 */
int wire_result_parse(const unsigned char *buf, size_t len, const unsigned char *nonce, json_t **obs);

/* A request as the check child reads it (the payload of a WIRE_REQUEST). */
struct wire_request {
	json_t *root;             /* new reference to the whole request, or NULL when malformed */
	const json_t *exercises;  /* a switch: its list (borrowed from root), else NULL */
	const char *check;        /* a check: its id, kind and spec (borrowed), NULL when missing */
	const char *kind;
	const json_t *spec;
};
/* Parses a request.  Returns 1 for a switch, 0 for a check (kind and spec
 * may still be NULL: a malformed check, answered as such), WIRE_BADJSON
 * when it is no JSON at all.  Release with wire_request_release(). */
int wire_request_parse(const char *text, size_t len, struct wire_request *out);
void wire_request_release(struct wire_request *r);

/* One entry of a switch: a file that could not be read ('error'), or one
 * whose 'source_len' bytes follow the switch on the request pipe.  Returns
 * 0, or WIRE_FORGED for an entry no supervisor writes. */
struct wire_switch_entry {
	const char *name, *file;  /* borrowed */
	const json_t *error;      /* borrowed, or NULL */
	size_t source_len;
};
int wire_switch_entry_parse(const json_t *entry, struct wire_switch_entry *out);

/* ---- descriptors: reading and writing ------------------------------------- */

/* Writes all of data, retrying on EINTR and short writes. */
int write_all(int fd, const void *data, size_t len);
/* Reads exactly len bytes; 'deadline' is a now_seconds() time, or 0 to wait
 * (with read() alone: the check child, whose seccomp filter has no poll). */
int read_exact(int fd, void *dst, size_t len, double deadline);

/* Sends one WIRE_PLAIN frame; on a socket without raising SIGPIPE (a closed
 * peer is WIRE_ERROR with errno EPIPE). */
int wire_send_raw(int fd, const void *data, size_t len);
/* Sends msg as compact JSON; msg stays owned by the caller. */
int wire_send(int fd, const json_t *msg);
/* The same, and releases msg (a new reference handed over). */
int wire_send_new(int fd, json_t *msg);

/* Receives one WIRE_PLAIN frame into *out (NUL-terminated, caller frees).
 * 'deadline' is a now_seconds() time, or 0 to wait forever. */
int wire_recv_raw(int fd, char **out, size_t *len, size_t limit, double deadline);
/* Receives one frame and parses it; *out is a new reference to an object. */
int wire_recv(int fd, json_t **out, size_t limit, double deadline);

/* msg[WIRE_KEY_OP], or "" (borrowed). */
const char *wire_op(const json_t *msg);

const char *wire_strerror(int code);

/* ---- lane -> controller: a finished report (control/batch.c) --------------- */

/* A WIRE_PLAIN frame whose payload is a fixed head (index, flags, text
 * length, error length: big-endian 32-bit each) then the text and the
 * error.  Nothing in it is parsed beyond the head. */
#define WIRE_LANE_HEAD 16
struct wire_lane_report {
	uint32_t index, flags;
	const char *text, *error; /* into the payload, not NUL-terminated; NULL when the flag says none */
	size_t text_len, error_len;
};
enum { WIRE_LANE_TEXT = 1, WIRE_LANE_ERROR = 2 }; /* flags the codec sets; the others are the caller's */
/* A new payload (caller frees) of *len bytes; text and error may be NULL. */
unsigned char *wire_lane_encode(uint32_t index, uint32_t flags, const char *text, const char *error, size_t *len);
/* 0, or WIRE_FORGED when the payload is not one wire_lane_encode() wrote. */
int wire_lane_parse(const unsigned char *payload, size_t len, struct wire_lane_report *out);

#endif
