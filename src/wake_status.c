/* wake_status.c: what the wake listeners report: /metrics lines and the status object. */
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "dockscaled.h"
#include "service.h"
#include "wake.h"
#include "wake_int.h"

const char *
wake_refusal_name(enum wake_refusal r)
{
	static const char *const names[WAKE_REFUSALS] = {
		[WAKE_R_QUEUE] = "queue_full", [WAKE_R_TIMEOUT] = "wake_timeout",
		[WAKE_R_MEMORY] = "memory", [WAKE_R_ADDRESS] = "per_address",
		[WAKE_R_BAD] = "bad_request", [WAKE_R_TOO_LARGE] = "too_large",
		[WAKE_R_LENGTH] = "length_required", [WAKE_R_SLOW] = "request_timeout",
		[WAKE_R_UPSTREAM] = "upstream", [WAKE_R_SEND] = "send_timeout",
		[WAKE_R_GONE] = "client_gone",
	};

	return r < WAKE_REFUSALS ? names[r] : "?";
}

/* One gauge or counter line per service that listens. */
static void
per_service(struct buf *b, const struct dsd *d, const char *name, const char *type,
    const char *help, uint64_t (*value)(const struct wake *w))
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	for (size_t i = 0; i < d->nsvcs; i++)
		if (wake_of(d->svcs[i])->fd >= 0)
			buf_printf(b, "%s{service=\"%s\"} %llu\n", name, d->svcs[i]->name,
			    (unsigned long long)value(wake_of(d->svcs[i])));
}

static uint64_t
v_wakes(const struct wake *w)
{
	return w->wakes;
}

static uint64_t
v_held(const struct wake *w)
{
	return w->held;
}

static uint64_t
v_relaying(const struct wake *w)
{
	return w->relaying;
}

static uint64_t
v_conns(const struct wake *w)
{
	return w->nconns;
}

static uint64_t
v_rejected(const struct wake *w)
{
	return w->refused[WAKE_R_QUEUE] + w->refused[WAKE_R_TIMEOUT];
}

void
wake_metrics(struct buf *b, const struct dsd *d)
{
	const struct wake_pool *p = d->wake;

	per_service(b, d, "dockscale_wakes_total", "counter", "Wakes from zero by a request.",
	    v_wakes);
	per_service(b, d, "dockscale_wake_held_requests", "gauge",
	    "Requests held until a replica serves.", v_held);
	per_service(b, d, "dockscale_wake_relaying_requests", "gauge",
	    "Requests at a replica, or its answer on its way to the client.", v_relaying);
	per_service(b, d, "dockscale_wake_connections", "gauge",
	    "Open connections of the wake listener.", v_conns);
	buf_printf(b, "# HELP dockscale_wake_latency_seconds_last The last wake: first held "
	    "request to its answer.\n# TYPE dockscale_wake_latency_seconds_last gauge\n");
	for (size_t i = 0; i < d->nsvcs; i++)
		if (wake_of(d->svcs[i])->fd >= 0 && wake_of(d->svcs[i])->last_latency_ms >= 0)
			buf_printf(b, "dockscale_wake_latency_seconds_last{service=\"%s\"} %.3f\n",
			    d->svcs[i]->name, (double)wake_of(d->svcs[i])->last_latency_ms / 1000.0);
	per_service(b, d, "dockscale_wake_rejected_total", "counter",
	    "Requests answered 503 at the wake listener (queue full or wake_timeout).",
	    v_rejected);
	buf_printf(b, "# HELP dockscale_wake_refused_total Wake connections that ended without "
	    "the replica's answer, by reason.\n# TYPE dockscale_wake_refused_total counter\n");
	for (size_t i = 0; i < d->nsvcs; i++) {
		const struct wake *w = wake_of(d->svcs[i]);

		if (w->fd < 0)
			continue;
		for (int r = 0; r < WAKE_REFUSALS; r++)
			buf_printf(b, "dockscale_wake_refused_total{service=\"%s\",reason=\"%s\"} "
			    "%llu\n", d->svcs[i]->name, wake_refusal_name((enum wake_refusal)r),
			    (unsigned long long)w->refused[r]);
	}
	buf_printf(b, "# HELP dockscale_wake_connections_limit Connections all wake listeners "
	    "may hold (doc/waking.md).\n"
	    "# TYPE dockscale_wake_connections_limit gauge\n"
	    "dockscale_wake_connections_limit %zu\n"
	    "# HELP dockscale_wake_buffer_bytes Request and answer buffers the wake listeners "
	    "hold.\n# TYPE dockscale_wake_buffer_bytes gauge\n"
	    "dockscale_wake_buffer_bytes %zu\n"
	    "# HELP dockscale_wake_buffer_bytes_limit Their budget.\n"
	    "# TYPE dockscale_wake_buffer_bytes_limit gauge\n"
	    "dockscale_wake_buffer_bytes_limit %zu\n"
	    "# HELP dockscale_wake_accept_paused_total Times the wake listeners stopped "
	    "accepting: at their connection cap, or out of file descriptors.\n"
	    "# TYPE dockscale_wake_accept_paused_total counter\n"
	    "dockscale_wake_accept_paused_total %llu\n", p->cap, p->mem, WAKE_MEM_BUDGET,
	    (unsigned long long)p->paused_total);
}

/* "last_wake": who woke the service last (doc/waking.md, "Who woke it"); null before. */
static void
add_who(cJSON *o, const struct wake_who *who)
{
	cJSON *l;

	if (who->at_unix_ms == 0) {
		cJSON_AddNullToObject(o, "last_wake");
		return;
	}
	if ((l = cJSON_AddObjectToObject(o, "last_wake")) == NULL)
		return;
	cJSON_AddNumberToObject(l, "at_unix_ms", (double)who->at_unix_ms);
	cJSON_AddStringToObject(l, "method", who->method);
	cJSON_AddStringToObject(l, "path", who->path);
	cJSON_AddStringToObject(l, "user_agent", who->user_agent);
	cJSON_AddStringToObject(l, "client", who->client);
	cJSON_AddStringToObject(l, "peer", who->peer);
	if (who->forwarded_for[0] != '\0')
		cJSON_AddStringToObject(l, "forwarded_for", who->forwarded_for);
	else
		cJSON_AddNullToObject(l, "forwarded_for");
	if (who->real_ip[0] != '\0')
		cJSON_AddStringToObject(l, "real_ip", who->real_ip);
	else
		cJSON_AddNullToObject(l, "real_ip");
}

cJSON *
wake_status(const struct svc *s)
{
	const struct wake *w = wake_of(s);
	cJSON *o, *r, *sp;

	if (w->fd < 0)
		return cJSON_CreateNull();
	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "listen", w->addr);
	cJSON_AddBoolToObject(o, "accepting", !w->paused);
	cJSON_AddNumberToObject(o, "connections", (double)w->nconns);
	cJSON_AddNumberToObject(o, "held", (double)w->held);
	cJSON_AddNumberToObject(o, "relaying", (double)w->relaying);
	cJSON_AddNumberToObject(o, "wakes_total", (double)w->wakes);
	cJSON_AddNumberToObject(o, "served_total", (double)w->served);
	cJSON_AddNumberToObject(o, "rejected_total", (double)v_rejected(w));
	cJSON_AddNumberToObject(o, "timeouts_total", (double)w->refused[WAKE_R_TIMEOUT]);
	if (w->last_latency_ms >= 0)
		cJSON_AddNumberToObject(o, "last_latency_ms", (double)w->last_latency_ms);
	else
		cJSON_AddNullToObject(o, "last_latency_ms");
	if ((r = cJSON_AddObjectToObject(o, "refused")) != NULL)
		for (int i = 0; i < WAKE_REFUSALS; i++)
			cJSON_AddNumberToObject(r, wake_refusal_name((enum wake_refusal)i),
			    (double)w->refused[i]);
	cJSON_AddNumberToObject(o, "pages_total", (double)w->paged);
	cJSON_AddNumberToObject(o, "asleep_answers_total", (double)w->ignored);
	cJSON_AddBoolToObject(o, "spreading", w->spreading);
	/* of the last wake: what each replica was handed, in the order first handed */
	if ((sp = cJSON_AddArrayToObject(o, "spread")) != NULL)
		for (size_t i = 0; i < w->nshare; i++)
			cJSON_AddItemToArray(sp, cJSON_CreateNumber((double)w->share[i].n));
	add_who(o, &w->who);
	return o;
}
