/* api_metrics_ctr.c: the cAdvisor-compatible container_* series of /metrics, one set per
 * managed replica, with cAdvisor's names, units, types and labels (doc/api.md, "cAdvisor
 * series"). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "dockscaled.h"
#include "runtime.h"
#include "service.h"

#define CFS_PERIOD_US 100000.0 /* what Docker sets with NanoCpus (--cpus) */

enum unit { U_RAW, U_NS_TO_S };

/* A series read from one double of a sample (or of its last stats sample). */
struct ctr_series {
	const char *name, *type, *help;
	bool stats;           /* off is into struct docker_stats, else struct runtime_sample */
	size_t off;
	enum unit unit;
};

#define R(f) false, offsetof(struct runtime_sample, f)
#define ST(f) true, offsetof(struct docker_stats, f)

/* clang-format off */
static const struct ctr_series series[] = {
	{ "container_cpu_usage_seconds_total", "counter",
	  "Cumulative cpu time consumed in seconds.", ST(cpu_total_ns), U_NS_TO_S },
	{ "container_cpu_user_seconds_total", "counter",
	  "Cumulative user cpu time consumed in seconds.", ST(cpu_user_ns), U_NS_TO_S },
	{ "container_cpu_system_seconds_total", "counter",
	  "Cumulative system cpu time consumed in seconds.", ST(cpu_kernel_ns), U_NS_TO_S },
	{ "container_cpu_cfs_periods_total", "counter",
	  "Number of elapsed enforcement period intervals.", ST(cfs_periods), U_RAW },
	{ "container_cpu_cfs_throttled_periods_total", "counter",
	  "Number of throttled period intervals.", ST(cfs_throttled_periods), U_RAW },
	{ "container_cpu_cfs_throttled_seconds_total", "counter",
	  "Total time duration the container has been throttled.", ST(cfs_throttled_ns),
	  U_NS_TO_S },
	{ "container_memory_usage_bytes", "gauge",
	  "Current memory usage in bytes, including all memory regardless of when it was "
	  "accessed", ST(mem_usage), U_RAW },
	{ "container_memory_rss", "gauge", "Size of RSS in bytes.", ST(mem_rss), U_RAW },
	{ "container_memory_cache", "gauge", "Number of bytes of page cache memory.",
	  ST(mem_cache), U_RAW },
	{ "container_memory_failcnt", "counter", "Number of memory usage hits limits",
	  ST(mem_failcnt), U_RAW },
	{ "container_spec_memory_limit_bytes", "gauge", "Memory limit for the container.",
	  R(spec_memory), U_RAW },
	{ "container_start_time_seconds", "gauge",
	  "Start time of the container since unix epoch in seconds.", R(started_at), U_RAW },
	{ "container_last_seen", "gauge", "Last time a container was seen by the exporter",
	  R(seen_at), U_RAW },
};
/* clang-format on */

/* Label values are Docker names, ids and image references, which cannot hold these;
 * escaping anyway keeps one odd image from breaking the whole exposition. */
static void
label_value(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			buf_printf(b, "\\%c", *s);
		else if (*s == '\n')
			buf_printf(b, "\\n");
		else
			buf_append(b, s, 1);
	}
}

/* cAdvisor's label set for a Docker container: its runtime's own (include/runtime.h),
 * then dockscale's own and the container's. */
static void
labels(struct buf *b, const struct svc *s, const struct runtime_sample *x)
{
	buf_printf(b, "{");
	for (size_t i = 0; i < x->nlabels; i++) {
		buf_printf(b, "%s=\"", x->labels[i].name);
		label_value(b, x->labels[i].value);
		buf_printf(b, "\",");
	}
	buf_printf(b, "dockscale_service=\"");
	label_value(b, s->name);
	buf_printf(b, "\",id=\"/docker/");
	label_value(b, x->id);
	buf_printf(b, "\",image=\"");
	label_value(b, x->image);
	buf_printf(b, "\",name=\"");
	label_value(b, x->name);
	buf_printf(b, "\"");
}

/* The containers behind a service's series, as its runtime has them. */
static size_t
count(const struct svc *s)
{
	return svc_runtime(s)->nsamples(s);
}

static void
nth(const struct svc *s, size_t k, struct runtime_sample *out)
{
	svc_runtime(s)->sample(s, k, out);
}

static void
header(struct buf *b, const char *name, const char *help, const char *type)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
render_series(struct buf *b, const struct dsd *d, const struct ctr_series *c)
{
	header(b, c->name, c->help, c->type);
	for (size_t i = 0; i < d->nsvcs; i++)
		for (size_t k = 0; k < count(d->svcs[i]); k++) {
			struct runtime_sample x;
			double v;

			nth(d->svcs[i], k, &x);
			if (!x.exported)
				continue;
			memcpy(&v, (c->stats ? (const char *)x.st : (const char *)&x) + c->off,
			    sizeof v);
			buf_printf(b, "%s", c->name);
			labels(b, d->svcs[i], &x);
			buf_printf(b, "} %.9g\n", c->unit == U_NS_TO_S ? v / 1e9 : v);
		}
}

/* Working set: what the kernel cannot reclaim first, as `docker stats` shows it. */
static void
render_computed(struct buf *b, const struct dsd *d)
{
	static const char *const names[] = { "container_memory_working_set_bytes",
		"container_spec_cpu_quota", "container_spec_cpu_period", "container_spec_cpu_shares",
		"container_oom_events_total" };
	static const char *const helps[] = { "Current working set in bytes.",
		"CPU quota of the container.", "CPU period of the container.",
		"CPU share of the container.",
		"Count of out of memory events observed for the container" };

	for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
		header(b, names[n], helps[n], n == 4 ? "counter" : "gauge");
		for (size_t i = 0; i < d->nsvcs; i++)
			for (size_t k = 0; k < count(d->svcs[i]); k++) {
				struct runtime_sample x, *r = &x;
				double quota, period, v;

				nth(d->svcs[i], k, &x);
				if (!x.exported)
					continue;
				quota = r->spec_cpu_quota;
				period = r->spec_cpu_period;
				/* --cpus sets NanoCpus, and Docker turns it into a CFS quota per
				 * 100 ms period; an explicit CpuQuota/CpuPeriod wins. */
				if (!(quota > 0) && r->spec_nano_cpus > 0) {
					period = CFS_PERIOD_US;
					quota = r->spec_nano_cpus / 1e9 * CFS_PERIOD_US;
				} else if (!(period > 0)) {
					period = CFS_PERIOD_US;
				}
				/* cAdvisor leaves quota and period out for an unlimited container. */
				if ((n == 1 || n == 2) && !(quota > 0))
					continue;
				v = n == 0 ? docker_mem_working_set(r->st)
				  : n == 1 ? quota
				  : n == 2 ? period
				  : n == 3 ? (r->spec_cpu_shares > 0 ? r->spec_cpu_shares : 1024)
				           : (double)r->oom_events;
				buf_printf(b, "%s", names[n]);
				labels(b, d->svcs[i], r);
				buf_printf(b, "} %.9g\n", v);
			}
	}
}

/* Per interface: cAdvisor's network series carry `interface`. */
static void
render_network(struct buf *b, const struct dsd *d)
{
	static const char *const names[] = { "container_network_receive_bytes_total",
		"container_network_transmit_bytes_total", "container_network_receive_packets_total",
		"container_network_transmit_packets_total", "container_network_receive_errors_total",
		"container_network_transmit_errors_total",
		"container_network_receive_packets_dropped_total",
		"container_network_transmit_packets_dropped_total" };
	static const size_t offs[] = { offsetof(struct docker_netif, rx_bytes),
		offsetof(struct docker_netif, tx_bytes), offsetof(struct docker_netif, rx_packets),
		offsetof(struct docker_netif, tx_packets), offsetof(struct docker_netif, rx_errors),
		offsetof(struct docker_netif, tx_errors), offsetof(struct docker_netif, rx_dropped),
		offsetof(struct docker_netif, tx_dropped) };

	for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
		header(b, names[n], "Cumulative count per network interface.", "counter");
		for (size_t i = 0; i < d->nsvcs; i++)
			for (size_t k = 0; k < count(d->svcs[i]); k++) {
				struct runtime_sample x;

				nth(d->svcs[i], k, &x);
				if (!x.exported)
					continue;
				for (size_t f = 0; f < x.st->nnet; f++) {
					double v;

					memcpy(&v, (const char *)&x.st->net[f] + offs[n], sizeof v);
					buf_printf(b, "%s", names[n]);
					labels(b, d->svcs[i], &x);
					buf_printf(b, ",interface=\"%s\"} %.9g\n", x.st->net[f].name, v);
				}
			}
	}
}

void
metrics_render_containers(struct buf *b, const struct dsd *d)
{
	for (size_t n = 0; n < sizeof series / sizeof series[0]; n++)
		render_series(b, d, &series[n]);
	render_computed(b, d);
	render_network(b, d);
}
