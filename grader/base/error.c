#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int vfail(char *err, size_t errlen, int errnum, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static int vfail(char *err, size_t errlen, int errnum, const char *fmt, va_list ap)
{
	if (!err || !errlen)
		return -1;
	int n = vsnprintf(err, errlen, fmt, ap);
	if (errnum && n >= 0 && (size_t)n < errlen)
		snprintf(err + n, errlen - (size_t)n, ": %s", strerror(errnum));
	return -1;
}

int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, errlen, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int fail_errno(char *err, size_t errlen, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, errlen, errnum, fmt, ap);
	va_end(ap);
	return -1;
}
