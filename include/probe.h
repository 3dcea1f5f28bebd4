/* probe.h: the daemon's HTTP probe of a replica's health_path (README.md "Readiness"). */
#ifndef DOCKSCALE_PROBE_H
#define DOCKSCALE_PROBE_H

#include <stdbool.h>

struct replica;

/* With the replica record (replica_new) and before it is freed. */
void probe_init(struct replica *r);
void probe_fini(struct replica *r);
/* A starting replica with an address: probe it on the fast schedule (from now, when not
 * already under way) until it turns ready, leaves, or its mode stops wanting probes. */
void probe_starting(struct replica *r);
/* A probe passed since the replica (re)started (a Docker restart starts it anew). */
bool probe_passed(const struct replica *r);
/* A ready replica: one probe now (the refresh's pace); failed probes replace it. */
void probe_ready(struct replica *r);

#endif
