/* probe.h: the daemon's HTTP probe of a replica's health_path (doc/readiness.md). */
#ifndef DOCKSCALE_PROBE_H
#define DOCKSCALE_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"

struct replica;
struct httpc_xfer;

/* What a probe's answer means, told to the replica's owner (replica.c): probe.c calls
 * nothing of the replica's lifecycle itself. */
struct probe_ops {
	/* A starting replica's probe passed (probe_passed holds from now on). */
	void (*passed)(struct replica *r);
	/* A ready replica failed PROBE_FAILS_UNHEALTHY probes in a row. */
	void (*unhealthy)(struct replica *r);
};

#define PROBE_FAILS_UNHEALTHY 3 /* consecutive failed probes that retire a replica */

/* A replica's probes (doc/readiness.md). */
struct probe_state { /* owner: probe.c */
	const struct probe_ops *ops;
	struct loop_timer timer;   /* the next fast probe while starting */
	int64_t ok_ms;             /* loop clock of the last passed probe; 0 = none */
	uint64_t probes;           /* probes sent while starting */
	int failures;              /* consecutive failed probes of a READY replica */
	struct httpc_xfer *xfer;   /* the probe in flight; NULL = none */
};

/* With the replica record (replica_new) and before it is freed. */
void probe_init(struct replica *r, const struct probe_ops *ops);
void probe_fini(struct replica *r);
/* Cancel the probe in flight and the fast schedule (the replica leaves). */
void probe_stop(struct replica *r);
/* The replica turned ready: no more fast probes; failures count from zero. A probe in
 * flight still answers (as a ready replica's). */
void probe_became_ready(struct replica *r);
/* Docker restarted the replica: failures count from zero. */
void probe_reset(struct replica *r);
/* A starting replica with an address: probe it on the fast schedule (from now, when not
 * already under way) until it turns ready, leaves, or its mode stops wanting probes. */
void probe_starting(struct replica *r);
/* A probe passed since the replica (re)started (a Docker restart starts it anew). */
bool probe_passed(const struct replica *r);
/* A ready replica: one probe now (the refresh's pace); failed probes replace it. */
void probe_ready(struct replica *r);
/* The first probe of a starting replica has not answered yet (none sent, or the one
 * sent is in flight). */
bool probe_first_pending(const struct replica *r);

#endif
