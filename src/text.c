/* text.c: bounded messages, safe to log and to answer with, from untrusted strings. */
#include "text.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

size_t
text_utf8_seq(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (n == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* U+D800..U+DFFF */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

void
text_vformat(char *dst, size_t n, const char *fmt, va_list ap)
{
	int r;
	size_t len;

	if (dst == NULL || n == 0)
		return;
	r = vsnprintf(dst, n, fmt, ap);
	if (r < 0)
		dst[0] = '\0';
	else if ((size_t)r >= n && n > 4)
		memcpy(dst + n - 4, "...", 4);
	/* Messages end up in JSON answers, which must be UTF-8: a byte of an argument that
	 * is not (a percent-decoded path, a peer's string), or a character the cut split,
	 * becomes '?'. */
	len = strlen(dst);
	for (size_t i = 0; i < len;) {
		size_t k = text_utf8_seq(dst + i, len - i);

		if (k == 0) {
			dst[i] = '?';
			k = 1;
		}
		i += k;
	}
}

void
text_format(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	text_vformat(dst, n, fmt, ap);
	va_end(ap);
}

const char *
text_echo(char *dst, size_t n, const char *src, const char *drop)
{
	size_t len = strlen(src), keep = 0;
	bool cut = false;

	if (n == 0)
		return dst;
	if (len < n) {
		keep = len;
	} else if (n >= 4) {
		keep = n - 4;
		cut = true;
	}
	for (size_t i = 0; i < keep; i++) {
		unsigned char c = (unsigned char)src[i];

		bool ok = c >= 0x20 && c < 0x7f && (drop == NULL || strchr(drop, c) == NULL);

		dst[i] = ok ? (char)c : '?';
	}
	if (cut)
		memcpy(dst + keep, "...", 4);
	else
		dst[keep] = '\0';
	return dst;
}
