/* fuzz_wake.c: libFuzzer target for the wake listener's framing (wake_http.c), with a
 * differential property: what the listener relays, framed by a strict reference parser
 * written separately here, is exactly one request carrying the same body. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wake_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ref {
	size_t head;       /* bytes up to and with the empty line */
	size_t body;       /* Content-Length */
	int lengths, chunked, connection_close, hop;
};

static bool
tchar(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool
is_name(const uint8_t *p, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp((const char *)p, name, n) == 0;
}

/* RFC 9112 framing of one request at the start of b, the plain way: whole lines ending
 * in CRLF, no CR or LF anywhere else in the head, "name:" fields, the body by its one
 * Content-Length. 0 and *r filled, or -1. */
static int
ref_frame(const uint8_t *b, size_t n, struct ref *r)
{
	size_t i = 0, line = 0;

	memset(r, 0, sizeof(*r));
	for (;;) {
		size_t j = i, len;

		while (j < n && b[j] != '\r' && b[j] != '\n')
			j++;
		if (j + 1 >= n || b[j] != '\r' || b[j + 1] != '\n')
			return -1;
		len = j - i;
		if (line == 0 && len == 0) {
			i = j + 2; /* an empty line before the request line */
			continue;
		}
		if (line++ == 0) {
			/* method SP target SP HTTP/1.x */
			size_t sp = 0;

			for (size_t k = i; k < j; k++)
				sp += b[k] == ' ';
			if (sp != 2 || len < 12 || memcmp(b + j - 9, " HTTP/1.", 8) != 0 || b[i] == ' ')
				return -1;
		} else if (len == 0) {
			r->head = j + 2;
			break;
		} else {
			size_t k = i, v;

			while (k < j && tchar(b[k]))
				k++;
			if (k == i || k == j || b[k] != ':')
				return -1;
			for (v = k + 1; v < j && (b[v] == ' ' || b[v] == '\t'); v++)
				;
			if (is_name(b + i, k - i, "Content-Length")) {
				size_t e = j, val = 0;

				while (e > v && (b[e - 1] == ' ' || b[e - 1] == '\t'))
					e--;
				if (e == v)
					return -1;
				for (size_t d = v; d < e; d++) {
					if (b[d] < '0' || b[d] > '9' || val > WAKE_BODY_MAX)
						return -1;
					val = val * 10 + (size_t)(b[d] - '0');
				}
				r->body = val;
				r->lengths++;
			} else if (is_name(b + i, k - i, "Transfer-Encoding")) {
				r->chunked++;
			} else if (is_name(b + i, k - i, "Connection")) {
				if (j - v == 5 && strncasecmp((const char *)b + v, "close", 5) == 0)
					r->connection_close++;
				else
					r->hop++;
			} else if (is_name(b + i, k - i, "Keep-Alive") || is_name(b + i, k - i, "TE") ||
			    is_name(b + i, k - i, "Upgrade") || is_name(b + i, k - i, "Expect") ||
			    is_name(b + i, k - i, "Proxy-Connection")) {
				r->hop++;
			}
		}
		i = j + 2;
	}
	if (r->lengths > 1 || r->chunked > 0 || r->body > n - r->head)
		return -1;
	return 0;
}

/* The verdict on data fed whole and fed in the chunks the first byte picks. */
static enum wake_parse
feed(struct wake_req *q, const uint8_t *data, size_t size, unsigned step)
{
	enum wake_parse p = WAKE_MORE;

	wake_http_init(q);
	if (step == 0)
		return wake_http_feed(q, (const char *)data, size);
	for (size_t n = step < size ? step : size; p == WAKE_MORE; n += step) {
		if (n > size)
			n = size;
		p = wake_http_feed(q, (const char *)data, n);
		if (n == size)
			break;
	}
	return p;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wake_req *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b)), *c = malloc(sizeof(*c));
	enum wake_parse pa, pb;
	unsigned step;
	size_t total, outlen, fwdlen;
	char *out = NULL, *fwd = NULL;
	struct ref r;

	if (a == NULL || b == NULL || c == NULL || size < 1)
		goto out;
	step = data[0] % 17 + 1;
	data++;
	size--;
	pa = feed(a, data, size, 0);
	pb = feed(b, data, size, step);
	if (pa != pb)
		abort(); /* how the bytes came must not matter */
	if (pa != WAKE_COMPLETE)
		goto out;
	total = wake_http_total(a);
	if (total != wake_http_total(b) || total > size)
		abort();
	/* What was taken is one request by the reference's reading too, with that body. */
	if (ref_frame(data, total, &r) == -1 || r.head != a->hdr_len || r.head + r.body != total)
		abort();
	/* Who woke it (wake.c reads these of a whole request): the request line's method and
	 * target, and a field's value, lie within the head. */
	{
		const char *m, *t, *v, *base = (const char *)data;
		size_t ml, tl, vl;

		wake_http_start(a, base, &m, &ml, &t, &tl);
		if (ml == 0 || tl == 0 || m != base + a->start || t + tl > base + a->hdr_len)
			abort();
		v = wake_http_field(a, base, "User-Agent", &vl);
		if (v != NULL && (v < base || v + vl > base + a->hdr_len))
			abort();
		(void)wake_http_field_has(a, base, "Accept", "text/html");
	}
	/* What is relayed: exactly one request, no hop-by-hop field but "Connection: close",
	 * the same body, nothing after it. */
	out = wake_http_forward_head(a, (const char *)data, &outlen);
	if (out == NULL)
		goto out;
	fwdlen = outlen + (size_t)a->body;
	if ((fwd = malloc(fwdlen + 1)) == NULL)
		goto out;
	memcpy(fwd, out, outlen);
	memcpy(fwd + outlen, data + a->hdr_len, (size_t)a->body);
	if (ref_frame((const uint8_t *)fwd, fwdlen, &r) == -1 || r.head != outlen ||
	    r.body != a->body || r.head + r.body != fwdlen || r.connection_close != 1 ||
	    r.hop != 0)
		abort();
	if (memcmp(fwd + r.head, data + a->hdr_len, r.body) != 0)
		abort();
	/* ... and the listener frames its own output the same way (unless the field it adds
	 * takes the head past the listener's own limits). */
	wake_http_init(c);
	if (a->nf < WAKE_FIELDS_MAX && outlen <= WAKE_HEADERS_MAX &&
	    (wake_http_feed(c, fwd, fwdlen) != WAKE_COMPLETE || wake_http_total(c) != fwdlen))
		abort();
out:
	free(fwd);
	free(out);
	free(a);
	free(b);
	free(c);
	return 0;
}
