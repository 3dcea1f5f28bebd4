/* traffic.c: a service's balancer membership: healthy replicas in, draining ones out. */
#include <stdlib.h>
#include <string.h>

#include "dockscaled.h"
#include "lb.h"
#include "log.h"
#include "readiness.h"
#include "service.h"

/* A failed sync is retried after 1 s, doubling up to 30 s, until the balancer runs the
 * members (doc/balancers.md, "nginx upstream"). */
#define RETRY_FIRST_MS 1000
#define RETRY_MAX_MS 30000

static void
failed(struct svc *s, bool latest)
{
	struct traffic *tr = &s->tr;
	int64_t delay = RETRY_FIRST_MS;

	tr->failures++;
	if (!latest)
		return; /* a newer request is queued behind it: its result decides */
	tr->failing = true;
	for (int i = 0; i < tr->failures_in_row && delay < RETRY_MAX_MS; i++)
		delay *= 2;
	if (delay > RETRY_MAX_MS)
		delay = RETRY_MAX_MS;
	tr->failures_in_row++;
	tr->retry_at = loop_now(&s->d->loop) + delay;
	loop_timer_start(&s->d->loop, &tr->retry, delay);
	events_fail(&s->d->events, LOG_ERR, EV_BALANCER, s->name, "%s: the balancer does not "
	    "run the current replicas (see above); replicas leaving it keep running until it "
	    "does; retrying in %llds", s->name,
	    (long long)delay / 1000);
}

/* The balancer has applied (or failed to apply) generation gen. Replicas taken out by
 * it start their drain wait now, so `drain` counts from the moment nothing routes new
 * requests to them; a failure stops nothing: the drain waits for a later success. */
static void
on_synced(void *arg, uint64_t gen, bool ok)
{
	struct svc *s = arg;
	struct traffic *tr = &s->tr;

	if (!ok) {
		failed(s, gen >= tr->requested);
		return;
	}
	if (gen > tr->applied) {
		tr->applied = gen;
		events_add(&s->d->events, EV_BALANCER, s->name, "%s: the balancer runs the new "
		    "membership (generation %llu)", s->name, (unsigned long long)gen);
		svc_serving(s); /* e.g. a rollout's next step */
	}
	if (gen >= tr->requested && tr->failing) {
		events_log(&s->d->events, LOG_NOTICE, EV_BALANCER, s->name, "%s: the balancer "
		    "runs the current replicas again after %d failed attempt(s)", s->name,
		    tr->failures_in_row);
		tr->failing = false;
		tr->failures_in_row = 0;
		loop_timer_stop(&s->d->loop, &tr->retry);
	}
	for (size_t i = 0; i < s->nreps; i++) {
		struct replica *r = s->reps[i];

		if (r->tr.create_us != 0 && r->tr.join_gen != 0 && r->tr.join_gen <= gen) {
			events_add(&s->d->events, EV_REPLICA, s->name, "%s: replica %s joined the "
			    "balancer", s->name, r->name);
			scale_started(s, (loop_clock_us() - r->tr.create_us) / 1000);
			r->tr.create_us = 0;
		}
		if (r->tr.trigger_us != 0 && r->tr.join_gen != 0 && r->tr.join_gen <= gen) {
			svc_react(s, REACT_SERVING, r->tr.trigger_us);
			r->tr.trigger_us = 0;
		}
		if (r->state == REP_DRAINING && r->tr.drain_gen != 0 && r->tr.drain_gen <= gen &&
		    !loop_timer_armed(&r->timer))
			loop_timer_start(&s->d->loop, &r->timer,
			    s->conf != NULL && !lb_drains(tr->lb) ? s->conf->drain_ms : 0);
	}
}

static void
on_retry(struct loop *l, struct loop_timer *t)
{
	struct svc *s = t->arg;

	(void)l;
	if (!lb_busy(s->tr.lb))
		traffic_sync(s);
}

int
traffic_init(struct svc *s)
{
	loop_timer_init(&s->tr.retry, on_retry, s);
	s->tr.lb = lb_new(&s->d->loop, s->d->docker, &s->d->cfg, s->name, on_synced, s);
	lb_set_events(s->tr.lb, &s->d->events);
	return s->tr.lb != NULL ? 0 : -1;
}

void
traffic_fini(struct svc *s)
{
	loop_timer_stop(&s->d->loop, &s->tr.retry);
	lb_free(s->tr.lb);
	s->tr.lb = NULL;
}

void
traffic_changed(struct svc *s)
{
	s->tr.changed = true;
}

void
traffic_members_changed(struct svc *s)
{
	s->tr.changed = true;
	/* The balancer syncs in the pass: a member that left must leave it now, whatever
	 * the planner waits for (doc/rollouts.md). */
	svc_kick(s);
}

void
traffic_ready(struct svc *s)
{
	s->tr.changed = true;
	/* The pass runs at the next loop turn (not 20 ms later): the planner's own step on
	 * it (a rollout drains an old replica) goes into the same sync, and replicas that
	 * turn ready while a sync runs go into the next one (doc/balancers.md, "Reaction"). */
	svc_kick_now(s);
}

/* Called at every pass: a change is synced at once, a failed sync when its retry is due. */
void
traffic_pass(struct svc *s)
{
	struct traffic *tr = &s->tr;
	/* A reload that changed `balancer`: the new kind takes over once the old is idle. */
	if (s->conf != NULL && tr->lb != NULL && !lb_busy(tr->lb) &&
	    strcmp(lb_kind(tr->lb), lb_kind_name(s->conf->balancer)) != 0) {
		traffic_fini(s);
		if (traffic_init(s) == -1)
			return;
		tr->changed = true;
	}
	/* A runtime API balancer is converged at every pass (lb.h, every_pass). */
	if (tr->changed || (tr->failing && !lb_busy(tr->lb) &&
	    loop_now(&s->d->loop) >= tr->retry_at) ||
	    (!tr->failing && lb_every_pass(tr->lb) && !lb_busy(tr->lb)))
		traffic_sync(s);
}

/* After a restart, an adopted replica is STARTING until its first check: Docker's
 * health from the inspect or, when that is not yet "healthy" (an image without a
 * HEALTHCHECK, or one started moments before), the first probe. A sync before it
 * answered would take a replica that serves out of the balancer for that moment: a
 * balancer driven through its API drains and deletes the server (503 to every request
 * while it was the only one), one driven by a file is rewritten without it
 * (doc/replicas.md, "Restart safety"). A probe that fails leaves it out, as it should. */
static bool
first_check_pending(const struct replica *r)
{
	if (!r->adopted || r->state != REP_STARTING)
		return false;
	if (!r->inspected)
		return true;
	return readiness_probes(svc_readiness_mode(r->svc), r->has_healthcheck) &&
	    probe_first_pending(r);
}

/* A balancer's stable id of r: the name it was created with, which the rename of a
 * leaving replica only extends (REPLICA_RETIRING_MARK). */
static size_t
base_name_len(const struct replica *r)
{
	const char *mark = strstr(r->name, REPLICA_RETIRING_MARK);

	return mark != NULL ? (size_t)(mark - r->name) : strlen(r->name);
}

/* Hand the balancer the READY replicas and the draining ones (marked); draining ones
 * wait for this generation. */
void
traffic_sync(struct svc *s)
{
	struct dsd *d = s->d;
	struct traffic *tr = &s->tr;
	struct lb_member *m;
	size_t n = 0;
	uint64_t gen;

	if (s->conf == NULL || d->dry_run || tr->lb == NULL || !s->observed)
		return;
	for (size_t i = 0; i < s->nreps; i++)
		if (first_check_pending(s->reps[i]))
			return;
	tr->changed = false;
	m = calloc(s->nreps + 1, sizeof(*m));
	if (m == NULL) {
		tr->changed = true; /* try again next pass */
		return;
	}
	for (size_t i = 0; i < s->nreps; i++) {
		const struct replica *r = s->reps[i];

		if ((r->state == REP_READY || r->state == REP_DRAINING) && r->addr[0] != '\0')
			m[n++] = (struct lb_member){ .name = r->name,
			    .id_len = base_name_len(r), .addr = r->addr,
			    .draining = r->state == REP_DRAINING };
	}
	gen = lb_sync(tr->lb, &d->cfg, s->conf, m, n);
	free(m);
	if (gen == 0) {
		failed(s, true);
		return;
	}
	tr->requested = gen;
	for (size_t i = 0; i < s->nreps; i++) {
		struct replica *r = s->reps[i];

		if (r->state == REP_DRAINING && r->tr.drain_gen == 0)
			r->tr.drain_gen = gen;
		if (r->state == REP_READY && r->tr.join_gen == 0)
			r->tr.join_gen = gen;
	}
}

void
traffic_created(struct replica *r, int64_t trigger_us)
{
	r->tr.create_us = loop_clock_us();
	if (trigger_us != 0)
		r->tr.trigger_us = trigger_us;
}
