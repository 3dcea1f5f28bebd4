/* prom.h: Prometheus instant queries (PromQL returning one number). */
#ifndef DOCKSCALE_PROM_H
#define DOCKSCALE_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "httpc.h"

/* The outcome of one query. */
struct prom_value {
	bool ok;            /* a finite number came back */
	double value;       /* NaN unless ok */
	char error[256];    /* why not ok: transport, HTTP status, errorType: error,
	                     * empty result, NaN/Inf, more than one series ... */
};

/* Parse an /api/v1/query response body (any HTTP status: 4xx/5xx bodies carry
 * errorType and error). Pure. query is only used in messages. Scalar results and vectors
 * with exactly one sample are values; empty vector (or null result) / NaN / +-Inf are
 * missing data (ok = false); more than one series is an error naming the query; matrix
 * and string results are errors. Always fills out. Returns 0 when ok, -1 otherwise. */
int prom_parse(const char *body, size_t len, long http_status, const char *query,
    struct prom_value *out);

/* The largest answer read. One series with its labels is a few hundred bytes; the
 * transfer of anything bigger is cut there, before it is parsed: a query matching 100k
 * series (5 MB) would otherwise hold the event loop for most of a second only to be
 * refused as "more than one series" (doc/scaling.md, "The metric"). */
#define PROM_ANSWER_MAX (64 * 1024)

typedef void (*prom_cb)(void *arg, const struct prom_value *v);

/* POST url/api/v1/query (form-encoded query=...&timeout=...) through hc with
 * timeout_ms; cb runs exactly once (also on transport errors), never from inside this
 * call. Returns the transfer (for httpc_cancel by the caller via prom_cancel) or NULL
 * when it could not start (cb not called). */
struct prom_query;
struct prom_query *prom_query(struct httpc *hc, const char *url, const char *query,
    int64_t timeout_ms, prom_cb cb, void *arg);
void prom_cancel(struct httpc *hc, struct prom_query *q);

#endif
