/* wake_http.c: the HTTP/1.x framing the wake listener needs: where a request ends, and
 * the same request with "Connection: close". Pure. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wake.h"

/* Header name at line (len bytes, no CRLF) is name, case-insensitive. */
static bool
is_header(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

static const char *
value_of(const char *line, size_t len, size_t *vlen)
{
	const char *c = memchr(line, ':', len), *e = line + len;

	for (c++; c < e && (*c == ' ' || *c == '\t'); c++)
		;
	while (e > c && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*vlen = (size_t)(e - c);
	return c;
}

static const char *
find_crlfcrlf(const char *buf, size_t len)
{
	for (size_t i = 3; i < len; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r')
			return buf + i + 1;
	return NULL;
}

enum wake_parse
wake_http_parse(const char *buf, size_t len, size_t *hdr_len, size_t *total)
{
	const char *end = find_crlfcrlf(buf, len < WAKE_HEADERS_MAX ? len : WAKE_HEADERS_MAX);
	const char *p, *nl;
	unsigned long long body = 0;
	bool have_len = false;

	if (end == NULL)
		return len >= WAKE_HEADERS_MAX ? WAKE_HEADERS_LARGE : WAKE_MORE;
	*hdr_len = (size_t)(end - buf);
	/* request line: METHOD SP TARGET SP HTTP/1.x */
	nl = memchr(buf, '\r', *hdr_len);
	if (nl == NULL || nl == buf || memchr(buf, ' ', (size_t)(nl - buf)) == NULL ||
	    (size_t)(nl - buf) < 14 || memcmp(nl - 8, "HTTP/1.", 7) != 0)
		return WAKE_BAD;
	for (p = nl + 2; p < end - 2; p = nl + 2) {
		size_t ll, vl;
		const char *v;

		nl = memchr(p, '\r', (size_t)(end - p));
		if (nl == NULL || nl[1] != '\n')
			return WAKE_BAD;
		ll = (size_t)(nl - p);
		if (ll == 0 || memchr(p, ':', ll) == NULL || p[0] == ' ' || p[0] == '\t')
			return WAKE_BAD; /* no obsolete line folding */
		if (is_header(p, ll, "Transfer-Encoding"))
			return WAKE_NEED_LENGTH;
		if (is_header(p, ll, "Content-Length")) {
			char num[24], *e;

			v = value_of(p, ll, &vl);
			if (vl == 0 || vl >= sizeof(num) || have_len)
				return WAKE_BAD;
			memcpy(num, v, vl);
			num[vl] = '\0';
			if (!isdigit((unsigned char)num[0]))
				return WAKE_BAD;
			body = strtoull(num, &e, 10);
			if (*e != '\0')
				return WAKE_BAD;
			have_len = true;
		}
	}
	if (body > WAKE_BODY_MAX)
		return WAKE_TOO_LARGE;
	*total = *hdr_len + (size_t)body;
	return len >= *total ? WAKE_COMPLETE : WAKE_MORE;
}

bool
wake_http_expects_continue(const char *req, size_t hdr_len)
{
	const char *p = memchr(req, '\n', hdr_len), *end = req + hdr_len;

	while (p != NULL && ++p < end) {
		const char *nl = memchr(p, '\r', (size_t)(end - p));
		size_t ll = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p), vl;

		if (is_header(p, ll, "Expect")) {
			const char *v = value_of(p, ll, &vl);

			return vl == 12 && strncasecmp(v, "100-continue", 12) == 0;
		}
		p = memchr(p, '\n', (size_t)(end - p));
	}
	return false;
}

char *
wake_http_close(const char *req, size_t hdr_len, size_t total, size_t *outlen)
{
	static const char close_hdr[19] = "Connection: close\r\n"; /* no NUL: bytes */
	char *out = malloc(total + sizeof(close_hdr) + 1);
	const char *p = req, *end = req + hdr_len - 2; /* before the final CRLF */
	size_t o = 0;

	if (out == NULL)
		return NULL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl != NULL ? (size_t)(nl + 1 - p) : (size_t)(end - p);

		if (p == req || !(is_header(p, ll, "Connection") || is_header(p, ll, "Keep-Alive") ||
		        is_header(p, ll, "Proxy-Connection"))) {
			memcpy(out + o, p, ll);
			o += ll;
		}
		p += ll;
	}
	memcpy(out + o, close_hdr, sizeof(close_hdr));
	o += sizeof(close_hdr);
	out[o++] = '\r';
	out[o++] = '\n';
	memcpy(out + o, req + hdr_len, total - hdr_len);
	o += total - hdr_len;
	*outlen = o;
	return out;
}
