/* metric.h: a service's load samples: replica CPU and memory, a PromQL value. */
#ifndef DOCKSCALE_METRIC_H
#define DOCKSCALE_METRIC_H

#include <stdbool.h>
#include <stdint.h>

struct svc;
struct dsd;

/* The last value of one metric of a service (metric.c). */
struct metric_sample {
	bool have;
	double value;
	int64_t at;                /* loop clock */
	char why[96];              /* when !have: why there is no value */
};

/* metric.c: load sampling. */
void metric_init(struct svc *s);
void metric_fini(struct svc *s);
void metric_collect(struct dsd *d);
/* Sample one service now. */
void metric_sample(struct svc *s);
/* Sample it soon (after an alert): at most one round in flight, and not more often
 * than every METRIC_REFRESH_MIN_MS (README.md, "Counters from the kernel"). */
#define METRIC_REFRESH_MIN_MS 1000
void metric_refresh(struct svc *s);
void metric_docker_down(struct dsd *d);

#endif
