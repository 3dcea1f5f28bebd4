/* retire.c: one replica's way out: leave the balancer, drain, stop, remove (README.md,
 * "Scale-down order" and "Restart safety"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dockscaled.h"
#include "log.h"
#include "service.h"

/* ---- removal --------------------------------------------------------------------------- */

static void
on_removed(void *arg, const struct docker_reply *rep)
{
	struct replica *r = arg;
	struct svc *s = r->svc;

	r->busy = false;
	if (!rep->ok) {
		/* Still there: the next pass retries (replica_advance). */
		log_warning("%s: removing %s failed: %s", s->name, r->name, rep->error);
		return;
	}
	log_info("%s: replica %s removed", s->name, r->name);
	events_add(&s->d->events, EV_REPLICA, s->name, "%s: replica %s stopped and removed",
	    s->name, r->name);
	(void)replica_set_state(r, REP_GONE, "removed");
	svc_kick(s);
}

static void
on_stopped(void *arg, const struct docker_reply *rep)
{
	struct replica *r = arg;

	r->busy = false;
	if (!rep->ok && rep->status != 404)
		log_warning("%s: stopping %s failed: %s; removing it by force", r->svc->name,
		    r->name, rep->error);
	r->stopped = true;
	replica_advance(r);
}

/* <name>.retiring-<first 12 of the id>: unique per container, so two replicas that
 * held the same index and leave at once never collide. */
static int
retiring_name(const struct replica *r, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s" REPLICA_RETIRING_MARK "%.12s", r->name, r->id);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static void
on_marked(void *arg, const struct docker_reply *rep)
{
	struct replica *r = arg;
	char name[sizeof(r->name)];

	r->busy = false;
	r->marked = true; /* done, or given up: the removal goes on either way */
	if (rep->ok && retiring_name(r, name, sizeof(name)) == 0) {
		log_debug("%s: replica %s renamed %s", r->svc->name, r->name, name);
		snprintf(r->name, sizeof(r->name), "%s", name); /* fits: same size */
		r->index = 0; /* <service>-<n> is free again */
	} else if (!rep->ok && rep->status != 404) {
		log_warning("%s: cannot mark replica %s as retiring (%s); a restart before its "
		    "removal would adopt it", r->svc->name, r->name, rep->error);
	}
	replica_advance(r);
}

/* The mark goes on before the stop, so a daemon killed during the stop (or the drain)
 * and restarted finishes the removal instead of adopting a replica on its way out. */
static void
mark(struct replica *r)
{
	char name[sizeof(r->name)];

	if (retiring_name(r, name, sizeof(name)) == -1 ||
	    docker_rename(r->svc->d->docker, r->id, name, on_marked, r) == -1) {
		log_warning("%s: cannot mark replica %s as retiring; a restart before its "
		    "removal would adopt it", r->svc->name, r->name);
		r->marked = true;
		return;
	}
	r->busy = true;
}

/* Drive a leaving replica one call further: mark it (rename), then, once STOPPING,
 * stop (SIGTERM, then SIGKILL after stop_timeout) and remove. Idempotent; a failed
 * stop or remove is retried by the next pass. */
void
replica_advance(struct replica *r)
{
	struct svc *s = r->svc;
	int64_t t = s->conf != NULL ? s->conf->stop_timeout_ms : 10000;
	int rc;

	if (r->busy || (r->state != REP_STOPPING && r->state != REP_DRAINING))
		return;
	if (r->id[0] == '\0') {
		if (r->state == REP_STOPPING)
			(void)replica_set_state(r, REP_GONE, "never created");
		return;
	}
	/* Nothing to mark when there is nothing to stop: a restart removes it anyway. */
	if (!r->marked && !r->stopped) {
		mark(r);
		if (r->busy)
			return; /* on_marked comes back here */
	}
	if (r->state == REP_DRAINING)
		return; /* the drain wait ends in replica_stop */
	if (!r->stopped) {
		rc = docker_stop(s->d->docker, r->id, t, on_stopped, r);
		if (rc == 0)
			log_info("%s: stopping replica %s (stop_timeout %llds)", s->name, r->name,
			    (long long)(t + 999) / 1000);
	} else {
		rc = docker_remove(s->d->docker, r->id, on_removed, r);
	}
	if (rc == 0)
		r->busy = true;
}

void
replica_stop(struct replica *r)
{
	/* A member that died or is discarded leaves the upstream with the next sync. */
	if (r->state == REP_READY)
		svc_membership_changed(r->svc);
	(void)replica_set_state(r, REP_STOPPING, "stopping");
	loop_timer_stop(&r->svc->d->loop, &r->timer);
	replica_advance(r);
}

/* In a dry run nothing is removed: say what would have happened. */
static bool
dry(struct replica *r, const char *what)
{
	if (!r->svc->d->dry_run)
		return false;
	log_notice("%s: dry-run: would %s replica %s", r->svc->name, what, r->name);
	return true;
}

void
replica_discard(struct replica *r)
{
	if (dry(r, "remove"))
		return;
	r->stopped = true; /* nothing to stop gracefully: remove with force */
	replica_stop(r);
}

/* Out of the upstream first; the drain wait starts once nginx took it out
 * (traffic.c), then the stop. The mark goes on now: a restart during the drain must
 * not count it either. */
static void
start_drain(struct replica *r)
{
	struct svc *s = r->svc;

	(void)replica_set_state(r, REP_DRAINING, "draining");
	loop_timer_stop(&s->d->loop, &r->timer);
	log_info("%s: draining replica %s (%s)", s->name, r->name,
	    r->addr[0] != '\0' ? r->addr : "-");
	events_add(&s->d->events, EV_REPLICA, s->name, "%s: draining replica %s (%s)", s->name,
	    r->name, r->addr[0] != '\0' ? r->addr : "-");
	svc_membership_changed(s);
	svc_kick(s);
	replica_advance(r);
}

/* May the balancer route to r now? A READY replica is listed; one found running at
 * start-up may be in what the balancer still runs (the last daemon's configuration)
 * until this daemon's first sync is applied (README.md, "Restart safety"). */
static bool
maybe_member(const struct replica *r)
{
	return r->state == REP_READY || (r->adopted && r->svc->tr.applied == 0);
}

void
replica_retire(struct replica *r)
{
	bool was_member = maybe_member(r);

	if (r->state >= REP_DRAINING || dry(r, "retire"))
		return;
	probe_stop(r); /* the fast schedule would do nothing now; a probe in flight too */
	if (!was_member) {
		replica_stop(r);
		return;
	}
	start_drain(r);
}

void
replica_adopt_retiring(struct replica *r)
{
	r->adopted = true;
	r->marked = true;
	if (dry(r, "finish removing")) {
		/* on its way out: never counted */
		(void)replica_set_state(r, REP_DRAINING, "dry run: leaving");
		return;
	}
	log_notice("%s: replica %s (%.12s) was on its way out before a restart; finishing "
	    "its removal", r->svc->name, r->name, r->id);
	start_drain(r);
}
