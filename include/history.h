/* history.h: a service's recent counts and metric for the status page's chart. */
#ifndef DOCKSCALE_HISTORY_H
#define DOCKSCALE_HISTORY_H

#include <stddef.h>
#include <stdint.h>

struct cJSON;

/* One point of a service's recent past for the status page's chart (doc/api.md, "Status
 * page"). */
#define HISTORY_POINTS 240
#define HISTORY_STEP_MS 15000
struct history_point { /* owner: history.c */
	int64_t unix_ms;
	int ready, desired;
	double metric;             /* NaN: none */
};

struct history { /* owner: history.c */
	struct history_point p[HISTORY_POINTS];
	size_t n, next;
	int64_t last_ms;           /* loop clock of the newest point */
};

/* history.c: the recent past of ready/desired/metric for the status page's chart. A
 * point is added when step_ms has passed since the last one, or when the counts
 * changed (then a point younger than a second is replaced, so bursts cost one). */
void history_add(struct history *h, int64_t now, int64_t unix_ms, int ready, int desired,
    double metric, int64_t step_ms);
/* Points oldest first: the i-th of h->n. */
const struct history_point *history_at(const struct history *h, size_t i);
int64_t history_wall_ms(void);
/* {"service": name, "step_ms": .., "points": [{"t": unix_ms, "ready", "desired",
 * "metric"}]} */
struct cJSON *history_json(const struct history *h, const char *name, int64_t step_ms);

#endif
