#include "sandbox/internal.h"

#include "base/error.h"

/* ====================================================================== */
/* Results and paths.                                                      */
/* ====================================================================== */

/* A socket copies what it is given: sendmmsg(), looping over partial sends. */
static int write_result_socket(int fd, const char *data, size_t len)
{
	size_t off = 0;
	while (off < len) {
		struct iovec iov = { .iov_base = (void *)(data + off), .iov_len = len - off };
		struct mmsghdr m;
		int n;
		memset(&m, 0, sizeof(m));
		m.msg_hdr.msg_iov = &iov;
		m.msg_hdr.msg_iovlen = 1;
		n = sendmmsg(fd, &m, 1, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		off += m.msg_len;
	}
	return 0;
}

int sandbox_write_result(int fd, const void *data, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t maplen, off = 0;
	struct stat st;
	char *copy;

	if (!len)
		return 0;
	if (fstat(fd, &st) < 0)
		return -1;
	if (S_ISSOCK(st.st_mode))
		return write_result_socket(fd, data, len);
	maplen = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
	/* vmsplice() hands the pipe references to these pages: they must never change again, so they are fresh
	 * ones, unmapped (not reused) afterwards.  The pipe keeps them alive until S has read them. */
	copy = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (copy == MAP_FAILED)
		return -1;
	memcpy(copy, data, len);
	while (off < len) {
		struct iovec iov = { .iov_base = copy + off, .iov_len = len - off };
		ssize_t n = vmsplice(fd, &iov, 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			poll(&pfd, 1, -1);
			continue;
		}
		if (n < 0) {
			int e = errno;
			munmap(copy, maplen);
			errno = e;
			return -1;
		}
		off += (size_t)n;
	}
	munmap(copy, maplen);
	return 0;
}

const char *const *sandbox_system_read_paths(void)
{
	static const char *const paths[] = {
		"/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/local/lib",	/* shared libraries, locales */
		"/etc/ld.so.cache",		/* how the dynamic loader finds them */
		"/etc/localtime", "/usr/share/zoneinfo",	/* time.localtime(), zoneinfo */
		"/dev/null", "/dev/urandom", "/dev/random",
		NULL,
	};
	return paths;
}

