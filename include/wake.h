/* wake.h: waking a service from zero: the daemon holds requests until a replica serves. */
#ifndef DOCKSCALE_WAKE_H
#define DOCKSCALE_WAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

#define WAKE_HEADERS_MAX (64 * 1024)   /* request line + headers */
#define WAKE_BODY_MAX (1024 * 1024)    /* README.md, "Waking from zero": else 413 */
#define WAKE_RESPONSE_MAX (16 * 1024 * 1024) /* a replica's answer relayed; else 502 */
#define WAKE_RETRY_AFTER_S 5

/* wake_http.c: pure. What the bytes read so far hold. */
enum wake_parse {
	WAKE_MORE = 0,    /* incomplete */
	WAKE_COMPLETE,    /* *total bytes are one whole request */
	WAKE_BAD,         /* 400 */
	WAKE_TOO_LARGE,   /* 413: body over WAKE_BODY_MAX */
	WAKE_NEED_LENGTH, /* 411: chunked bodies are not held */
	WAKE_HEADERS_LARGE, /* 431 */
};
enum wake_parse wake_http_parse(const char *buf, size_t len, size_t *hdr_len, size_t *total);
/* The headers (hdr_len bytes) ask for "Expect: 100-continue". */
bool wake_http_expects_continue(const char *req, size_t hdr_len);
/* The request with its Connection, Keep-Alive and Proxy-Connection headers replaced by
 * "Connection: close": the replica closes after its answer, which ends the relay. Malloc'd
 * (*outlen bytes) or NULL. */
char *wake_http_close(const char *req, size_t hdr_len, size_t total, size_t *outlen);

struct svc;
struct wake_conn;
struct buf;

/* A service's wake listener: owned and written by wake.c only (struct svc.wk). */
struct wake {
	int fd;                     /* listening; -1 off */
	struct loop_io io;
	char addr[64];              /* what fd is bound to */
	struct wake_conn *conns;    /* clients, held or being answered */
	size_t held;                /* requests complete and waiting for a replica */
	struct loop_timer tick;     /* while requests wait: replica ready? timed out? */
	int64_t woke_us;            /* the wake in progress began (loop_clock_us); 0 none */
	size_t rr;                  /* round robin over READY replicas */
	uint64_t wakes, served, rejected, timeouts;
	int64_t last_latency_ms;    /* first held request to its answer; -1 none yet */
};

void wake_init(struct svc *s);
void wake_fini(struct svc *s);
/* Start-up and reload: listen on the service's wake_listen (or stop listening). */
void wake_conf(struct svc *s);
/* /metrics lines and the status object of all services. */
void wake_metrics(struct buf *b, struct svc *const *svcs, size_t n);
struct cJSON;
struct cJSON *wake_status(const struct svc *s);

#endif
