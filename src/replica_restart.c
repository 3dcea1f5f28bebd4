/* replica_restart.c: a replica that Docker's own restart policy restarts (restart =
 * on-failure; README.md "Restart policy"): health-gated again, never counted as a
 * failed start nor as replaced while Docker is at it. */
#include "dockscaled.h"
#include "log.h"
#include "service.h"

bool
replica_docker_restart(struct replica *r, const struct docker_inspect *in)
{
	struct svc *s = r->svc;
	bool again = in->restart_count > r->restart_count;

	r->restart_count = in->restart_count;
	if (!in->restarting && !again)
		return false;
	/* Its port and address may change with the restart: the next inspect says. */
	if (in->restarting)
		r->addr[0] = '\0';
	if (r->state == REP_READY) {
		log_notice("%s: replica %s is being restarted by Docker (restart = on-failure, "
		    "restart %d); out of the upstream until healthy again", s->name, r->name,
		    in->restart_count);
		/* start_timeout counts from here: a replica that never comes back healthy is
		 * a failed start then, and replaced. */
		r->state = REP_STARTING;
		r->born_ms = loop_now(&s->d->loop);
		r->probe_failures = 0;
		svc_membership_changed(s);
		loop_timer_start(&s->d->loop, &r->timer, REPLICA_POLL_STARTING_MS);
	} else if (r->state == REP_STARTING) {
		log_info("%s: replica %s is being restarted by Docker (restart %d)", s->name,
		    r->name, in->restart_count);
	}
	return in->restarting;
}
