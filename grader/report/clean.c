/*
 * clean.c - text the student controls, made safe to put in any report.
 *
 * Student output and exception text reach the reports as bytes that may
 * be anything.  report_clean() gives a string that every format can then
 * escape by its own rules alone: valid UTF-8, only characters XML 1.0
 * allows (no NUL, ESC or other C0 control but tab, newline and carriage
 * return; no C1 control, which terminals also obey; no U+FFFE/U+FFFF),
 * each other one replaced by U+FFFD, and at most 'max' bytes, cut at a
 * character boundary with a marker saying how much was left out.
 */
#include "report/report.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

/* The code point at p, in valid UTF-8 (utf8_sanitize's output), and its
 * length in bytes. */
static size_t decode(const unsigned char *p, uint32_t *cp)
{
	size_t len = p[0] < 0x80 ? 1 : p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
	uint32_t v = len == 1 ? p[0] : p[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++)
		v = (v << 6) | (p[i] & 0x3f);
	*cp = v;
	return len;
}

static bool allowed(uint32_t cp)
{
	if (cp < 0x20)
		return cp == '\t' || cp == '\n' || cp == '\r';
	if (cp >= 0x7f && cp <= 0x9f)
		return false;
	return cp != 0xfffe && cp != 0xffff;
}

char *report_clean_n(const char *s, size_t len, size_t max)
{
	char *valid = utf8_sanitize(s, len);  /* NUL and invalid sequences already U+FFFD */
	const unsigned char *p = (const unsigned char *)valid;
	struct buf b = BUF_INIT((size_t)1 << 40);
	size_t i = 0, n = strlen(valid);
	while (i < n) {
		uint32_t cp;
		size_t clen = decode(p + i, &cp);
		bool ok = allowed(cp);
		if (max && b.len + (ok ? clen : 3) > max)
			break;
		buf_append(&b, ok ? valid + i : replacement, ok ? clen : 3);
		i += clen;
	}
	if (i < n) {
		char marker[96];
		snprintf(marker, sizeof(marker), "\n[... cut: %zu more bytes]", n - i);
		buf_puts(&b, marker);
	}
	free(valid);
	return buf_detach(&b, NULL);
}

char *report_clean(const char *s, size_t max)
{
	return report_clean_n(s ? s : "", s ? strlen(s) : 0, max);
}
