#include "base/wire.h"

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/util.h"

const char *wire_harness_error(const json_t *obs)
{
	return json_string_value(json_object_get(obs, WIRE_KEY_HARNESS_ERROR));
}

const char *wire_op(const json_t *msg)
{
	return str_or(json_string_value(json_object_get(msg, WIRE_KEY_OP)), "");
}

/* ---- the frame codec ------------------------------------------------------ */

size_t wire_head_size(enum wire_framing f)
{
	return (f == WIRE_PLAIN ? 0 : WIRE_NONCE_LEN) + WIRE_LEN_BYTES;
}

size_t wire_tail_size(enum wire_framing f)
{
	return f == WIRE_RESULT ? WIRE_NONCE_LEN : 0;
}

void wire_put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

uint32_t wire_get_be32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

void wire_head_encode(enum wire_framing f, unsigned char *head, const unsigned char *nonce, size_t len)
{
	assert(len <= UINT32_MAX);
	if (f != WIRE_PLAIN) {
		memcpy(head, nonce, WIRE_NONCE_LEN);
		head += WIRE_NONCE_LEN;
	}
	wire_put_be32(head, (uint32_t)len);
}

unsigned char *wire_frame_encode(enum wire_framing f, const unsigned char *nonce, const void *payload, size_t len,
				 size_t *total)
{
	size_t head = wire_head_size(f), tail = wire_tail_size(f);
	unsigned char *frame = xmalloc(head + len + tail);
	wire_head_encode(f, frame, nonce, len);
	if (len)
		memcpy(frame + head, payload, len);
	if (tail)
		memcpy(frame + head + len, nonce, tail);
	*total = head + len + tail;
	return frame;
}

long wire_frame_parse(enum wire_framing f, const unsigned char *buf, size_t len, size_t limit,
		      const unsigned char *expected_nonce, unsigned char *nonce_out, struct wire_span *payload,
		      size_t *need)
{
	size_t head = wire_head_size(f), tail = wire_tail_size(f);
	/* A result frame must start with the nonce: bytes that do not are
	 * refused as soon as they arrive, before any length is believed. */
	if (f == WIRE_RESULT && len && memcmp(buf, expected_nonce, len < WIRE_NONCE_LEN ? len : WIRE_NONCE_LEN))
		return WIRE_FORGED;
	if (len < head) {
		if (need)
			*need = head;
		return WIRE_INCOMPLETE;
	}
	if (f == WIRE_REQUEST && nonce_out)
		memcpy(nonce_out, buf, WIRE_NONCE_LEN);
	size_t n = wire_get_be32(buf + head - WIRE_LEN_BYTES);
	if (n > limit)
		return WIRE_TOOBIG;
	size_t total = head + n + tail;
	if (len < total) {
		if (need)
			*need = total;
		return WIRE_INCOMPLETE;
	}
	if (tail && memcmp(buf + head + n, expected_nonce, WIRE_NONCE_LEN))
		return WIRE_FORGED;
	if (payload)
		*payload = (struct wire_span){ .offset = head, .len = n };
	return (long)total;
}

int wire_result_parse(const unsigned char *buf, size_t len, const unsigned char *nonce, json_t **obs)
{
	struct wire_span p;
	*obs = NULL;
	long total = wire_frame_parse(WIRE_RESULT, buf, len, WIRE_OBSERVATION_MAX, nonce, NULL, &p, NULL);
	if (total == WIRE_INCOMPLETE)
		return WIRE_INCOMPLETE;
	/* One frame per check and nothing after it: more bytes are not ours. */
	if (total < 0 || (size_t)total != len)
		return WIRE_FORGED;
	/* A student's str may hold NUL (json_stringn keeps it): not forgery. */
	json_t *o = json_loadb((const char *)buf + p.offset, p.len, JSON_ALLOW_NUL, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return WIRE_FORGED;
	}
	*obs = o;
	return 1;
}

int wire_request_parse(const char *text, size_t len, struct wire_request *out)
{
	*out = (struct wire_request){ 0 };
	out->root = json_loadb(text, len, 0, NULL);
	if (!out->root)
		return WIRE_BADJSON;
	out->exercises = json_object_get(out->root, WIRE_KEY_SWITCH);
	if (out->exercises)
		return 1;
	out->check = json_string_value(json_object_get(out->root, WIRE_KEY_CHECK));
	out->kind = json_string_value(json_object_get(out->root, WIRE_KEY_KIND));
	out->spec = json_object_get(out->root, WIRE_KEY_SPEC);
	return 0;
}

void wire_request_release(struct wire_request *r)
{
	json_decref(r->root);
	*r = (struct wire_request){ 0 };
}

int wire_switch_entry_parse(const json_t *entry, struct wire_switch_entry *out)
{
	json_int_t len = json_integer_value(json_object_get(entry, WIRE_KEY_SOURCE));
	*out = (struct wire_switch_entry){
		.name = json_string_value(json_object_get(entry, WIRE_KEY_NAME)),
		.file = json_string_value(json_object_get(entry, WIRE_KEY_FILE)),
		.error = json_object_get(entry, WIRE_KEY_ERROR),
	};
	if (!out->name || !out->file || len < 0 || len > WIRE_SOURCE_MAX)
		return WIRE_FORGED;
	out->source_len = out->error ? 0 : (size_t)len;
	return 0;
}

/* ---- lane reports ------------------------------------------------------- */

unsigned char *wire_lane_encode(uint32_t index, uint32_t flags, const char *text, const char *error, size_t *len)
{
	size_t tl = text ? strlen(text) : 0, el = error ? strlen(error) : 0;
	flags |= (text ? WIRE_LANE_TEXT : 0) | (error ? WIRE_LANE_ERROR : 0);
	unsigned char *msg = xmalloc(WIRE_LANE_HEAD + tl + el);
	wire_put_be32(msg, index);
	wire_put_be32(msg + 4, flags);
	wire_put_be32(msg + 8, (uint32_t)tl);
	wire_put_be32(msg + 12, (uint32_t)el);
	if (tl)
		memcpy(msg + WIRE_LANE_HEAD, text, tl);
	if (el)
		memcpy(msg + WIRE_LANE_HEAD + tl, error, el);
	*len = WIRE_LANE_HEAD + tl + el;
	return msg;
}

int wire_lane_parse(const unsigned char *payload, size_t len, struct wire_lane_report *out)
{
	if (len < WIRE_LANE_HEAD)
		return WIRE_FORGED;
	size_t tl = wire_get_be32(payload + 8), el = wire_get_be32(payload + 12);
	if (tl > len - WIRE_LANE_HEAD || el != len - WIRE_LANE_HEAD - tl)
		return WIRE_FORGED;
	uint32_t flags = wire_get_be32(payload + 4);
	/* Bytes the flags say are not there: not a frame wire_lane_encode() wrote. */
	if ((tl && !(flags & WIRE_LANE_TEXT)) || (el && !(flags & WIRE_LANE_ERROR)))
		return WIRE_FORGED;
	*out = (struct wire_lane_report){
		.index = wire_get_be32(payload),
		.flags = flags,
		.text = flags & WIRE_LANE_TEXT ? (const char *)payload + WIRE_LANE_HEAD : NULL,
		.text_len = tl,
		.error = flags & WIRE_LANE_ERROR ? (const char *)payload + WIRE_LANE_HEAD + tl : NULL,
		.error_len = el,
	};
	return 0;
}

/* ---- descriptors ---------------------------------------------------------- */

int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return WIRE_ERROR;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int wire_send_raw(int fd, const void *data, size_t len)
{
	if (len > UINT32_MAX)
		return WIRE_TOOBIG;
	/* One buffer, one write: small frames then arrive whole.  On a socket
	 * (every channel between grade's processes), without SIGPIPE: a peer
	 * that is gone is an error to handle, not the end of the sender. */
	size_t total = 0;
	unsigned char *frame = wire_frame_encode(WIRE_PLAIN, NULL, data, len, &total);
	size_t off = 0;
	int rc = 0;
	while (off < total) {
		ssize_t n = send(fd, frame + off, total - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOTSOCK) {
			rc = write_all(fd, frame + off, total - off);
			break;
		}
		if (n <= 0) {
			rc = WIRE_ERROR;
			break;
		}
		off += (size_t)n;
	}
	free(frame);
	return rc;
}

int wire_send(int fd, const json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (!text)
		return WIRE_ERROR;
	int rc = wire_send_raw(fd, text, strlen(text));
	free(text);
	return rc;
}

int wire_send_new(int fd, json_t *msg)
{
	int rc = msg ? wire_send(fd, msg) : WIRE_ERROR;
	json_decref(msg);
	return rc;
}

/* Waits until fd is readable or the deadline passes. */
static int wait_readable(int fd, double deadline)
{
	for (;;) {
		double left = deadline - now_seconds();
		if (left <= 0)
			return WIRE_TIMEOUT;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int ms = left > 1e6 ? 1000000000 : (int)(left * 1000) + 1;
		int r = poll(&pfd, 1, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return WIRE_ERROR;
		return r == 0 ? WIRE_TIMEOUT : 0;
	}
}

int read_exact(int fd, void *dst, size_t len, double deadline)
{
	char *p = dst;
	while (len > 0) {
		int rc = deadline > 0 ? wait_readable(fd, deadline) : 0;
		if (rc < 0)
			return rc;
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return WIRE_ERROR;
		if (n == 0)
			return WIRE_EOF;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int wire_recv_raw(int fd, char **out, size_t *len, size_t limit, double deadline)
{
	unsigned char head[WIRE_LEN_BYTES];
	size_t need = 0;
	int rc = read_exact(fd, head, sizeof(head), deadline);
	if (rc < 0)
		return rc;
	long r = wire_frame_parse(WIRE_PLAIN, head, sizeof(head), limit, NULL, NULL, NULL, &need);
	if (r != WIRE_INCOMPLETE && r < 0)
		return (int)r;
	size_t n = r == WIRE_INCOMPLETE ? need - sizeof(head) : 0;
	char *data = xmalloc(n + 1);
	rc = read_exact(fd, data, n, deadline);
	if (rc < 0) {
		free(data);
		return rc;
	}
	data[n] = '\0';
	*out = data;
	if (len)
		*len = n;
	return 0;
}

int wire_recv(int fd, json_t **out, size_t limit, double deadline)
{
	char *text = NULL;
	size_t len = 0;
	int rc = wire_recv_raw(fd, &text, &len, limit, deadline);
	if (rc < 0)
		return rc;
	json_t *msg = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
	free(text);
	if (!msg || !json_is_object(msg)) {
		json_decref(msg);
		return WIRE_BADJSON;
	}
	*out = msg;
	return 0;
}

const char *wire_strerror(int code)
{
	switch (code) {
	case 0: return "ok";
	case WIRE_EOF: return "the other process closed the channel";
	case WIRE_TIMEOUT: return "no answer before the deadline";
	case WIRE_TOOBIG: return "message larger than the limit";
	case WIRE_BADJSON: return "malformed message";
	case WIRE_INCOMPLETE: return "incomplete message";
	case WIRE_FORGED: return "forged message";
	default: return strerror(errno);
	}
}
