/* httpc.h: asynchronous HTTP client: libcurl's multi interface driven by the loop. */
#ifndef DOCKSCALE_HTTPC_H
#define DOCKSCALE_HTTPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

struct httpc;
struct httpc_xfer;

struct httpc_result {
	int ok;                 /* 1: a complete HTTP response arrived (any status) */
	long status;            /* HTTP status, 0 if none */
	const char *body;       /* NUL-terminated response body ("" if none); valid
	                         * only during the callback */
	size_t body_len;
	const char *error;      /* transport error text when !ok (timeout, refused, ...);
	                         * NULL when ok */
	int timed_out;          /* 1 when the transfer hit its timeout */
	int too_large;          /* 1 when the body passed the request's max_body */
	const char *api_version; /* value of an "API-Version" response header, or NULL */
	int64_t elapsed_ms;
};

/* Called once per transfer (never after httpc_cancel, never from inside
 * httpc_start). The transfer is already finished and freed when it runs; it may start
 * new transfers and cancel others. A struct httpc_xfer pointer must never be used
 * after its done callback ran or after httpc_cancel. */
typedef void (*httpc_done_cb)(void *arg, const struct httpc_result *res);
/* Streaming: called for each chunk of the body as it arrives (the body is then not
 * accumulated). Return 0 to continue, -1 to abort the transfer (done then runs with
 * ok=0, error "aborted"). It runs inside libcurl: httpc_start and httpc_cancel work
 * (they take effect when libcurl returns), httpc_free must not be called. */
typedef int (*httpc_data_cb)(void *arg, const char *data, size_t len);

struct httpc_req {
	const char *method;       /* "GET", "POST", "DELETE", ... */
	const char *url;          /* for unix sockets: http://localhost/v1.41/... */
	const char *unix_socket;  /* NULL: TCP */
	const char *body;         /* request body or NULL */
	size_t body_len;
	const char *content_type; /* e.g. "application/json"; NULL = none */
	const char *bearer;       /* Authorization: Bearer ...; NULL = none */
	const char *header_name;  /* one more header (e.g. X-Registry-Auth); NULL = none */
	const char *header_value;
	int64_t timeout_ms;       /* whole transfer; 0 = none (event streams) */
	int64_t connect_timeout_ms; /* 0 = min(timeout, 10s) */
	size_t max_body;          /* larger responses fail; 0 = 16 MiB */
	bool no_reuse;            /* close the connection after the answer (not cached) */
	bool secret_url;          /* the url holds a secret (a webhook's path, notify.c): no
	                           * log line names it */
	httpc_done_cb done;
	httpc_data_cb data;       /* optional streaming */
	void *arg;
};

struct httpc *httpc_new(struct loop *l);
/* Cancels every transfer silently and frees the client. Not from a callback; call it
 * before loop_fini. */
void httpc_free(struct httpc *c);

/* Start a transfer; everything in req is copied. NULL on failure (logged) — then
 * done is NOT called. */
struct httpc_xfer *httpc_start(struct httpc *c, const struct httpc_req *req);
/* Abort a transfer; its done callback will not run. */
void httpc_cancel(struct httpc *c, struct httpc_xfer *x);
/* Transfers in flight. */
size_t httpc_active(const struct httpc *c);

/* URL-encode s into out (size outlen): everything but RFC 3986 unreserved characters
 * is percent-encoded. Returns the encoded length, -1 on truncation. */
int httpc_escape(const char *s, char *out, size_t outlen);

#endif
