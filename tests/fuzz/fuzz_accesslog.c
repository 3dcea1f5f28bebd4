/* fuzz_accesslog.c: libFuzzer target for the access log parser (accesslog_parse.c). On a
 * line it accepts: every field in its range, strings NUL terminated in their arrays, a
 * datagram one byte shorter or longer refused, and the line written again the way nginx
 * writes it (a reference writer here) parses to the same struct. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
ranges(const struct accesslog_line *l)
{
	if (l->ntries > ACCESSLOG_TRIES_MAX || l->ntries > l->tries_total ||
	    (l->tries_total <= ACCESSLOG_TRIES_MAX && l->ntries != l->tries_total))
		abort();
	if (l->status < 100 || l->status > 599 || !(l->request_s >= 0) ||
	    l->request_s > ACCESSLOG_TIME_MAX_S)
		abort();
	for (size_t i = 0; i < l->ntries; i++) {
		const struct accesslog_try *t = &l->tries[i];
		size_t n = strnlen(t->addr, sizeof(t->addr));

		if (n == 0 || n == sizeof(t->addr) || (i == 0 && t->redirected))
			abort();
		if (t->status != 0 && (t->status < 100 || t->status > 599))
			abort();
		if (t->upstream_s != -1 &&
		    !(t->upstream_s >= 0 && t->upstream_s <= ACCESSLOG_TIME_MAX_S))
			abort();
		if (t->no_live != (strchr(t->addr, ':') == NULL))
			abort();
	}
	if (memchr(l->uri, '\0', sizeof(l->uri)) == NULL ||
	    memchr(l->agent, '\0', sizeof(l->agent)) == NULL)
		abort();
	if ((l->uri_cut && strlen(l->uri) + 4 < sizeof(l->uri)) ||
	    (l->agent_cut && strlen(l->agent) + 4 < sizeof(l->agent)))
		abort(); /* a cut drops at most the 3 bytes of an incomplete sequence */
}

/* A string escaped as ngx_escape_json does. */
static size_t
json(char *dst, const char *s)
{
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c < 0x20) {
			const char *named = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" :
			    c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;

			if (named != NULL) {
				memcpy(dst + o, named, 2);
				o += 2;
			} else {
				o += (size_t)sprintf(dst + o, "\\u00%02X", c);
			}
		} else {
			dst[o++] = (char)c;
		}
	}
	return o;
}

static size_t
ms(char *dst, double s)
{
	long v = lround(s * 1000);

	return (size_t)sprintf(dst, "%ld.%03ld", v / 1000, v % 1000);
}

/* The line of l as nginx would send it. */
static size_t
render(char *b, const struct accesslog_line *l)
{
	size_t o = (size_t)sprintf(b, "<190>Jan  1 00:00:00 dockscale: dockscale1 %03d ",
	    l->status);

	o += ms(b + o, l->request_s);
	for (int field = 0; field < 3; field++) {
		b[o++] = ' ';
		b[o++] = '"';
		for (size_t i = 0; i < l->ntries; i++) {
			const struct accesslog_try *t = &l->tries[i];

			if (i > 0)
				o += (size_t)sprintf(b + o, t->redirected ? " : " : ", ");
			if (field == 0)
				o += (size_t)sprintf(b + o, "%s", t->addr);
			else if (field == 1 && t->status == 0)
				b[o++] = '-';
			else if (field == 1)
				o += (size_t)sprintf(b + o, "%d", t->status);
			else if (t->upstream_s == -1)
				b[o++] = '-';
			else
				o += ms(b + o, t->upstream_s);
		}
		b[o++] = '"';
	}
	o += (size_t)sprintf(b + o, " \"");
	o += json(b + o, l->uri);
	o += (size_t)sprintf(b + o, "\" \"");
	o += json(b + o, l->agent);
	b[o++] = '"';
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct accesslog_line l, again;
	char *buf;
	size_t n;

	if (accesslog_parse((const char *)data, size, &l) != 0)
		return 0;
	ranges(&l);
	if (size == 0 || accesslog_parse((const char *)data, size - 1, &again) != -1)
		abort();
	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '"';
	if (accesslog_parse(buf, size + 1, &again) != -1)
		abort();
	free(buf);
	/* What was cut or dropped cannot be written again. */
	if (l.uri_cut || l.agent_cut || l.ntries != l.tries_total)
		return 0;
	/* each byte of a string at most 6 when escaped; the rest is bounded */
	if ((buf = malloc(6 * (sizeof(l.uri) + sizeof(l.agent)) +
	                  ACCESSLOG_TRIES_MAX * (ACCESSLOG_ADDR_MAX + 32) + 256)) == NULL)
		return 0;
	n = render(buf, &l);
	if (accesslog_parse(buf, n, &again) != 0 || memcmp(&l, &again, sizeof(l)) != 0)
		abort();
	free(buf);
	return 0;
}
