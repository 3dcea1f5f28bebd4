/* metric.h: a service's load samples: replica CPU and memory, a PromQL value. */
#ifndef DOCKSCALE_METRIC_H
#define DOCKSCALE_METRIC_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "docker.h"
#include "loop.h"

struct svc;
struct dsd;
struct cgroup_ctr;
struct prom_query;

/* One container's load, sampled each pass (doc/scaling.md "The metric", "Counters from the
 * kernel"): the docker_cpu and docker_memory inputs, and the last stats sample for the
 * cAdvisor series (doc/api.md "cAdvisor series"). */
struct ctr_sample { /* owner: metric.c */
	double cpu_total_ns, system_prev_ns; /* last sample: the next rate's base */
	bool have_cpu_sample;      /* a sample of the current source arrived (the series
	                            * are exported from then on) */
	double cpu_pct;            /* last rate, percent of the replica's limit; <0 unknown */
	double mem_pct;            /* working set in percent of the memory limit; <0 unknown */
	struct docker_stats st;    /* the last stats sample, for /metrics */
	double seen_at;            /* wall clock (unix s) of that sample: container_last_seen */
	bool stats_busy;           /* a stats call is in flight */
	struct cgroup_ctr *cg;     /* its cgroup, found from the pid; NULL: not (yet) */
	bool kernel_sample;        /* the last sample came from it (else the stats API) */
	bool cg_warned;            /* stats_source = cgroup could not read it: said once */
	double paused_mem;         /* while paused: the memory it holds, bytes (the cgroup's
	                            * memory.current / usage_in_bytes, else the stats API's
	                            * usage); < 0 unknown (doc/waking.md) */
};

/* The last value of one metric of a service. */
struct metric_sample { /* owner: metric.c */
	bool have;
	double value;
	int64_t at;                /* loop clock */
	char why[96];              /* when !have: why there is no value */
};

/* A service's load sampling: the latest value of each metric, and the round in flight. */
struct sampling { /* owner: metric.c */
	struct metric_sample samples[METRIC_KINDS]; /* latest value of each metric */
	int stats_pending;         /* stats calls of this round in flight */
	bool once_resampled;       /* --once: the second CPU sample was taken */
	struct loop_timer resample;
	int64_t sampled_ms;        /* loop clock of the last metric_sample */
	struct loop_timer refresh; /* an alert's refresh, coalesced (metric_refresh) */
	struct prom_query *prom_q; /* query in flight */
};

/* metric.c: load sampling. */
void metric_init(struct svc *s);
void metric_fini(struct svc *s);
/* A reload: forget the samples of metrics the service no longer has. */
void metric_conf(struct svc *s);
void metric_collect(struct dsd *d);
/* Sample one service now. */
void metric_sample(struct svc *s);
/* Sample it soon (after an alert): at most one round in flight, and not more often
 * than every METRIC_REFRESH_MIN_MS (doc/scaling.md, "Counters from the kernel"). */
#define METRIC_REFRESH_MIN_MS 1000
void metric_refresh(struct svc *s);
void metric_docker_down(struct dsd *d);
/* A replica's sample: nothing known yet; and its end (its cgroup's files closed). */
void metric_ctr_init(struct ctr_sample *c);
void metric_ctr_fini(struct ctr_sample *c);

#endif
