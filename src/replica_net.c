/* replica_net.c: a created replica joins its definition's other networks before it
 * starts: Engine API 1.41 takes one network at create (README.md "Configuration",
 * `networks`). */
#include "ctrdef.h"
#include "dockscaled.h"
#include "log.h"
#include "service.h"

static void
on_connected(void *arg, const struct docker_reply *rep)
{
	struct replica *r = arg;
	struct svc *s = r->svc;

	if (!rep->ok && r->state == REP_CREATING) {
		char why[300];

		snprintf(why, sizeof(why), "joining network %s: %s",
		    ctrdef_extra_network(s->def, r->net_next) != NULL ?
		    ctrdef_extra_network(s->def, r->net_next) : "?", rep->error);
		r->busy = false;
		s->op_busy = false;
		replica_failed(r, why);
		replica_discard(r);
		svc_kick(s);
		return;
	}
	r->net_next++;
	replica_join_networks(r);
}

void
replica_join_networks(struct replica *r)
{
	struct svc *s = r->svc;
	const char *net = ctrdef_extra_network(s->def, r->net_next);

	if (r->state != REP_CREATING) {
		/* Retired while the create or a connect ran: remove it instead of starting. */
		r->busy = false;
		s->op_busy = false;
		r->stopped = true;
		replica_advance(r);
		return;
	}
	if (net == NULL) {
		replica_start(r);
		return;
	}
	if (s->d->stopping || docker_connect(s->d->docker, net, r->id, on_connected, r) == -1) {
		r->busy = false;
		s->op_busy = false;
		return; /* left created-never-started: the next pass (or start-up) removes it */
	}
	log_debug("%s: replica %s joins network %s", s->name, r->name, net);
}
