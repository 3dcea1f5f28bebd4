/* wake_http.h: the wake listener's request framing (wake_http.c, pure): one HTTP/1.1
 * request, strict (RFC 9112; doc/waking.md, "Limits"). */
#ifndef DOCKSCALE_WAKE_HTTP_H
#define DOCKSCALE_WAKE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* doc/waking.md: what one request may hold. */
#define WAKE_HEADERS_MAX (64 * 1024)   /* request line + fields; else 431 */
#define WAKE_FIELDS_MAX 100            /* field lines; else 431 */
#define WAKE_BODY_MAX (1024 * 1024)    /* a body of up to 1 MiB is held; else 413 */

/* One request's framing, fed the bytes read so far each time. */
enum wake_parse {
	WAKE_MORE = 0,       /* incomplete */
	WAKE_COMPLETE,       /* wake_http_total() bytes are one whole request */
	WAKE_BAD,            /* 400 */
	WAKE_TOO_LARGE,      /* 413: body over WAKE_BODY_MAX */
	WAKE_NEED_LENGTH,    /* 411: Transfer-Encoding; bodies are held by Content-Length */
	WAKE_HEADERS_LARGE,  /* 431 */
	WAKE_EXPECTATION,    /* 417: an Expect other than 100-continue */
	WAKE_VERSION,        /* 505: HTTP/x.y other than 1.0 and 1.1 */
};

/* One field line of the head: offsets into the request's buffer, CRLF excluded. */
struct wake_field {
	uint32_t off, len, name_len;
};

struct wake_req {
	size_t pos;                /* head bytes examined (resumed here) */
	size_t line;               /* where the line being read starts */
	size_t start, start_len;   /* the request line */
	bool have_start;
	struct wake_field f[WAKE_FIELDS_MAX];
	size_t nf;
	size_t hdr_len;            /* the head with its empty line; 0 until it ended */
	uint64_t body;             /* Content-Length; 0 without one */
	bool have_len, chunked, http10, expect_continue;
	int hosts;
};

void wake_http_init(struct wake_req *q);
/* buf holds the len bytes read so far (the same buffer each time, grown): examines only
 * what is new. An error is final. */
enum wake_parse wake_http_feed(struct wake_req *q, const char *buf, size_t len);
/* Head + body, once the head has ended. */
size_t wake_http_total(const struct wake_req *q);
/* The head relayed to a replica: the request line and every field line exactly as
 * framed, but the hop-by-hop ones (Connection, Keep-Alive, TE, Upgrade, Expect ... and
 * those Connection names), then "Connection: close" and the empty line; the body
 * follows unchanged. Malloc'd (*outlen bytes) or NULL. */
char *wake_http_forward_head(const struct wake_req *q, const char *buf, size_t *outlen);

/* Of a request whose head has ended, pointers into buf: the request line's method and
 * target. */
void wake_http_start(const struct wake_req *q, const char *buf, const char **method,
    size_t *mlen, const char **target, size_t *tlen);
/* The value of the first field called name (any case), OWS trimmed; NULL: none. */
const char *wake_http_field(const struct wake_req *q, const char *buf, const char *name,
    size_t *vlen);
/* Does a field called name hold needle (any case) in its value? (Accept: text/html) */
bool wake_http_field_has(const struct wake_req *q, const char *buf, const char *name,
    const char *needle);

#endif
