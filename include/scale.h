/* scale.h: a service's decisions (policy, alerts) turned into its desired count. */
#ifndef DOCKSCALE_SCALE_H
#define DOCKSCALE_SCALE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "decide.h"

struct svc;

/* Create call to serving of the service's recent replicas: the predictive horizon
 * (scale.c keeps it; traffic.c reports each replica as it starts serving). */
#define SCALE_STARTS 16
struct scale_starts { /* owner: scale.c */
	int64_t ms[SCALE_STARTS];
	size_t n, next;
};

/* A service's policy: its decision state and the last decision (doc/scaling.md, "How a
 * decision is made"). */
struct policy { /* owner: scale.c */
	struct decide_state ds;    /* the first metric's (and the cooldown stamps) */
	struct decide_state ds_more[METRIC_KINDS - 1]; /* the other metrics', in order */
	unsigned ds_metrics;       /* the metric set ds and ds_more were kept for */
	struct decide_result last; /* last decision */
	bool have_decision;
	double metric;             /* last raw metric value, NaN if missing */
	bool evaluated;            /* the policy ran at least once */
	struct scale_starts starts; /* create call to serving: the predictive horizon */
	/* counters for /metrics */
	uint64_t scale_up_events, scale_down_events, metric_missing;
};

/* scale.c: decisions into desired counts. */
/* A new service: no decision yet. */
void scale_init(struct svc *s);
/* Weigh the latest sample of each of the service's metrics (s->samples). */
void scale_evaluate(struct svc *s);
/* A replica started serving ms after its create call (the predictive horizon). */
void scale_started(struct svc *s, int64_t ms);
/* The horizon the predictive policy uses now: `horizon`, else the p90 of recent
 * create-to-serving times, at least one interval. */
int64_t scale_horizon_ms(const struct svc *s);
int scale_alert(struct svc *s, enum decide_dir dir, const char *why,
    struct decide_result *out);
/* Metric k's thresholds and target for c (the service's, docker_memory's and the
 * traffic metrics' own). */
void scale_metric_params(const struct svc_conf *c, enum metric_kind k, struct decide_params *p);
/* A reload: without metrics, no value or decision to show. */
void scale_conf(struct svc *s);

#endif
