/* text.c: bounded messages, safe to log and to answer with, from untrusted strings. */
#include "text.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void
text_vformat(char *dst, size_t n, const char *fmt, va_list ap)
{
	int r;

	if (dst == NULL || n == 0)
		return;
	r = vsnprintf(dst, n, fmt, ap);
	if (r < 0)
		dst[0] = '\0';
	else if ((size_t)r >= n && n > 4)
		memcpy(dst + n - 4, "...", 4);
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
