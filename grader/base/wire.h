/*
 * proto.h - length-prefixed frames between the grader's processes.
 *
 * A frame is a 4-byte big-endian length followed by that many bytes
 * (usually compact JSON).  Receivers always give a size limit: a frame
 * announcing more is refused without being read, so a corrupted or forged
 * stream cannot make the reader allocate without bound.
 *
 * Return values: 0 on success, or one of the negative PROTO_* codes.
 */
#ifndef GRADE_PROTO_H
#define GRADE_PROTO_H

#include <jansson.h>
#include <stddef.h>

enum {
	PROTO_ERROR = -1,    /* read/write error (errno kept) */
	PROTO_EOF = -2,      /* the peer closed the stream before a whole frame */
	PROTO_TIMEOUT = -3,  /* the deadline passed */
	PROTO_TOOBIG = -4,   /* the frame is larger than the limit */
	PROTO_BADJSON = -5,  /* the frame is not a JSON object */
};

/* Writes all of data, retrying on EINTR and short writes. */
int write_all(int fd, const void *data, size_t len);

/* Sends one frame; on a socket without raising SIGPIPE (a closed peer is
 * PROTO_ERROR with errno EPIPE). */
int proto_send_raw(int fd, const void *data, size_t len);
/* Sends msg as compact JSON; msg stays owned by the caller. */
int proto_send(int fd, const json_t *msg);

/* Receives one frame into *out (NUL-terminated, caller frees).  'deadline'
 * is a now_seconds() time, or 0 to wait forever. */
int proto_recv_raw(int fd, char **out, size_t *len, size_t limit, double deadline);
/* Receives one frame and parses it; *out is a new reference to an object. */
int proto_recv(int fd, json_t **out, size_t limit, double deadline);

const char *proto_strerror(int code);

#endif
