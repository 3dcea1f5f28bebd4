/* traffic.h: a service's balancer membership. */
#ifndef DOCKSCALE_TRAFFIC_H
#define DOCKSCALE_TRAFFIC_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"

struct svc;
struct lb;

/* A service's balancer membership: owned and written by traffic.c only. */
struct traffic {
	struct lb *lb;
	bool changed;            /* the members changed since the last sync request */
	bool failing;            /* the last sync failed: the balancer may run old members */
	int failures_in_row;     /* consecutive failed syncs: the retry backoff */
	uint64_t failures;       /* failed syncs, total */
	uint64_t requested;      /* generation of the latest sync request */
	uint64_t applied;        /* generation of the latest sync the balancer applied */
	int64_t retry_at;        /* loop clock: when a failed sync is retried */
	struct loop_timer retry;
};

/* traffic.c: the service's balancer membership. */
int traffic_init(struct svc *s);
void traffic_fini(struct svc *s);
/* The members changed (or the settings did): the next pass syncs. */
void traffic_changed(struct svc *s);
/* Every pass: sync a change at once, and a failed sync when its retry is due. */
void traffic_pass(struct svc *s);
void traffic_sync(struct svc *s);

#endif
