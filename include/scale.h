/* scale.h: a service's decisions (policy, alerts) turned into its desired count. */
#ifndef DOCKSCALE_SCALE_H
#define DOCKSCALE_SCALE_H

#include <stddef.h>
#include <stdint.h>

#include "decide.h"

struct svc;

/* Create call to serving of the service's recent replicas: the predictive horizon
 * (scale.c keeps it; traffic.c reports each replica as it starts serving). */
#define SCALE_STARTS 16
struct scale_starts {
	int64_t ms[SCALE_STARTS];
	size_t n, next;
};

/* scale.c: decisions into desired counts. */
/* Weigh the latest sample of each of the service's metrics (s->samples). */
void scale_evaluate(struct svc *s);
/* A replica started serving ms after its create call (the predictive horizon). */
void scale_started(struct svc *s, int64_t ms);
/* The horizon the predictive policy uses now: `horizon`, else the p90 of recent
 * create-to-serving times, at least one interval. */
int64_t scale_horizon_ms(const struct svc *s);
int scale_alert(struct svc *s, enum decide_dir dir, const char *why,
    struct decide_result *out);
/* A reload: forget the value and decision of metrics the service no longer has. */
void scale_conf(struct svc *s);

#endif
