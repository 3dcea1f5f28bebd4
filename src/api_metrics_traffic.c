/* api_metrics_traffic.c: the requests the balancer carried, in /metrics: counters by
 * service, replica and status class, a latency histogram, the figures the traffic
 * metrics weigh, and the access log reader's own counts (doc/traffic.md, "What it
 * exports"). */
#include <math.h>
#include <stdio.h>

#include "buf.h"
#include "dockscaled.h"
#include "reqstat.h"
#include "service.h"

static void
render_counts(struct buf *b, const struct dsd *d)
{
	buf_printf(b, "# HELP dockscale_requests_total Requests the balancer sent each replica, "
	    "by response class, since the replica joined.\n"
	    "# TYPE dockscale_requests_total counter\n");
	for (size_t i = 0; i < d->nsvcs; i++) {
		const struct svc *s = d->svcs[i];

		for (size_t j = 0; j < s->nreps; j++) {
			const struct replica *r = s->reps[j];

			if (r->rq.requests == 0 && !r->rq.lb_seen)
				continue;
			for (int c = 0; c < REQSTAT_CLASSES; c++)
				buf_printf(b, "dockscale_requests_total{service=\"%s\",replica=\"%s\","
				    "class=\"%s\"} %llu\n", s->name, r->name, reqstat_class_name(c),
				    (unsigned long long)r->rq.classes[c]);
		}
	}
	buf_printf(b, "# HELP dockscale_service_requests_total Requests of each service, by "
	    "the response class its client got, since the daemon started.\n"
	    "# TYPE dockscale_service_requests_total counter\n");
	for (size_t i = 0; i < d->nsvcs; i++)
		for (int c = 0; c < REQSTAT_CLASSES; c++)
			buf_printf(b, "dockscale_service_requests_total{service=\"%s\",class=\"%s\"} "
			    "%llu\n", d->svcs[i]->name, reqstat_class_name(c),
			    (unsigned long long)d->svcs[i]->rq.classes[c]);
}

/* Upstream response time from the access log; a balancer's counters carry none. */
static void
render_histogram(struct buf *b, const struct dsd *d)
{
	static const double bounds[REQSTAT_HIST_N - 1] = REQSTAT_HIST_BOUNDS;

	buf_printf(b, "# HELP dockscale_upstream_response_seconds Upstream response time of "
	    "the requests nginx logged for each replica.\n"
	    "# TYPE dockscale_upstream_response_seconds histogram\n");
	for (size_t i = 0; i < d->nsvcs; i++) {
		const struct svc *s = d->svcs[i];

		for (size_t j = 0; j < s->nreps; j++) {
			const struct replica_reqs *q = &s->reps[j]->rq;
			uint64_t cum = 0;

			if (q->requests == 0 || q->lb_seen)
				continue;
			for (size_t k = 0; k < REQSTAT_HIST_N; k++) {
				cum += q->hist[k];
				if (k < REQSTAT_HIST_N - 1)
					buf_printf(b, "dockscale_upstream_response_seconds_bucket{service="
					    "\"%s\",replica=\"%s\",le=\"%g\"} %llu\n", s->name,
					    s->reps[j]->name, bounds[k], (unsigned long long)cum);
				else
					buf_printf(b, "dockscale_upstream_response_seconds_bucket{service="
					    "\"%s\",replica=\"%s\",le=\"+Inf\"} %llu\n", s->name,
					    s->reps[j]->name, (unsigned long long)cum);
			}
			buf_printf(b, "dockscale_upstream_response_seconds_sum{service=\"%s\","
			    "replica=\"%s\"} %.6f\n", s->name, s->reps[j]->name, q->hist_sum_s);
			buf_printf(b, "dockscale_upstream_response_seconds_count{service=\"%s\","
			    "replica=\"%s\"} %llu\n", s->name, s->reps[j]->name,
			    (unsigned long long)cum);
		}
	}
}

static void
render_figure(struct buf *b, const struct dsd *d, const char *name, const char *help,
    int which)
{
	buf_printf(b, "# HELP dockscale_traffic_%s %s\n# TYPE dockscale_traffic_%s gauge\n",
	    name, help, name);
	for (size_t i = 0; i < d->nsvcs; i++) {
		const struct svc_reqs *q = &d->svcs[i]->rq;
		double v = which == 0 ? q->rate_total : which == 1 ? q->in_flight_total :
		    q->fig.latency_ms / 1000.0;

		if (!q->fig.have || !(v >= 0))
			continue;
		buf_printf(b, "dockscale_traffic_%s{service=\"%s\"} %.6g\n", name,
		    d->svcs[i]->name, v);
	}
}

void
metrics_render_traffic(struct buf *b, const struct dsd *d)
{
	struct reqstat_log_stats st;

	render_counts(b, d);
	render_histogram(b, d);
	render_figure(b, d, "requests_per_second", "Requests per second to the service at "
	    "the last pass.", 0);
	render_figure(b, d, "in_flight", "Requests the service's replicas were serving at "
	    "once at the last pass.", 1);
	render_figure(b, d, "latency_seconds", "The service's response time at the last pass: "
	    "latency_percentile of the access log, or the balancer's average.", 2);
	reqstat_log_stats(d, &st);
	buf_printf(b, "# HELP dockscale_access_log_lines_total Lines on [nginx] "
	    "access_log_socket: valid, or dropped as malformed.\n"
	    "# TYPE dockscale_access_log_lines_total counter\n"
	    "dockscale_access_log_lines_total{result=\"valid\"} %llu\n"
	    "dockscale_access_log_lines_total{result=\"malformed\"} %llu\n"
	    "# HELP dockscale_access_log_unmatched_total Valid lines whose upstream address is "
	    "none of the managed replicas' (nor a wake listener's).\n"
	    "# TYPE dockscale_access_log_unmatched_total counter\n"
	    "dockscale_access_log_unmatched_total %llu\n",
	    (unsigned long long)st.lines, (unsigned long long)st.bad,
	    (unsigned long long)st.unmatched);
}
