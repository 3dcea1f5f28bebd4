/* wake_status.c: what the wake listeners report: /metrics lines and the status object. */
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "service.h"
#include "wake.h"

void
wake_metrics(struct buf *b, struct svc *const *svcs, size_t n)
{
	buf_printf(b, "# HELP dockscale_wakes_total Wakes from zero by a request.\n"
	    "# TYPE dockscale_wakes_total counter\n");
	for (size_t i = 0; i < n; i++)
		if (svcs[i]->wk.fd >= 0)
			buf_printf(b, "dockscale_wakes_total{service=\"%s\"} %llu\n", svcs[i]->name,
			    (unsigned long long)svcs[i]->wk.wakes);
	buf_printf(b, "# HELP dockscale_wake_held_requests Requests held until a replica "
	    "serves.\n# TYPE dockscale_wake_held_requests gauge\n");
	for (size_t i = 0; i < n; i++)
		if (svcs[i]->wk.fd >= 0)
			buf_printf(b, "dockscale_wake_held_requests{service=\"%s\"} %zu\n",
			    svcs[i]->name, svcs[i]->wk.held);
	buf_printf(b, "# HELP dockscale_wake_latency_seconds_last The last wake: first held "
	    "request to its answer.\n# TYPE dockscale_wake_latency_seconds_last gauge\n");
	for (size_t i = 0; i < n; i++)
		if (svcs[i]->wk.fd >= 0 && svcs[i]->wk.last_latency_ms >= 0)
			buf_printf(b, "dockscale_wake_latency_seconds_last{service=\"%s\"} %.3f\n",
			    svcs[i]->name, (double)svcs[i]->wk.last_latency_ms / 1000.0);
	buf_printf(b, "# HELP dockscale_wake_rejected_total Requests answered 503 at the wake "
	    "listener (queue full or wake_timeout).\n"
	    "# TYPE dockscale_wake_rejected_total counter\n");
	for (size_t i = 0; i < n; i++) {
		uint64_t r = svcs[i]->wk.rejected + svcs[i]->wk.timeouts;

		if (svcs[i]->wk.fd >= 0)
			buf_printf(b, "dockscale_wake_rejected_total{service=\"%s\"} %llu\n",
			    svcs[i]->name, (unsigned long long)r);
	}
}

cJSON *
wake_status(const struct svc *s)
{
	const struct wake *w = &s->wk;
	cJSON *o;

	if (w->fd < 0)
		return cJSON_CreateNull();
	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "listen", w->addr);
	cJSON_AddNumberToObject(o, "held", (double)w->held);
	cJSON_AddNumberToObject(o, "wakes_total", (double)w->wakes);
	cJSON_AddNumberToObject(o, "served_total", (double)w->served);
	cJSON_AddNumberToObject(o, "rejected_total", (double)w->rejected);
	cJSON_AddNumberToObject(o, "timeouts_total", (double)w->timeouts);
	if (w->last_latency_ms >= 0)
		cJSON_AddNumberToObject(o, "last_latency_ms", (double)w->last_latency_ms);
	else
		cJSON_AddNullToObject(o, "last_latency_ms");
	return o;
}
