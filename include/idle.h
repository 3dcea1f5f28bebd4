/* idle.h: idle services go to sleep (idle_after), and a service's dependencies wake first
 * and stay awake while it is (depends_on); doc/sleeping.md. */
#ifndef DOCKSCALE_IDLE_H
#define DOCKSCALE_IDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct svc;
struct dsd;
struct buf;

/* A service's sleep and wake (the idle feature's state, svc_ext). */
struct idle { /* owner: idle.c */
	bool asleep;               /* at zero: desired 0 and nothing running */
	int64_t since_unix_ms;     /* asleep since, or awake since (wall clock) */
	int64_t awake_ms;          /* loop clock it last woke (or the daemon started) */
	int64_t busy_ms;           /* loop clock it was last seen busy by more than a request */
	char busy_why[128];        /* what kept it awake then */
	bool waiting;              /* a creation waits for its dependencies to be ready */
	uint64_t sleeps;           /* put to sleep by idle_after */
	uint64_t wakes;            /* woke from asleep, by any route */
};

/* idle.c's hooks (featureset.c registers them). */
struct svc_feature;
extern const struct svc_feature idle_feature;
const struct idle *idle_of(const struct svc *s);
/* "asleep since T, idle for D" or "awake: last request 3 s ago (...)" for explain: 0, or
 * -1 when there is nothing to say (no idle_after, no sleep). */
int idle_words(const struct svc *s, int64_t now, char *buf, size_t len);
/* dockscale_asleep and dockscale_sleeps_total for every service. */
void idle_metrics(struct buf *b, const struct dsd *d);

#endif
