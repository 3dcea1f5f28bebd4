/* traffic.c: a service's nginx membership: healthy replicas in, draining ones out. */
#include <stdlib.h>

#include "dockscaled.h"
#include "log.h"
#include "service.h"
#include "upstream.h"

/* nginx has applied (or failed to apply) generation gen: replicas taken out by it
 * start their drain wait now, so `drain` counts from nginx's reload, not from the
 * decision. */
static void
on_synced(void *arg, uint64_t gen, bool ok)
{
	struct svc *s = arg;
	struct dsd *d = s->d;

	if (!ok)
		log_err("%s: nginx did not take the new upstream (see above); draining "
		    "continues so scaling is not stuck", s->name);
	for (size_t i = 0; i < s->nreps; i++) {
		struct replica *r = s->reps[i];

		if (ok && r->trigger_us != 0 && r->join_gen != 0 && r->join_gen <= gen) {
			s->react_serving_us = loop_clock_us() - r->trigger_us;
			r->trigger_us = 0;
		}
		if (r->state == REP_DRAINING && r->drain_gen != 0 && r->drain_gen <= gen &&
		    !loop_timer_armed(&r->timer))
			loop_timer_start(&d->loop, &r->timer,
			    s->conf != NULL ? s->conf->drain_ms : 0);
	}
}

int
traffic_init(struct svc *s)
{
	s->up = upstream_new(&s->d->loop, s->name, on_synced, s);
	return s->up != NULL ? 0 : -1;
}

void
traffic_fini(struct svc *s)
{
	upstream_free(s->up);
	s->up = NULL;
}

/* Write the upstream of READY replicas; draining ones wait for this generation. */
void
traffic_sync(struct svc *s)
{
	struct dsd *d = s->d;
	const char **addrs;
	size_t n = 0;
	uint64_t gen;

	if (s->conf == NULL || d->dry_run || s->up == NULL || !s->observed)
		return;
	/* After a restart, adopted replicas are inspected before the first write, or the
	 * file would drop healthy replicas for a moment. */
	for (size_t i = 0; i < s->nreps; i++)
		if (s->reps[i]->adopted && !s->reps[i]->inspected && s->reps[i]->state == REP_STARTING)
			return;
	s->membership_dirty = false;
	addrs = calloc(s->nreps + 1, sizeof(*addrs));
	if (addrs == NULL) {
		s->membership_dirty = true; /* try again next pass */
		return;
	}
	for (size_t i = 0; i < s->nreps; i++)
		if (s->reps[i]->state == REP_READY && s->reps[i]->addr[0] != '\0')
			addrs[n++] = s->reps[i]->addr;
	gen = upstream_sync(s->up, &d->cfg, s->conf, addrs, n, d->cfg.nginx_timeout_ms);
	free(addrs);
	if (gen == 0) {
		s->membership_dirty = true;
		return;
	}
	for (size_t i = 0; i < s->nreps; i++) {
		struct replica *r = s->reps[i];

		if (r->state == REP_DRAINING && r->drain_gen == 0)
			r->drain_gen = gen;
		if (r->state == REP_READY && r->join_gen == 0)
			r->join_gen = gen;
	}
}
