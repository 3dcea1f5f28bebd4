/* headroom.h: host headroom: a replica starts only if the host can hold it, and the
 * services of a higher priority start first (doc/headroom.md). */
#ifndef DOCKSCALE_HEADROOM_H
#define DOCKSCALE_HEADROOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dsd;
struct svc;
struct svc_feature;

/* The daemon-wide part: made at start-up, freed at the end (daemon.c calls). */
struct headroom_host { /* owner: headroom.c */
	bool estimated_said;     /* the fallback from a hidden /proc/meminfo was logged */
};

extern const struct svc_feature headroom_feature;

int headroom_host_init(struct dsd *d);
void headroom_host_fini(struct dsd *d);
/* The blocked start's words ("blocked: host headroom, needs ...") into buf: 0, or -1
 * when the service's starts are not blocked (explain, doc/api.md). */
int headroom_blocked_words(const struct svc *s, char *buf, size_t len);
/* dockscale_headroom_blocked and dockscale_headroom_blocked_total for every service. */
struct buf;
void headroom_metrics(struct buf *b, const struct dsd *d);

#endif
