/* replica.c: one replica's life: its states and their moves, its way in (create, join
 * networks, start, health-gate, Docker's restarts) and its way out (drain, mark, stop,
 * remove). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctrdef.h"
#include "dockscaled.h"
#include "log.h"
#include "probe.h"
#include "service.h"

#define BACKOFF_BASE_MS 1000
#define BACKOFF_MAX_MS (5 * 60 * 1000)

_Static_assert(sizeof(((struct replica *)0)->image) > DOCKER_IMAGE_MAX,
    "image bound does not fit the replica record");

static void replica_poll(struct loop *l, struct loop_timer *t);
static void replica_check_ready(struct replica *r);
static void replica_stop(struct replica *r);
static void replica_pause(struct replica *r);
static void hook_done(struct replica *r, enum hook_kind k, enum hook_result res);

/* On its way out: no inspect, no readiness, only the next call of its removal. */
static bool
leaving(enum replica_state st)
{
	return st == REP_DRAINING || st == REP_STOPPING || st == REP_GONE;
}

const char *
replica_state_name(enum replica_state st)
{
	static const char *const names[] = {
		[REP_CREATING] = "creating", [REP_STARTING] = "starting", [REP_READY] = "ready",
		[REP_DRAINING] = "draining", [REP_STOPPING] = "stopping", [REP_GONE] = "gone",
		[REP_PAUSING] = "pausing", [REP_PAUSED] = "paused", [REP_UNPAUSING] = "unpausing",
	};

	return st < REP_STATES ? names[st] : "?";
}

/* The moves a replica may make, [from][to]; every other one is a bug (doc/balancers.md,
 * "Scale-down order"; doc/replicas.md, "Restart safety" tell the way in and out). A
 * record is born CREATING (replica_new): an adopted one moves on from there at once. */
static const bool moves[REP_STATES][REP_STATES] = {
	/* created and started, adopted running (or paused) or on its way out, removed
	 * before or after the create answered */
	[REP_CREATING] = { [REP_STARTING] = true, [REP_DRAINING] = true,
		[REP_STOPPING] = true, [REP_GONE] = true, [REP_PAUSED] = true },
	/* healthy; retired (drained when the balancer may route to it), discarded,
	 * vanished */
	[REP_STARTING] = { [REP_READY] = true, [REP_DRAINING] = true, [REP_STOPPING] = true,
		[REP_GONE] = true },
	/* Docker's restart policy health-gates it again; retired, exited, vanished */
	[REP_READY] = { [REP_STARTING] = true, [REP_DRAINING] = true, [REP_STOPPING] = true,
		[REP_GONE] = true },
	/* drained (to be stopped, or paused: sleep = pause); vanished meanwhile */
	[REP_DRAINING] = { [REP_STOPPING] = true, [REP_GONE] = true, [REP_PAUSING] = true },
	[REP_STOPPING] = { [REP_GONE] = true },
	[REP_GONE] = { 0 },
	/* paused; the pause failed or it was retired meanwhile; vanished */
	[REP_PAUSING] = { [REP_PAUSED] = true, [REP_STOPPING] = true, [REP_GONE] = true },
	/* woken; retired (sleep = stop, an older definition); vanished */
	[REP_PAUSED] = { [REP_UNPAUSING] = true, [REP_STOPPING] = true, [REP_GONE] = true },
	/* unpaused: readiness again; the unpause failed or it was retired; vanished */
	[REP_UNPAUSING] = { [REP_STARTING] = true, [REP_STOPPING] = true, [REP_GONE] = true },
};

bool
replica_may_move(enum replica_state from, enum replica_state to)
{
	return from < REP_STATES && to < REP_STATES && (from == to || moves[from][to]);
}

int
replica_set_state(struct replica *r, enum replica_state st, const char *why)
{
	if (!replica_may_move(r->state, st)) {
		log_err("%s: replica %s: %s -> %s refused (%s): not a move a replica makes",
		    r->svc->name, r->name, replica_state_name(r->state), replica_state_name(st),
		    why);
		return -1;
	}
	if (r->state != st)
		log_debug("%s: replica %s: %s -> %s (%s)", r->svc->name, r->name,
		    replica_state_name(r->state), replica_state_name(st), why);
	bool entered_ready = st == REP_READY && r->state != REP_READY;
	r->state = st;
	if (entered_ready)
		svc_replica_ready(r); /* every way into READY, at once (doc/waking.md) */
	return 0;
}

/* A ready replica failed its probes (probe.c): replaced. */
static void
probe_unhealthy(struct replica *r)
{
	events_log(&r->svc->d->events, LOG_WARNING, EV_REPLICA, r->svc->name,
	    "%s: replica %s unhealthy; replacing it", r->svc->name, r->name);
	r->svc->launch.replaced++;
	svc_replica_lost(r, "probes failed");
	replica_retire(r);
	svc_kick(r->svc);
}

static const struct probe_ops probe_ops = {
	.passed = replica_check_ready,
	.unhealthy = probe_unhealthy,
};

struct replica *
replica_new(struct svc *s, const char *id, const char *name, int index)
{
	struct replica *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		log_err("%s: out of memory", s->name);
		return NULL;
	}
	r->svc = s;
	r->state = REP_CREATING; /* born so: the one state no move enters */
	r->index = index;
	metric_ctr_init(&r->smp);
	if (snprintf(r->id, sizeof(r->id), "%s", id) >= (int)sizeof(r->id) ||
	    snprintf(r->name, sizeof(r->name), "%s", name) >= (int)sizeof(r->name)) {
		log_err("%s: replica id or name too long: %.64s", s->name, name);
		free(r);
		return NULL;
	}
	r->born_ms = loop_now(&s->d->loop);
	loop_timer_init(&r->timer, replica_poll, r);
	probe_init(r, &probe_ops);
	hook_init(r, hook_done);
	return r;
}

void
replica_free(struct replica *r)
{
	struct dsd *d = r->svc->d;

	loop_timer_stop(&d->loop, &r->timer);
	probe_fini(r);
	hook_fini(r);
	/* A service dropped on reload may still have calls in flight for it. */
	if (d->docker != NULL)
		docker_cancel_arg(d->docker, r);
	metric_ctr_fini(&r->smp);
	free(r);
}

/* A start that did not end healthy: the next creation waits 1s, 2s, 4s ... 5min. */
void
replica_start_failed(struct svc *s, const char *name, const char *why)
{
	int64_t delay = BACKOFF_BASE_MS;

	s->launch.failed_starts++;
	s->launch.start_failures++;
	for (int i = 1; i < s->launch.start_failures && delay < BACKOFF_MAX_MS; i++)
		delay *= 2;
	if (delay > BACKOFF_MAX_MS)
		delay = BACKOFF_MAX_MS;
	s->launch.backoff_until = loop_now(&s->d->loop) + delay;
	snprintf(s->launch.last_start_error, sizeof(s->launch.last_start_error), "%s", why);
	events_fail(&s->d->events, LOG_WARNING, EV_REPLICA, s->name, "%s: %s%s failed to start "
	    "(%s); %d failure(s) in a row, next attempt in %llds", s->name,
	    name != NULL ? "replica " : "a replica", name != NULL ? name : "", why,
	    s->launch.start_failures, (long long)delay / 1000);
}

/* r did not end healthy: replica_start_failed, and a rollout failure when r is of the
 * generation being rolled out (rollout.c). */
static void
replica_failed(struct replica *r, const char *why)
{
	svc_replica_lost(r, why);
	replica_start_failed(r->svc, r->name, why);
}

static void
became_ready(struct replica *r, enum ready_by by)
{
	struct svc *s = r->svc;
	struct timespec ts;

	if (r->state != REP_STARTING)
		return;
	(void)replica_set_state(r, REP_READY, "healthy");
	r->ready_ms = loop_now(&s->d->loop);
	probe_became_ready(r);
	s->launch.start_failures = 0;
	s->launch.backoff_until = 0;
	loop_timer_stop(&s->d->loop, &r->timer);
	r->ready_by = by;
	clock_gettime(CLOCK_REALTIME, &ts);
	r->ready_at_unix_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (r->tr.trigger_us != 0)
		svc_react(s, REACT_READY, r->tr.trigger_us);
	log_info("%s: replica %s healthy at %s after %lldms (ready by %s, %llu probe(s))",
	    s->name, r->name, r->addr[0] != '\0' ? r->addr : "?",
	    (long long)(r->ready_ms - r->born_ms), readiness_by_name(by),
	    (unsigned long long)r->pr.probes);
	events_add(&s->d->events, EV_REPLICA, s->name, "%s: replica %s healthy at %s after "
	    "%lldms (ready by %s)", s->name, r->name, r->addr[0] != '\0' ? r->addr : "?",
	    (long long)(r->ready_ms - r->born_ms), readiness_by_name(by));
	traffic_ready(s);
}

/* ---- health ----------------------------------------------------------------------- */

/* A starting replica joins when its readiness mode says the signals so far suffice
 * (doc/readiness.md). */
static void
replica_check_ready(struct replica *r)
{
	struct readiness_in in = {
		.mode = svc_readiness_mode(r->svc),
		.has_healthcheck = r->has_healthcheck,
		.healthy = r->health == HEALTH_HEALTHY,
		.probe_ok = probe_passed(r),
	};
	enum ready_by by;

	/* post_start gates it after readiness too (doc/replicas.md, "Lifecycle hooks"). */
	if (hook_gates(r))
		return;
	if (r->state == REP_STARTING && (by = readiness_decide(&in)) != READY_BY_NONE)
		became_ready(r, by);
}

/* Docker's restart policy (restart = on-failure; doc/definition.md, "Restart policy") at
 * work on r, seen in an inspect: a READY one leaves the upstream and is health-gated
 * again, never counted as a failed start nor as replaced while Docker is at it. True
 * while Docker is restarting it (nothing else to judge in this inspect). */
static bool
docker_restart(struct replica *r, const struct docker_inspect *in)
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
		(void)replica_set_state(r, REP_STARTING, "restarted by Docker");
		r->born_ms = loop_now(&s->d->loop);
		probe_reset(r);
		traffic_members_changed(s);
		loop_timer_start(&s->d->loop, &r->timer, REPLICA_POLL_STARTING_MS);
	} else if (r->state == REP_STARTING) {
		log_info("%s: replica %s is being restarted by Docker (restart %d)", s->name,
		    r->name, in->restart_count);
	}
	return in->restarting;
}

static void
apply_inspect(struct replica *r, const struct docker_inspect *in)
{
	struct svc *s = r->svc;
	char old[sizeof(r->addr)];

	r->health = in->health;
	r->inspected = true;
	/* Woken from a pause: Docker's health is from before it, or from the checks that
	 * failed while it was frozen ("unhealthy" after `retries` of them). The probe makes
	 * it ready; Docker's health counts again once it is ready and Docker says healthy
	 * (doc/readiness.md, "After a pause"). Until then a stale unhealthy replaces
	 * nothing: the probe judges it, starting and ready. */
	if (r->woken && r->state == REP_READY && in->health == HEALTH_HEALTHY)
		r->woken = false;
	r->has_healthcheck = in->has_healthcheck && !r->woken;
	snprintf(r->image, sizeof(r->image), "%s", in->image);
	r->started_at = in->started_at;
	r->spec_nano_cpus = in->nano_cpus;
	r->spec_cpu_quota = in->cpu_quota;
	r->spec_cpu_period = in->cpu_period;
	r->spec_cpu_shares = in->cpu_shares;
	r->spec_memory = in->memory_limit;
	r->pid = in->pid;
	memcpy(old, r->addr, sizeof(old));
	if (s->conf != NULL && svc_by_ip(s)) {
		if (in->ip[0] != '\0')
			snprintf(r->addr, sizeof(r->addr), "%s:%d", in->ip, s->conf->port);
	} else if (in->host_port > 0) {
		snprintf(r->addr, sizeof(r->addr), "127.0.0.1:%d", in->host_port);
	}
	/* Known late (a compose source found after adoption): the balancer must follow. */
	if (r->state == REP_READY && strcmp(old, r->addr) != 0)
		traffic_members_changed(s);
	if (docker_restart(r, in))
		return;
	if (!in->running) {
		if (r->state == REP_STARTING && r->adopted) {
			/* Found running at start-up, never started by this daemon: its exit says
			 * nothing about starting (an older daemon may have been stopping it). */
			events_log(&s->d->events, LOG_WARNING, EV_REPLICA, s->name, "%s: adopted "
			    "replica %s exited (code %d); replacing it", s->name, r->name,
			    in->exit_code);
			s->launch.replaced++;
		} else if (r->state == REP_STARTING) {
			replica_failed(r, "exited");
		} else if (r->state == REP_READY) {
			events_log(&s->d->events, LOG_WARNING, EV_REPLICA, s->name, "%s: replica %s "
			    "exited (code %d); replacing it", s->name, r->name, in->exit_code);
			s->launch.replaced++;
			svc_replica_lost(r, "exited");
		}
		replica_discard(r);
		return;
	}
	/* Docker's unhealthy takes a replica out in every readiness mode (doc/readiness.md
	 * "Readiness"). */
	if (r->has_healthcheck && in->health == HEALTH_UNHEALTHY) {
		if (r->state == REP_READY) {
			events_log(&s->d->events, LOG_WARNING, EV_REPLICA, s->name, "%s: replica %s "
			    "reports unhealthy; replacing it", s->name, r->name);
			s->launch.replaced++;
			svc_replica_lost(r, "unhealthy");
			replica_retire(r);
		} else if (r->state == REP_STARTING) {
			replica_failed(r, "unhealthy");
			replica_retire(r);
		}
		return;
	}
	if (r->state == REP_STARTING) {
		replica_check_ready(r);
		probe_starting(r); /* a no-op once ready, or when the mode leaves it to Docker */
	} else if (r->state == REP_READY &&
	    readiness_probes_ready(svc_readiness_mode(s), r->has_healthcheck)) {
		probe_ready(r);
	}
}

static void
on_inspect(void *arg, const struct docker_reply *rep, const struct docker_inspect *in)
{
	struct replica *r = arg;

	r->busy = false;
	if (leaving(r->state)) {
		replica_advance(r); /* it was retired while the inspect ran */
		return;
	}
	if (!rep->ok) {
		if (rep->status == 404) {
			events_log(&r->svc->d->events, LOG_WARNING, EV_REPLICA, r->svc->name,
			    "%s: replica %s disappeared", r->svc->name, r->name);
			(void)replica_set_state(r, REP_GONE, "disappeared");
			traffic_members_changed(r->svc);
			svc_kick(r->svc);
		}
		return;
	}
	apply_inspect(r, in);
	svc_kick(r->svc);
}

void
replica_refresh(struct replica *r)
{
	const struct svc_conf *c = r->svc->conf;

	/* A paused one is inspected too: adopted asleep, its address and pid are known
	 * before it wakes. */
	if (r->busy || r->id[0] == '\0' || leaving(r->state) || r->state == REP_PAUSING ||
	    r->state == REP_UNPAUSING || c == NULL)
		return;
	if (docker_inspect(r->svc->d->docker, r->id, c->port, c->network, on_inspect, r) == 0)
		r->busy = true;
}

void
replica_watch(struct replica *r)
{
	if (r->state == REP_READY && !r->busy &&
	    readiness_probes_ready(svc_readiness_mode(r->svc), r->has_healthcheck))
		probe_ready(r);
}

/* While starting: poll health often, and give up at start_timeout. */
static void
replica_poll(struct loop *l, struct loop_timer *t)
{
	struct replica *r = t->arg;
	struct svc *s = r->svc;

	if (r->state == REP_DRAINING) {
		if (r->to_sleep) {
			replica_pause(r);
		} else if (hook_running(r) == HOOK_PRE_STOP) {
			/* Drained: the stop waits for pre_stop (hook_done), pre_stop_timeout at
			 * most. */
			r->drained = true;
			log_info("%s: replica %s drained; its stop waits for pre_stop", s->name,
			    r->name);
		} else {
			replica_stop(r);
		}
		return;
	}
	if (r->state != REP_STARTING)
		return;
	if (s->conf != NULL && loop_now(l) - r->born_ms >= s->conf->start_timeout_ms) {
		char why[64];

		snprintf(why, sizeof(why), "not healthy within %llds",
		    (long long)s->conf->start_timeout_ms / 1000);
		replica_failed(r, why);
		replica_retire(r);
		svc_kick(s);
		return;
	}
	replica_refresh(r);
	loop_timer_start(l, &r->timer, REPLICA_POLL_STARTING_MS);
}

/* A hook ended (replica_hook.c logged and counted it). A failed post_start is a failed
 * start; a pre_stop's end lets a drained replica's stop go on, whatever its result. */
static void
hook_done(struct replica *r, enum hook_kind k, enum hook_result res)
{
	struct svc *s = r->svc;
	char why[64];

	if (k == HOOK_POST_START && r->state == REP_STARTING) {
		if (res == HOOK_OK) {
			replica_check_ready(r);
			return;
		}
		snprintf(why, sizeof(why), "post_start %s", res == HOOK_TIMEOUT ? "timed out" :
		    "failed");
		replica_failed(r, why);
		replica_discard(r);
		svc_kick(s);
	} else if (k == HOOK_PRE_STOP && r->state == REP_DRAINING && r->drained) {
		replica_stop(r);
	}
}

/* ---- creation ------------------------------------------------------------------------ */

/* One create + start is over, however it ended: room for the next (create_parallel). */
static void
launch_done(struct svc *s)
{
	if (s->launch.creating > 0)
		s->launch.creating--;
}

static void
on_started(void *arg, const struct docker_reply *rep)
{
	struct replica *r = arg;
	struct svc *s = r->svc;

	r->busy = false;
	launch_done(s);
	if (r->state != REP_CREATING) {
		replica_advance(r); /* retired while the start ran */
		return;
	}
	if (!rep->ok) {
		replica_failed(r, rep->error);
		replica_discard(r);
		svc_kick(s);
		return;
	}
	(void)replica_set_state(r, REP_STARTING, "started");
	r->born_ms = loop_now(&s->d->loop);
	log_info("%s: replica %s started (%.12s)", s->name, r->name, r->id);
	replica_refresh(r);
	loop_timer_start(&s->d->loop, &r->timer, REPLICA_POLL_STARTING_MS);
	/* Beside readiness; its end may come at once (it could not run): last. */
	(void)hook_post_start(r);
	svc_kick(s);
}

/* A created replica joins its definition's other networks before it starts: Engine API
 * 1.41 takes one network at create (dockscale.conf(5), `networks`). */
static void join_networks(struct replica *r);
static void start(struct replica *r);

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
		launch_done(s);
		replica_failed(r, why);
		replica_discard(r);
		svc_kick(s);
		return;
	}
	r->net_next++;
	join_networks(r);
}

static void
join_networks(struct replica *r)
{
	struct svc *s = r->svc;
	const char *net = ctrdef_extra_network(s->def, r->net_next);

	if (r->state != REP_CREATING) {
		/* Retired while the create or a connect ran: remove it instead of starting. */
		r->busy = false;
		launch_done(s);
		r->stopped = true;
		replica_advance(r);
		return;
	}
	if (net == NULL) {
		start(r);
		return;
	}
	if (s->d->stopping || docker_connect(s->d->docker, net, r->id, on_connected, r) == -1) {
		r->busy = false;
		launch_done(s);
		return; /* left created-never-started: the next pass (or start-up) removes it */
	}
	log_debug("%s: replica %s joins network %s", s->name, r->name, net);
}

static void
on_created(void *arg, const struct docker_reply *rep, const char *id)
{
	struct replica *r = arg;
	struct svc *s = r->svc;

	if (!rep->ok) {
		/* Nothing was created: the record goes at the next sweep. Left busy, it would
		 * never go, and would count against max_replicas for good. */
		r->busy = false;
		launch_done(s);
		if (rep->status == 409) {
			/* A container we do not own holds the name: never touch it, use another. */
			log_notice("%s: name %s is taken by a container dockscale does not own; "
			    "using the next free name", s->name, r->name);
			svc_name_taken(s, r->index);
		} else {
			if (rep->status == 404)
				svc_no_image(s); /* the image went away since it was checked */
			replica_failed(r, rep->error);
		}
		(void)replica_set_state(r, REP_GONE, "not created");
		svc_kick(s);
		return;
	}
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->net_next = 0;
	join_networks(r); /* then start, unless retired meanwhile */
}

/* Start a created replica (its networks joined). */
static void
start(struct replica *r)
{
	struct svc *s = r->svc;

	if (s->d->stopping || docker_start(s->d->docker, r->id, on_started, r) == -1) {
		r->busy = false;
		launch_done(s);
		return; /* left created-never-started: the next pass (or start-up) removes it */
	}
}

struct replica *
replica_launch(struct svc *s, int index, int target)
{
	struct replica *r;
	char name[DOCKER_NAME_MAX + 1];
	struct replica_labels lab;
	char *body;
	int rc;

	if (snprintf(name, sizeof(name), "%s-%d", s->name, index) >= (int)sizeof(name)) {
		log_err("%s: replica name %s-%d too long", s->name, s->name, index);
		return NULL;
	}
	svc_replica_labels(s, &lab); /* e.g. the generation being rolled out */
	if ((body = ctrdef_replica_body(s->def, s->name, lab.generation, lab.restart,
	    target)) == NULL) {
		log_err("%s: no container definition to create %s from", s->name, name);
		return NULL;
	}
	r = replica_new(s, "", name, index);
	if (r == NULL) {
		free(body);
		return NULL;
	}
	r->generation = lab.generation;
	r->restart = lab.restart;
	r->busy = true;
	s->launch.creating++;
	rc = docker_create(s->d->docker, name, body, on_created, r);
	free(body);
	if (rc == -1) {
		launch_done(s);
		replica_free(r); /* nothing in flight for it */
		return NULL;
	}
	traffic_created(r, s->react.trigger_us);
	log_info("%s: creating replica %s", s->name, name);
	events_add(&s->d->events, EV_REPLICA, s->name, "%s: creating replica %s", s->name, name);
	return r;
}

/* ---- the way out: leave the balancer, drain, stop, remove (doc/balancers.md, "Scale-down
 * order" and "Restart safety") ------------------------------------------------------- */

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
	/* Nothing to mark when there is nothing to stop: a restart removes it anyway. One
	 * going to sleep is not leaving: a restart adopts it. */
	if (!r->marked && !r->stopped && !r->to_sleep) {
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

/* A drained replica's stop (then its removal). */
static void
replica_stop(struct replica *r)
{
	/* A member that died or is discarded leaves the upstream with the next sync. */
	if (r->state == REP_READY)
		traffic_members_changed(r->svc);
	(void)replica_set_state(r, REP_STOPPING, "stopping");
	loop_timer_stop(&r->svc->d->loop, &r->timer);
	hook_cancel(r); /* a post_start still running (a start that failed otherwise) */
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
	traffic_members_changed(s);
	svc_kick(s);
	replica_advance(r);
	/* Told as it leaves the balancer, beside the drain wait (doc/replicas.md, "Lifecycle
	 * hooks"); not when it goes to sleep: it stays. */
	r->drained = false;
	if (!r->to_sleep && r->state == REP_DRAINING)
		(void)hook_pre_stop(r);
}

/* May the balancer route to r now? A READY replica is listed; one found running at
 * start-up may be in what the balancer still runs (the last daemon's configuration)
 * until this daemon's first sync is applied (doc/replicas.md, "Restart safety"). */
static bool
maybe_member(const struct replica *r)
{
	/* A paused one (adopted paused too) is in no balancer's configuration. */
	return r->state == REP_READY || (r->adopted && r->svc->tr.applied == 0 &&
	    r->state != REP_PAUSED && r->state != REP_PAUSING && r->state != REP_UNPAUSING);
}

void
replica_retire(struct replica *r)
{
	bool was_member = maybe_member(r);

	if (leaving(r->state) || dry(r, "retire"))
		return;
	r->to_sleep = false;
	probe_stop(r); /* the fast schedule would do nothing now; a probe in flight too */
	if (!was_member) {
		replica_stop(r);
		return;
	}
	start_drain(r);
}

/* ---- asleep: paused instead of stopped (sleep = pause; doc/waking.md, "Sleeping: stop
 * or pause") ------------------------------------------------------------------------ */

void
replica_sleep(struct replica *r)
{
	if (leaving(r->state) || dry(r, "pause"))
		return;
	/* Only a ready one is worth keeping; the planner asks for no other. */
	if (r->state != REP_READY) {
		replica_retire(r);
		return;
	}
	probe_stop(r);
	r->to_sleep = true;
	start_drain(r); /* the drain's end pauses it (replica_poll) */
}

static void
on_paused(void *arg, const struct docker_reply *rep)
{
	struct replica *r = arg;
	struct svc *s = r->svc;

	r->busy = false;
	r->to_sleep = false;
	if (r->state != REP_PAUSING) {
		replica_advance(r); /* retired while the pause ran */
		return;
	}
	if (!rep->ok && rep->status == 404) {
		replica_vanished(r);
	} else if (!rep->ok) {
		/* Not worth keeping half asleep: the next wake creates a fresh one. */
		events_log(&s->d->events, LOG_WARNING, EV_REPLICA, s->name, "%s: cannot pause "
		    "replica %s (%s); removing it instead", s->name, r->name, rep->error);
		replica_stop(r);
	} else {
		(void)replica_set_state(r, REP_PAUSED, "paused");
		log_info("%s: replica %s paused (asleep)", s->name, r->name);
		events_add(&s->d->events, EV_REPLICA, s->name, "%s: replica %s paused (asleep)",
		    s->name, r->name);
	}
	svc_kick(s);
}

/* Drained: freeze it (POST /containers/{id}/pause). It is out of the upstream already
 * and stays created: the next scale-up unpauses it. */
static void
replica_pause(struct replica *r)
{
	struct svc *s = r->svc;

	loop_timer_stop(&s->d->loop, &r->timer);
	if (r->busy) {
		/* An inspect sent before the drain: its end does not come back here. */
		loop_timer_start(&s->d->loop, &r->timer, 50);
		return;
	}
	(void)replica_set_state(r, REP_PAUSING, "drained, to sleep");
	if (s->d->stopping || docker_pause(s->d->docker, r->id, false, on_paused, r) == -1) {
		r->to_sleep = false;
		log_warning("%s: cannot pause replica %s; removing it instead", s->name, r->name);
		replica_stop(r);
		return;
	}
	r->busy = true;
}

static void
on_unpaused(void *arg, const struct docker_reply *rep)
{
	struct replica *r = arg;
	struct svc *s = r->svc;

	r->busy = false;
	if (r->state != REP_UNPAUSING) {
		replica_advance(r); /* retired while the unpause ran */
		return;
	}
	/* 409: not paused (unpaused by hand): running all the same, and checked below. */
	if (!rep->ok && rep->status == 404) {
		replica_vanished(r);
		svc_kick(s);
		return;
	}
	if (!rep->ok && rep->status != 409) {
		events_log(&s->d->events, LOG_WARNING, EV_REPLICA, s->name, "%s: cannot unpause "
		    "replica %s (%s); removing it, a new one is created", s->name, r->name,
		    rep->error);
		replica_stop(r);
		svc_kick(s);
		return;
	}
	/* Not ready because it was before: readiness again, from now (doc/readiness.md,
	 * "After a pause"). */
	(void)replica_set_state(r, REP_STARTING, "unpaused");
	r->woken = true;
	r->has_healthcheck = false; /* the probe decides until it is ready */
	r->born_ms = loop_now(&s->d->loop);
	r->ready_ms = 0;
	r->ready_by = READY_BY_NONE;
	r->ready_at_unix_ms = 0;
	probe_reset(r);
	log_info("%s: replica %s unpaused; checking its readiness", s->name, r->name);
	events_add(&s->d->events, EV_REPLICA, s->name, "%s: replica %s unpaused", s->name,
	    r->name);
	probe_starting(r);  /* at once: the fast schedule follows from its answer */
	replica_refresh(r); /* Docker's view (running, its address) */
	loop_timer_start(&s->d->loop, &r->timer, REPLICA_POLL_STARTING_MS);
	svc_kick(s);
}

void
replica_wake(struct replica *r)
{
	struct svc *s = r->svc;

	if (r->state != REP_PAUSED || r->busy || dry(r, "unpause"))
		return;
	if (s->d->stopping || docker_pause(s->d->docker, r->id, true, on_unpaused, r) == -1) {
		log_warning("%s: cannot unpause replica %s; the next pass tries again", s->name,
		    r->name);
		return;
	}
	(void)replica_set_state(r, REP_UNPAUSING, "waking");
	r->busy = true;
	traffic_created(r, s->react.trigger_us); /* the wake's reaction times */
	log_info("%s: unpausing replica %s", s->name, r->name);
}

static void
on_abandoned(void *arg, const struct docker_reply *rep)
{
	(void)arg;
	if (!rep->ok)
		log_warning("removing a paused replica of a removed service failed: %s",
		    rep->error);
}

void
replica_abandon(struct replica *r)
{
	struct dsd *d = r->svc->d;

	if ((r->state != REP_PAUSED && r->state != REP_PAUSING) || r->id[0] == '\0' ||
	    d->docker == NULL || d->dry_run)
		return;
	/* Force: the engine removes a paused container that way (doc/waking.md). Its own
	 * callback argument: the record is freed before the answer. */
	log_notice("%s: removing paused replica %s (%.12s): its service left the "
	    "configuration", r->svc->name, r->name, r->id);
	(void)docker_remove(d->docker, r->id, on_abandoned, d);
}

/* A running container found at start-up with the retiring mark: drain and remove it. */
static void
adopt_retiring(struct replica *r)
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

/* ---- what the engine says (doc/replicas.md, "Restart safety") ---------------------- */

void
replica_adopt(struct replica *r, const struct docker_ctr *c, bool retiring)
{
	struct svc *s = r->svc;

	r->generation = c->generation;
	r->restart = c->restart;
	if (retiring && strcmp(c->state, "running") == 0) {
		/* On its way out (drain or stop) when the last daemon stopped: finished as a
		 * removal, never counted toward desired nor as a failed start. */
		adopt_retiring(r);
		return;
	}
	/* Asleep when the last daemon stopped: adopted asleep, never served nor counted; the
	 * planner wakes it, or removes it (doc/waking.md, "Sleeping: stop or pause"). */
	if (!retiring && strcmp(c->state, "paused") == 0) {
		(void)replica_set_state(r, REP_PAUSED, "adopted paused");
		r->adopted = true;
		log_info("%s: adopting paused replica %s (%.12s)", s->name, c->name, c->id);
		events_add(&s->d->events, EV_REPLICA, s->name, "%s: adopting paused replica %s",
		    s->name, c->name);
		replica_refresh(r);
		return;
	}
	/* Under sleep = pause a running one may have been unpaused moments before the last
	 * daemon stopped: its Docker health is from before the pause, the probe decides. */
	if (s->conf != NULL && s->conf->sleep == SLEEP_PAUSE)
		r->woken = true;
	/* "restarting": Docker's on-failure policy is at it (doc/definition.md, "Restart policy"). */
	if (strcmp(c->state, "running") == 0 || strcmp(c->state, "restarting") == 0) {
		/* Adopted as starting; the inspect that follows moves a healthy one straight
		 * back into the upstream. */
		(void)replica_set_state(r, REP_STARTING, "adopted running");
		r->adopted = true;
		log_info("%s: adopting running replica %s (%.12s)", s->name, c->name, c->id);
		events_add(&s->d->events, EV_REPLICA, s->name, "%s: adopting running replica %s",
		    s->name, c->name);
		replica_refresh(r);
		return;
	}
	/* created-but-never-started, exited, dead, or paused with the mark: half-done or
	 * broken work (a paused container goes with force: doc/waking.md). */
	log_notice("%s: removing leftover replica %s (%.12s, %s)", s->name, c->name, c->id,
	    c->state);
	replica_discard(r);
}

void
replica_vanished(struct replica *r)
{
	struct svc *s = r->svc;

	if (r->state == REP_READY || r->state == REP_STARTING || r->state == REP_PAUSED ||
	    r->state == REP_PAUSING || r->state == REP_UNPAUSING)
		events_log(&s->d->events, LOG_WARNING, EV_REPLICA, s->name,
		    "%s: %sreplica %s was removed outside dockscale", s->name,
		    r->state == REP_PAUSED ? "paused " : "", r->name);
	if (r->state == REP_READY)
		traffic_members_changed(s);
	(void)replica_set_state(r, REP_GONE, "removed outside dockscale");
}

void
replica_event(struct replica *r, const char *action)
{
	struct svc *s = r->svc;

	/* container_oom_events_total: the engine's own count, one event per OOM kill. */
	if (strcmp(action, "oom") == 0)
		r->oom_events++;
	/* Between container lists these are how a ready replica's change is seen
	 * (control.c): "start" and "restart" too, Docker's restart policy at work. */
	if (strncmp(action, "health_status", 13) == 0 || strcmp(action, "die") == 0 ||
	    strcmp(action, "oom") == 0 || strcmp(action, "stop") == 0 ||
	    strcmp(action, "start") == 0 || strcmp(action, "restart") == 0)
		replica_refresh(r);
	else if (strcmp(action, "destroy") == 0 && !r->busy && r->state != REP_CREATING) {
		if (r->state == REP_READY)
			traffic_members_changed(s);
		(void)replica_set_state(r, REP_GONE, "destroyed");
		svc_kick(s);
	}
}
