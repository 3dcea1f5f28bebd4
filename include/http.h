/* http.h: the HTTP server (libmicrohttpd driven from the event loop). */
#ifndef DOCKSCALE_HTTP_H
#define DOCKSCALE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

#define HTTP_BODY_MAX (1024 * 1024) /* larger request bodies get 413 (SPEC §5) */

/* The handler is called first with the headers alone (headers_only, body NULL): a
 * response set then (status != 0) is sent at once and the body is never read; else
 * it is called again with the whole body. */
struct http_req {
	const char *method;
	const char *path;          /* without the query string; %00 stays escaped */
	const char *authorization; /* header values or NULL */
	const char *host;
	const char *origin;
	const char *content_type;
	bool headers_only;
	const char *body;          /* NUL-terminated; "" when none; NULL when headers_only */
	size_t body_len;
	bool too_big;              /* the body exceeds HTTP_BODY_MAX: answer 413 */
	void *conn;                /* opaque, for http_req_arg() */
	struct http *server;       /* opaque, for http_defer_begin() */
};

struct http_resp {
	int status;                /* 0 until a response is set */
	char *body;                /* malloc'd, owned by the server after the handler */
	size_t body_len;
	const char *content_type;  /* static string */
	const char *allow;         /* Allow header for 405, static string or NULL */
	const char *csp;           /* Content-Security-Policy, static; NULL: HTTP_CSP_NONE */
	unsigned retry_after;      /* Retry-After in seconds (503, 429); 0: none */
	bool close;                /* Connection: close (a refusal frees the slot at once) */
	struct http_defer *defer;  /* set by http_defer_begin: answered later */
};

/* Every answer carries X-Content-Type-Options: nosniff, X-Frame-Options: DENY,
 * Referrer-Policy: no-referrer, Cross-Origin-Resource-Policy: same-origin and this
 * policy unless the route sets its own (doc/api.md, "Status page"): JSON and text load
 * nothing and are framed by no one. */
#define HTTP_CSP_NONE "default-src 'none'; frame-ancestors 'none'"

/* The router: fill resp (http_resp_json/http_resp_error help). */
typedef void (*http_handler)(void *ctx, const struct http_req *req, struct http_resp *resp);

struct http;
struct http_defer;

/* Bind listen ("HOST:PORT") and hook into l. NULL on failure (logged). */
struct http *http_start(struct loop *l, const char *listen, http_handler h, void *ctx);
void http_stop(struct http *h);
/* The bound port (useful with port 0). */
unsigned http_port(const struct http *h);

/* A query argument of the request, or NULL. */
const char *http_req_arg(const struct http_req *req, const char *key);

/* Set a response; body copied. */
int http_resp_set(struct http_resp *r, int status, const char *ctype, const char *body, size_t len);
/* Take ownership of a malloc'd body. */
void http_resp_take(struct http_resp *r, int status, const char *ctype, char *body, size_t len);
/* {"error": msg} with a status. */
void http_resp_error(struct http_resp *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* http_defer.c: a request answered later (a long poll), without blocking the loop.
 * The handler calls http_defer_begin instead of setting a response: the connection is
 * suspended (no deadline of the server's: the owner bounds the wait) until the owner
 * calls http_defer_answer exactly once. If the request ends first (its client hangs up,
 * or shutdown), gone(arg) tells the owner to forget it. NULL when refused, with resp
 * set to the answer: HTTP_DEFER_MAX requests wait already (503), the client's address
 * has HTTP_DEFER_PER_ADDR waiting (429), or out of memory (500). doc/api.md, "API
 * limits". */
#define HTTP_DEFER_MAX 64U
#define HTTP_DEFER_PER_ADDR 16U
typedef void (*http_defer_gone)(void *arg);
struct http_defer *http_defer_begin(const struct http_req *req, struct http_resp *resp,
    http_defer_gone gone, void *arg);
/* Answer a deferred request; resp's body is taken. d is invalid afterwards. */
void http_defer_answer(struct http_defer *d, struct http_resp *resp);

/* What /metrics shows of the deferred requests. */
struct http_defer_stats {
	size_t waiting;            /* suspended now */
	uint64_t refused_busy;     /* 503: HTTP_DEFER_MAX were waiting */
	uint64_t refused_addr;     /* 429: the address had HTTP_DEFER_PER_ADDR waiting */
	uint64_t abandoned;        /* released because the client hung up */
};
void http_defer_stats(const struct http *h, struct http_defer_stats *out);

#endif
