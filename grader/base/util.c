#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void *die_oom(size_t size)
{
	fprintf(stderr, "grade: out of memory allocating %zu bytes\n", size);
	abort();
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	return p ? p : die_oom(size);
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	return p ? p : die_oom(count * size);
}

void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);
	return p ? p : die_oom(size);
}

void xgrow(void **items, size_t *alloc, size_t need, size_t elem_size)
{
	size_t n = *alloc;
	if (need <= n)
		return;
	n = n ? n : 8;
	while (n < need)
		n *= 2;
	if (n > SIZE_MAX / elem_size)
		die_oom(SIZE_MAX);
	*items = xrealloc(*items, n * elem_size);
	*alloc = n;
}

void free_strings(char **list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		free(list[i]);
	free(list);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char small[256];
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(small, sizeof(small), fmt, copy);
	va_end(copy);
	if (n < 0)
		return xstrdup("");
	if ((size_t)n < sizeof(small))
		return xstrdup(small);
	char *p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

static int read_fd(int fd, char **out, size_t *len, size_t limit);

int read_file(char **out, size_t *len, const char *path, size_t limit)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	return read_fd(fd, out, len, limit);
}

int read_file_at(int dirfd, const char *name, char **out, size_t *len, size_t limit)
{
	/* O_NONBLOCK: a fifo planted under the name must not hang us. */
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return read_fd(fd, out, len, limit);
}

/* Reads fd to its end and closes it. */
static int read_fd(int fd, char **out, size_t *len, size_t limit)
{
	int err = 0;
	char *data = NULL;
	size_t used = 0, alloc = 0;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto done;
	}
	for (;;) {
		if (used + 4096 + 1 > alloc)
			xgrow((void **)&data, &alloc, used + 4096 + 1, 1);
		ssize_t n = read(fd, data + used, alloc - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto done;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > limit) {
			err = -EFBIG;
			goto done;
		}
	}
	if (!data)
		data = xmalloc(1);
	data[used] = '\0';
	*out = data;
	data = NULL;
	if (len)
		*len = used;
done:
	free(data);
	close(fd);
	return err;
}

double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool str_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

bool utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		unsigned char c = s[i];
		size_t need;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			need = 1;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			need = 2;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			need = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + need >= len)
			return false;
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += need + 1;
	}
	return true;
}

static size_t utf8_seq_len(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t need = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 9;
	if (need == 9 || need >= left)
		return 0;
	if (c == 0)
		return 0;
	return utf8_valid((const char *)s, need + 1) ? need + 1 : 0;
}

char *utf8_sanitize(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	char *out = xmalloc(len * 3 + 1);
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq_len(s + i, len - i);
		if (n == 0) {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	return out;
}

char *hex_encode(const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *d = data;
	char *hex = xmalloc(len * 2 + 1);
	for (size_t i = 0; i < len; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[len * 2] = '\0';
	return hex;
}

char *base64_encode(const void *data, size_t len)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *d = data;
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < len ? (uint32_t)d[i + 1] << 8 : 0) | (i + 2 < len ? d[i + 2] : 0);
		*o++ = digits[v >> 18 & 63];
		*o++ = digits[v >> 12 & 63];
		*o++ = i + 1 < len ? digits[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? digits[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 0;
}

size_t hex_decode(const char *hex, char *out)
{
	size_t n = strlen(hex) / 2;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)(hex_digit(hex[2 * i]) << 4 | hex_digit(hex[2 * i + 1]));
	return n;
}

int write_file_replace(const char *path, const char *data, size_t len)
{
	struct stat st;
	bool in_place = stat(path, &st) == 0 && !S_ISREG(st.st_mode);
	char *tmp = in_place ? xstrdup(path) : xasprintf("%s.tmp.%d", path, (int)getpid());
	FILE *f = fopen(tmp, "w");
	int rc = -1;
	if (f) {
		rc = fwrite(data, 1, len, f) != len ? -1 : 0;
		if (fclose(f) != 0)
			rc = -1;
		if (!in_place && rc == 0 && rename(tmp, path) < 0)
			rc = -1;
		if (!in_place && rc < 0)
			unlink(tmp);
	}
	free(tmp);
	return rc;
}
