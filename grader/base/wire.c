#include "base/wire.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/util.h"

int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return PROTO_ERROR;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int proto_send_raw(int fd, const void *data, size_t len)
{
	if (len > UINT32_MAX)
		return PROTO_TOOBIG;
	unsigned char head[4] = { (unsigned char)(len >> 24), (unsigned char)(len >> 16),
				  (unsigned char)(len >> 8), (unsigned char)len };
	/* One buffer, one write: small frames then arrive whole.  On a socket
	 * (every channel between grade's processes), without SIGPIPE: a peer
	 * that is gone is an error to handle, not the end of the sender. */
	char *frame = xmalloc(len + 4);
	memcpy(frame, head, 4);
	memcpy(frame + 4, data, len);
	size_t off = 0;
	int rc = 0;
	while (off < len + 4) {
		ssize_t n = send(fd, frame + off, len + 4 - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOTSOCK) {
			rc = write_all(fd, frame + off, len + 4 - off);
			break;
		}
		if (n <= 0) {
			rc = PROTO_ERROR;
			break;
		}
		off += (size_t)n;
	}
	free(frame);
	return rc;
}

int proto_send(int fd, const json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (!text)
		return PROTO_ERROR;
	int rc = proto_send_raw(fd, text, strlen(text));
	free(text);
	return rc;
}

static int read_exact(int fd, void *dst, size_t len, double deadline)
{
	char *p = dst;
	while (len > 0) {
		if (deadline > 0) {
			double left = deadline - now_seconds();
			if (left <= 0)
				return PROTO_TIMEOUT;
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			int ms = left > 1e6 ? 1000000000 : (int)(left * 1000) + 1;
			int r = poll(&pfd, 1, ms);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return PROTO_ERROR;
			if (r == 0)
				return PROTO_TIMEOUT;
		}
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return PROTO_ERROR;
		if (n == 0)
			return PROTO_EOF;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int proto_recv_raw(int fd, char **out, size_t *len, size_t limit, double deadline)
{
	unsigned char head[4];
	int rc = read_exact(fd, head, 4, deadline);
	if (rc < 0)
		return rc;
	size_t n = ((size_t)head[0] << 24) | ((size_t)head[1] << 16) | ((size_t)head[2] << 8) | head[3];
	if (n > limit)
		return PROTO_TOOBIG;
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

int proto_recv(int fd, json_t **out, size_t limit, double deadline)
{
	char *text = NULL;
	size_t len = 0;
	int rc = proto_recv_raw(fd, &text, &len, limit, deadline);
	if (rc < 0)
		return rc;
	json_t *msg = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	free(text);
	if (!msg || !json_is_object(msg)) {
		json_decref(msg);
		return PROTO_BADJSON;
	}
	*out = msg;
	return 0;
}

const char *proto_strerror(int code)
{
	switch (code) {
	case 0: return "ok";
	case PROTO_EOF: return "the other process closed the channel";
	case PROTO_TIMEOUT: return "no answer before the deadline";
	case PROTO_TOOBIG: return "message larger than the limit";
	case PROTO_BADJSON: return "malformed message";
	default: return strerror(errno);
	}
}
