/* traffic.h: a service's balancer membership. */
#ifndef DOCKSCALE_TRAFFIC_H
#define DOCKSCALE_TRAFFIC_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"

struct svc;
struct lb;
struct replica;

/* A service's balancer membership. */
struct traffic { /* owner: traffic.c */
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

/* A replica's way into and out of the balancer, and the times it answers for. */
struct replica_traffic { /* owner: traffic.c */
	uint64_t drain_gen;        /* the upstream generation that took it out */
	uint64_t join_gen;         /* the upstream generation that first listed it */
	int64_t create_us;         /* loop clock of its create call; 0 once it served */
	int64_t trigger_us;        /* the scale-up request it answers (0 = none) */
};

/* traffic.c: the service's balancer membership. */
int traffic_init(struct svc *s);
void traffic_fini(struct svc *s);
/* The members changed (or the settings did): the next pass syncs. */
void traffic_changed(struct svc *s);
/* The set of READY replicas changed: the next pass syncs, and it comes soon. */
void traffic_members_changed(struct svc *s);
/* A replica turned READY: the pass that syncs it runs at once. */
void traffic_ready(struct svc *s);
/* Every pass: sync a change at once, and a failed sync when its retry is due. */
void traffic_pass(struct svc *s);
void traffic_sync(struct svc *s);
/* r's create call went out, answering the scale-up requested at trigger_us (loop clock
 * in us; 0 = none): its serving is timed from now (doc/scaling.md, "Predictive policy"). */
void traffic_created(struct replica *r, int64_t trigger_us);

#endif
