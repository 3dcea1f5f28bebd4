/* swarm_leader.c: whether this instance acts for the Swarm services: only while its
 * Engine is the Swarm leader (doc/swarm.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dockscaled.h"
#include "log.h"
#include "runtime.h"
#include "service.h"
#include "swarm.h"

/* The outcome of one check: log and record a change, wake the services on gaining it. */
static void
settle(struct swarm_leader *l, bool leader, const char *why)
{
	struct dsd *d = l->d;
	char who[448];
	bool was = l->leader, first = !l->checked;
	bool moved = strcmp(l->last_leader_id, l->lead.leader_id) != 0;

	l->checked = true;
	l->leader = leader;
	(void)snprintf(l->why, sizeof(l->why), "%s", why);
	memcpy(l->last_leader_id, l->lead.leader_id, sizeof(l->last_leader_id));
	if (!first && was == leader) {
		/* Still not acting, but another manager leads now: the 409s name it. */
		if (moved && !leader && l->lead.leader_known) {
			swarm_leader_name(l, who, sizeof(who));
			events_log(&d->events, LOG_NOTICE, EV_CLUSTER, "", "swarm: the leader is "
			    "now %s; this instance still does not act", who);
		}
		return;
	}
	l->changes++;
	swarm_leader_name(l, who, sizeof(who));
	if (leader)
		events_log(&d->events, LOG_NOTICE, EV_CLUSTER, "", "swarm: this Engine (node %s) "
		    "is the Swarm leader: this instance acts for the swarm services", l->info.node_id);
	else
		events_log(&d->events, LOG_NOTICE, EV_CLUSTER, "", "swarm: not acting for the "
		    "swarm services: %s; leader: %s", why, who);
	for (size_t i = 0; leader && i < d->nsvcs; i++)
		svc_kick(d->svcs[i]);
	/* Readiness waits for this (doc/swarm.md). */
	if (first && l->on_first != NULL) {
		void (*cb)(struct dsd *) = l->on_first;

		l->on_first = NULL;
		cb(d);
	}
}

static void
on_managers(void *arg, const struct docker_reply *r, const char *body, size_t len)
{
	struct swarm_leader *l = arg;

	(void)len;
	l->busy = false;
	if (!r->ok || swarmjson_leadership(body, l->info.node_id, &l->lead) == -1) {
		settle(l, false, r->ok ? "malformed node list" : r->error);
		return;
	}
	if (!l->lead.leader_known)
		settle(l, false, "the managers know no leader (no quorum?)");
	else
		settle(l, l->lead.self_leader, l->lead.self_leader ? "" : "another manager leads");
}

static void
on_info(void *arg, const struct docker_reply *r, const char *body, size_t len)
{
	struct swarm_leader *l = arg;
	char why[128];

	(void)len;
	if (!r->ok || swarmjson_info(body, &l->info) == -1) {
		l->busy = false;
		memset(&l->lead, 0, sizeof(l->lead));
		settle(l, false, r->ok ? "malformed /info answer" : "the Engine does not answer");
		return;
	}
	if (strcmp(l->info.state, "active") != 0 || !l->info.manager) {
		l->busy = false;
		memset(&l->lead, 0, sizeof(l->lead));
		(void)snprintf(why, sizeof(why), "this Engine is %s", strcmp(l->info.state,
		    "active") != 0 ? "not in an active swarm" : "a worker, not a manager");
		settle(l, false, why);
		return;
	}
	if (swarm_managers(l->d->docker, on_managers, l) == -1) {
		l->busy = false;
		settle(l, false, "cannot list the managers");
	}
}

struct swarm_leader *
swarm_leader_new(struct dsd *d)
{
	struct swarm_leader *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		log_err("swarm: out of memory");
		return NULL;
	}
	l->d = d;
	return l;
}

void
swarm_leader_free(struct swarm_leader *l)
{
	if (l == NULL)
		return;
	if (l->d->docker != NULL)
		docker_cancel_arg(l->d->docker, l);
	free(l);
}

bool
swarm_leader_wanted(const struct swarm_leader *l)
{
	const struct dsd *d = l->d;

	for (size_t i = 0; i < d->nsvcs; i++)
		if (svc_runtime(d->svcs[i]) == &runtime_swarm_ops)
			return true;
	return false;
}

void
swarm_leader_check(struct swarm_leader *l)
{
	if (!swarm_leader_wanted(l) || l->busy || l->d->docker == NULL)
		return;
	if (swarm_info(l->d->docker, on_info, l) == 0)
		l->busy = true;
}

bool
swarm_leader_known(const struct swarm_leader *l)
{
	return l->checked;
}

void
swarm_leader_on_first(struct swarm_leader *l, void (*cb)(struct dsd *d))
{
	if (l->checked)
		cb(l->d);
	else
		l->on_first = cb;
}

bool
swarm_leader_is(const struct swarm_leader *l)
{
	return l->checked && l->leader;
}

bool
swarm_leader_worker(const struct swarm_leader *l)
{
	return l->checked && !l->info.manager;
}

void
swarm_leader_name(const struct swarm_leader *l, char *out, size_t outlen)
{
	const struct swarm_leadership *ld = &l->lead;

	if (!l->checked)
		(void)snprintf(out, outlen, "not known yet");
	else if (!ld->leader_known)
		(void)snprintf(out, outlen, "unknown (%s)", l->why);
	else
		(void)snprintf(out, outlen, "%s (%s)", ld->leader_name[0] ? ld->leader_name
		    : ld->leader_id, ld->leader_addr);
}
