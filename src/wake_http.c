/* wake_http.c: the wake listener's one HTTP/1.1 request framing, strict (RFC 9112) and
 * incremental, and the request as it is relayed, rebuilt from the lines it framed. Pure. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wake_http.h"

/* tchar of RFC 9110 5.6.2: what a method and a field name are made of. */
static bool
is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* A field value's bytes: VCHAR, SP, HTAB and obs-text; never NUL, CR, LF or other CTLs. */
static bool
is_vbyte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool
name_is(const char *p, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(p, name, n) == 0;
}

/* The value of field f, OWS trimmed on both sides. */
static const char *
field_value(const char *buf, const struct wake_field *f, size_t *vlen)
{
	const char *v = buf + f->off + f->name_len + 1, *e = buf + f->off + f->len;

	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*vlen = (size_t)(e - v);
	return v;
}

/* method SP request-target SP HTTP-version, exactly one SP each. */
static enum wake_parse
request_line(struct wake_req *q, const char *p, size_t n)
{
	size_t i = 0, t;

	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	if (i == 0 || i == n || p[i] != ' ')
		return WAKE_BAD;
	t = ++i;
	while (i < n && (unsigned char)p[i] > 0x20 && (unsigned char)p[i] < 0x7f)
		i++;
	if (i == t || i == n || p[i] != ' ')
		return WAKE_BAD;
	i++;
	if (n - i != 8 || memcmp(p + i, "HTTP/", 5) != 0 || p[i + 5] < '0' || p[i + 5] > '9' ||
	    p[i + 6] != '.' || p[i + 7] < '0' || p[i + 7] > '9')
		return WAKE_BAD;
	if (p[i + 5] != '1' || (p[i + 7] != '0' && p[i + 7] != '1'))
		return WAKE_VERSION;
	q->http10 = p[i + 7] == '0';
	return WAKE_MORE;
}

/* Content-Length: 1*DIGIT; once. Not a list, not signed, no space inside. */
static enum wake_parse
content_length(struct wake_req *q, const char *v, size_t vl)
{
	uint64_t n = 0;

	if (q->have_len || vl == 0)
		return WAKE_BAD;
	for (size_t i = 0; i < vl; i++) {
		if (v[i] < '0' || v[i] > '9')
			return WAKE_BAD;
		n = n * 10 + (uint64_t)(v[i] - '0');
		if (n > WAKE_BODY_MAX)
			n = WAKE_BODY_MAX + 1; /* stays "too large" however many digits follow */
	}
	q->have_len = true;
	q->body = n;
	return WAKE_MORE;
}

/* name ":" OWS value OWS: no space before the colon, no obs-fold. */
static enum wake_parse
field_line(struct wake_req *q, const char *buf, size_t off, size_t n)
{
	const char *p = buf + off;
	struct wake_field *f;
	size_t i = 0, vl;
	const char *v;

	if (p[0] == ' ' || p[0] == '\t')
		return WAKE_BAD; /* obs-fold */
	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	if (i == 0 || i == n || p[i] != ':')
		return WAKE_BAD;
	for (size_t j = i + 1; j < n; j++)
		if (!is_vbyte((unsigned char)p[j]))
			return WAKE_BAD;
	if (q->nf == WAKE_FIELDS_MAX)
		return WAKE_HEADERS_LARGE;
	f = &q->f[q->nf++];
	f->off = (uint32_t)off;
	f->len = (uint32_t)n;
	f->name_len = (uint32_t)i;
	v = field_value(buf, f, &vl);
	if (name_is(p, i, "Content-Length"))
		return content_length(q, v, vl);
	if (name_is(p, i, "Transfer-Encoding"))
		q->chunked = true;
	else if (name_is(p, i, "Host") && q->hosts++ > 0)
		return WAKE_BAD;
	else if (name_is(p, i, "Expect")) {
		if (vl != 12 || strncasecmp(v, "100-continue", 12) != 0)
			return WAKE_EXPECTATION;
		q->expect_continue = true;
	}
	return WAKE_MORE;
}

/* The head has ended: what it means as a whole. */
static enum wake_parse
head_done(struct wake_req *q)
{
	if (q->chunked)
		return q->have_len ? WAKE_BAD : WAKE_NEED_LENGTH;
	if (!q->http10 && q->hosts != 1)
		return WAKE_BAD;
	if (q->body > WAKE_BODY_MAX)
		return WAKE_TOO_LARGE;
	if (q->http10)
		q->expect_continue = false; /* RFC 9110 10.1.1: ignored from HTTP/1.0 */
	return WAKE_MORE;
}

void
wake_http_init(struct wake_req *q)
{
	memset(q, 0, sizeof(*q));
}

enum wake_parse
wake_http_feed(struct wake_req *q, const char *buf, size_t len)
{
	if (q->hdr_len != 0)
		return len >= wake_http_total(q) ? WAKE_COMPLETE : WAKE_MORE;
	while (q->pos < len) {
		const char *p = buf + q->pos;
		const char *cr = memchr(p, '\r', len - q->pos), *lf;
		size_t end, n;
		enum wake_parse r;

		/* A bare LF ends nothing here: it is refused, as is a CR not followed by LF. */
		lf = memchr(p, '\n', (size_t)((cr != NULL ? cr : buf + len) - p));
		if (lf != NULL)
			return WAKE_BAD;
		if (cr == NULL) {
			q->pos = len;
			break;
		}
		end = (size_t)(cr - buf);
		if (end + 1 >= len) {
			q->pos = end; /* the LF is still to come: look at the CR again then */
			break;
		}
		if (buf[end + 1] != '\n')
			return WAKE_BAD;
		n = end - q->line;
		q->pos = end + 2;
		if (q->pos > WAKE_HEADERS_MAX)
			return WAKE_HEADERS_LARGE;
		if (!q->have_start) {
			/* RFC 9112 2.2: empty lines before the request line are ignored. */
			if (n != 0) {
				if ((r = request_line(q, buf + q->line, n)) != WAKE_MORE)
					return r;
				q->start = q->line;
				q->start_len = n;
				q->have_start = true;
			}
		} else if (n == 0) {
			q->hdr_len = q->pos;
			if ((r = head_done(q)) != WAKE_MORE)
				return r;
			return len >= wake_http_total(q) ? WAKE_COMPLETE : WAKE_MORE;
		} else if ((r = field_line(q, buf, q->line, n)) != WAKE_MORE) {
			return r;
		}
		q->line = q->pos;
	}
	return q->pos >= WAKE_HEADERS_MAX ? WAKE_HEADERS_LARGE : WAKE_MORE;
}

size_t
wake_http_total(const struct wake_req *q)
{
	return q->hdr_len + (size_t)q->body;
}

/* Is name (n bytes) one of the tokens of the comma-separated list v (vl bytes)? */
static bool
list_has(const char *v, size_t vl, const char *name, size_t n)
{
	const char *e = v + vl;

	while (v < e) {
		const char *t = v, *te;

		while (v < e && *v != ',')
			v++;
		for (te = v; te > t && (te[-1] == ' ' || te[-1] == '\t'); te--)
			;
		while (t < te && (*t == ' ' || *t == '\t'))
			t++;
		if ((size_t)(te - t) == n && strncasecmp(t, name, n) == 0)
			return true;
		if (v < e)
			v++;
	}
	return false;
}

/* Does field f name a hop-by-hop field: a standard one, or one the request's own
 * Connection field lists (RFC 9110 7.6.1)? */
static bool
hop_by_hop(const struct wake_req *q, const char *buf, const struct wake_field *f)
{
	static const char *const fixed[] = { "Connection", "Keep-Alive", "Proxy-Connection",
		"TE", "Upgrade", "Expect", "HTTP2-Settings", "Trailer" };
	const char *name = buf + f->off;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (name_is(name, f->name_len, fixed[i]))
			return true;
	/* What frames the request is never the client's to drop: without its length the
	 * body would reach the replica as a second request. */
	if (name_is(name, f->name_len, "Content-Length") || name_is(name, f->name_len, "Host"))
		return false;
	for (size_t i = 0; i < q->nf; i++) {
		const struct wake_field *c = &q->f[i];
		const char *v;
		size_t vl;

		if (!name_is(buf + c->off, c->name_len, "Connection"))
			continue;
		v = field_value(buf, c, &vl);
		if (list_has(v, vl, name, f->name_len))
			return true;
	}
	return false;
}

char *
wake_http_forward_head(const struct wake_req *q, const char *buf, size_t *outlen)
{
	static const char close_hdr[] = "Connection: close\r\n\r\n";
	size_t cap = q->start_len + 2 + sizeof(close_hdr), o = 0;
	char *out;

	for (size_t i = 0; i < q->nf; i++)
		cap += (size_t)q->f[i].len + 2;
	if ((out = malloc(cap)) == NULL)
		return NULL;
	memcpy(out, buf + q->start, q->start_len);
	o = q->start_len;
	out[o++] = '\r';
	out[o++] = '\n';
	for (size_t i = 0; i < q->nf; i++) {
		const struct wake_field *f = &q->f[i];

		if (hop_by_hop(q, buf, f))
			continue;
		memcpy(out + o, buf + f->off, f->len);
		o += f->len;
		out[o++] = '\r';
		out[o++] = '\n';
	}
	memcpy(out + o, close_hdr, sizeof(close_hdr) - 1);
	o += sizeof(close_hdr) - 1;
	*outlen = o;
	return out;
}

void
wake_http_start(const struct wake_req *q, const char *buf, const char **method,
    size_t *mlen, const char **target, size_t *tlen)
{
	const char *p = buf + q->start, *sp = memchr(p, ' ', q->start_len), *sp2;

	/* request_line() let only "METHOD SP TARGET SP VERSION" through */
	if (!q->have_start || sp == NULL) {
		*method = *target = "";
		*mlen = *tlen = 0;
		return;
	}
	sp2 = memchr(sp + 1, ' ', q->start_len - (size_t)(sp + 1 - p));
	*method = p;
	*mlen = (size_t)(sp - p);
	*target = sp + 1;
	*tlen = sp2 != NULL ? (size_t)(sp2 - sp - 1) : 0;
}

const char *
wake_http_field(const struct wake_req *q, const char *buf, const char *name, size_t *vlen)
{
	for (size_t i = 0; i < q->nf; i++)
		if (name_is(buf + q->f[i].off, q->f[i].name_len, name))
			return field_value(buf, &q->f[i], vlen);
	*vlen = 0;
	return NULL;
}

bool
wake_http_field_has(const struct wake_req *q, const char *buf, const char *name,
    const char *needle)
{
	size_t nl = strlen(needle);

	for (size_t i = 0; i < q->nf; i++) {
		const char *v;
		size_t vl;

		if (!name_is(buf + q->f[i].off, q->f[i].name_len, name))
			continue;
		v = field_value(buf, &q->f[i], &vl);
		for (size_t j = 0; j + nl <= vl; j++)
			if (strncasecmp(v + j, needle, nl) == 0)
				return true;
	}
	return false;
}
