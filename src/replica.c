/* replica.c: one replica's life: create, start, health-gate, drain, stop, remove. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrdef.h"
#include "dockscaled.h"
#include "log.h"
#include "service.h"

#define POLL_STARTING_MS 500    /* health polling while a replica starts */
#define PROBE_TIMEOUT_MS 2000
#define PROBE_FAILS_UNHEALTHY 3 /* consecutive failed probes that retire a replica */
#define BACKOFF_BASE_MS 1000
#define BACKOFF_MAX_MS (5 * 60 * 1000)
#define PROBE_URL_MAX 256

/* config.c bounds health_path so that every probe URL fits (README "Configuration
 * reference"). */
_Static_assert(sizeof("http://") - 1 + sizeof(((struct replica *)0)->addr) - 1 +
    CONFIG_HEALTH_PATH_MAX < PROBE_URL_MAX, "health_path bound does not fit the probe URL");
_Static_assert(sizeof(((struct replica *)0)->image) > DOCKER_IMAGE_MAX,
    "image bound does not fit the replica record");

static void replica_poll(struct loop *l, struct loop_timer *t);
static void replica_stop(struct replica *r);

const char *
replica_state_name(enum replica_state st)
{
	static const char *const names[] = {
		[REP_CREATING] = "creating", [REP_STARTING] = "starting", [REP_READY] = "ready",
		[REP_DRAINING] = "draining", [REP_STOPPING] = "stopping", [REP_GONE] = "gone",
	};

	return st <= REP_GONE ? names[st] : "?";
}

struct replica *
replica_new(struct svc *s, const char *id, const char *name, int index)
{
	struct replica *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		log_err("%s: out of memory", s->name);
		return NULL;
	}
	r->svc = s;
	r->index = index;
	r->cpu_pct = -1;
	r->mem_pct = -1;
	if (snprintf(r->id, sizeof(r->id), "%s", id) >= (int)sizeof(r->id) ||
	    snprintf(r->name, sizeof(r->name), "%s", name) >= (int)sizeof(r->name)) {
		log_err("%s: replica id or name too long: %.64s", s->name, name);
		free(r);
		return NULL;
	}
	r->born_ms = loop_now(&s->d->loop);
	loop_timer_init(&r->timer, replica_poll, r);
	if (svc_add_replica(s, r) == -1) {
		free(r);
		return NULL;
	}
	return r;
}

void
replica_free(struct replica *r)
{
	struct dsd *d = r->svc->d;

	loop_timer_stop(&d->loop, &r->timer);
	if (r->probe != NULL)
		httpc_cancel(d->httpc, r->probe);
	/* A service dropped on reload may still have calls in flight for it. */
	if (d->docker != NULL)
		docker_cancel_arg(d->docker, r);
	free(r);
}

/* A start that did not end healthy: the next creation waits 1s, 2s, 4s ... 5min. */
static void
count_failed_start(struct svc *s, const char *name, const char *why)
{
	int64_t delay = BACKOFF_BASE_MS;

	s->failed_starts++;
	s->start_failures++;
	for (int i = 1; i < s->start_failures && delay < BACKOFF_MAX_MS; i++)
		delay *= 2;
	if (delay > BACKOFF_MAX_MS)
		delay = BACKOFF_MAX_MS;
	s->backoff_until = loop_now(&s->d->loop) + delay;
	log_warning("%s: replica %s failed to start (%s); %d failure(s) in a row, next "
	    "attempt in %llds", s->name, name, why, s->start_failures, (long long)delay / 1000);
}

static void
became_ready(struct replica *r)
{
	struct svc *s = r->svc;

	if (r->state != REP_STARTING)
		return;
	r->state = REP_READY;
	r->ready_ms = loop_now(&s->d->loop);
	r->probe_failures = 0;
	s->start_failures = 0;
	s->backoff_until = 0;
	loop_timer_stop(&s->d->loop, &r->timer);
	if (r->trigger_us != 0)
		s->react_ready_us = loop_clock_us() - r->trigger_us;
	log_info("%s: replica %s healthy at %s after %lldms", s->name, r->name,
	    r->addr[0] != '\0' ? r->addr : "?", (long long)(r->ready_ms - r->born_ms));
	svc_membership_changed(s);
	svc_kick(s);
}

/* ---- health ----------------------------------------------------------------------- */

static void
on_probe(void *arg, const struct httpc_result *res)
{
	struct replica *r = arg;
	bool ok = res->ok && res->status >= 200 && res->status < 400;

	r->probe = NULL;
	if (r->state == REP_STARTING) {
		if (ok)
			became_ready(r);
		return;
	}
	if (r->state != REP_READY)
		return;
	if (ok) {
		r->probe_failures = 0;
		return;
	}
	r->probe_failures++;
	log_warning("%s: probe of %s (%s) failed %d time(s): %s", r->svc->name, r->name,
	    r->addr, r->probe_failures, res->ok ? "bad status" : res->error);
	if (r->probe_failures >= PROBE_FAILS_UNHEALTHY) {
		log_warning("%s: replica %s unhealthy; replacing it", r->svc->name, r->name);
		r->svc->replaced++;
		replica_retire(r);
		svc_kick(r->svc);
	}
}

static void
probe(struct replica *r)
{
	const struct svc_conf *c = r->svc->conf;
	struct httpc_req req = { 0 };
	char url[PROBE_URL_MAX];
	int n;

	if (r->probe != NULL || r->addr[0] == '\0' || c == NULL)
		return;
	n = snprintf(url, sizeof(url), "http://%s%s", r->addr, c->health_path);
	if (n < 0 || (size_t)n >= sizeof(url)) {
		log_err("%s: probe of %s: URL longer than %d bytes; not probed", r->svc->name,
		    r->name, PROBE_URL_MAX - 1);
		return;
	}
	req.method = "GET";
	req.url = url;
	req.timeout_ms = PROBE_TIMEOUT_MS;
	req.max_body = 64 * 1024;
	req.done = on_probe;
	req.arg = r;
	r->probe = httpc_start(r->svc->d->httpc, &req); /* NULL is logged by httpc */
}

static void
apply_inspect(struct replica *r, const struct docker_inspect *in)
{
	struct svc *s = r->svc;

	r->health = in->health;
	r->inspected = true;
	r->has_healthcheck = in->has_healthcheck;
	snprintf(r->image, sizeof(r->image), "%s", in->image);
	r->started_at = in->started_at;
	r->spec_nano_cpus = in->nano_cpus;
	r->spec_cpu_quota = in->cpu_quota;
	r->spec_cpu_period = in->cpu_period;
	r->spec_cpu_shares = in->cpu_shares;
	r->spec_memory = in->memory_limit;
	if (s->conf != NULL && s->conf->network != NULL && s->conf->network[0] != '\0') {
		if (in->ip[0] != '\0')
			snprintf(r->addr, sizeof(r->addr), "%s:%d", in->ip, s->conf->port);
	} else if (in->host_port > 0) {
		snprintf(r->addr, sizeof(r->addr), "127.0.0.1:%d", in->host_port);
	}
	if (!in->running) {
		if (r->state == REP_STARTING && r->adopted) {
			/* Found running at start-up, never started by this daemon: its exit says
			 * nothing about starting (an older daemon may have been stopping it). */
			log_warning("%s: adopted replica %s exited (code %d); replacing it", s->name,
			    r->name, in->exit_code);
			s->replaced++;
		} else if (r->state == REP_STARTING) {
			count_failed_start(s, r->name, "exited");
		} else if (r->state == REP_READY) {
			log_warning("%s: replica %s exited (code %d); replacing it", s->name,
			    r->name, in->exit_code);
			s->replaced++;
		}
		replica_discard(r);
		return;
	}
	if (r->has_healthcheck) {
		if (in->health == HEALTH_HEALTHY && r->state == REP_STARTING)
			became_ready(r);
		else if (in->health == HEALTH_UNHEALTHY && r->state == REP_READY) {
			log_warning("%s: replica %s reports unhealthy; replacing it", s->name, r->name);
			s->replaced++;
			replica_retire(r);
		} else if (in->health == HEALTH_UNHEALTHY && r->state == REP_STARTING) {
			count_failed_start(s, r->name, "unhealthy");
			replica_retire(r);
		}
	} else {
		probe(r);
	}
}

static void
on_inspect(void *arg, const struct docker_reply *rep, const struct docker_inspect *in)
{
	struct replica *r = arg;

	r->busy = false;
	if (r->state >= REP_DRAINING) {
		replica_advance(r); /* it was retired while the inspect ran */
		return;
	}
	if (!rep->ok) {
		if (rep->status == 404) {
			log_warning("%s: replica %s disappeared", r->svc->name, r->name);
			r->state = REP_GONE;
			svc_membership_changed(r->svc);
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

	if (r->busy || r->id[0] == '\0' || r->state >= REP_DRAINING || c == NULL)
		return;
	if (docker_inspect(r->svc->d->docker, r->id, c->port, c->network, on_inspect, r) == 0)
		r->busy = true;
}

/* While starting: poll health often, and give up at start_timeout. */
static void
replica_poll(struct loop *l, struct loop_timer *t)
{
	struct replica *r = t->arg;
	struct svc *s = r->svc;

	if (r->state == REP_DRAINING) {
		replica_stop(r);
		return;
	}
	if (r->state != REP_STARTING)
		return;
	if (s->conf != NULL && loop_now(l) - r->born_ms >= s->conf->start_timeout_ms) {
		char why[64];

		snprintf(why, sizeof(why), "not healthy within %llds",
		    (long long)s->conf->start_timeout_ms / 1000);
		count_failed_start(s, r->name, why);
		replica_retire(r);
		svc_kick(s);
		return;
	}
	replica_refresh(r);
	loop_timer_start(l, &r->timer, POLL_STARTING_MS);
}

/* ---- creation ------------------------------------------------------------------------ */

static void
on_started(void *arg, const struct docker_reply *rep)
{
	struct replica *r = arg;
	struct svc *s = r->svc;

	r->busy = false;
	s->op_busy = false;
	if (r->state != REP_CREATING) {
		replica_advance(r); /* retired while the start ran */
		return;
	}
	if (!rep->ok) {
		count_failed_start(s, r->name, rep->error);
		replica_discard(r);
		svc_kick(s);
		return;
	}
	r->state = REP_STARTING;
	r->born_ms = loop_now(&s->d->loop);
	log_info("%s: replica %s started (%.12s)", s->name, r->name, r->id);
	replica_refresh(r);
	loop_timer_start(&s->d->loop, &r->timer, POLL_STARTING_MS);
	svc_kick(s);
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
		s->op_busy = false;
		if (rep->status == 409) {
			/* A container we do not own holds the name: never touch it, use another. */
			log_notice("%s: name %s is taken by a container dockscale does not own; "
			    "using the next free name", s->name, r->name);
			svc_name_taken(s, r->index);
		} else {
			count_failed_start(s, r->name, rep->error);
		}
		r->state = REP_GONE;
		svc_kick(s);
		return;
	}
	snprintf(r->id, sizeof(r->id), "%s", id);
	if (r->state != REP_CREATING) {
		/* Retired while the create ran: remove it instead of starting it. */
		r->busy = false;
		s->op_busy = false;
		r->stopped = true;
		replica_advance(r);
		return;
	}
	if (s->d->stopping || docker_start(s->d->docker, r->id, on_started, r) == -1) {
		r->busy = false;
		s->op_busy = false;
		return; /* left created-never-started: the next pass (or start-up) removes it */
	}
}

int
replica_launch(struct svc *s, int index)
{
	struct replica *r;
	char name[DOCKER_NAME_MAX + 1];
	char *body;
	int rc;

	if (snprintf(name, sizeof(name), "%s-%d", s->name, index) >= (int)sizeof(name)) {
		log_err("%s: replica name %s-%d too long", s->name, s->name, index);
		return -1;
	}
	if ((body = ctrdef_replica_body(s->def, s->name)) == NULL) {
		log_err("%s: no container definition to create %s from", s->name, name);
		return -1;
	}
	r = replica_new(s, "", name, index);
	if (r == NULL) {
		free(body);
		return -1;
	}
	r->state = REP_CREATING;
	r->busy = true;
	s->op_busy = true;
	rc = docker_create(s->d->docker, name, body, on_created, r);
	free(body);
	if (rc == -1) {
		r->state = REP_GONE;
		r->busy = false;
		s->op_busy = false;
		return -1;
	}
	r->create_us = loop_clock_us();
	if (s->up_trigger_us != 0) {
		r->trigger_us = s->up_trigger_us;
		s->react_create_us = loop_clock_us() - r->trigger_us;
		if (svc_current(s) >= s->desired)
			s->up_trigger_us = 0;
	}
	log_info("%s: creating replica %s", s->name, name);
	return 0;
}

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
	r->state = REP_GONE;
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
			r->state = REP_GONE;
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

static void
replica_stop(struct replica *r)
{
	/* A member that died or is discarded leaves the upstream with the next sync. */
	if (r->state == REP_READY)
		svc_membership_changed(r->svc);
	r->state = REP_STOPPING;
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

	r->state = REP_DRAINING;
	r->drain_gen = 0;
	loop_timer_stop(&s->d->loop, &r->timer);
	log_info("%s: draining replica %s (%s)", s->name, r->name,
	    r->addr[0] != '\0' ? r->addr : "-");
	svc_membership_changed(s);
	svc_kick(s);
	replica_advance(r);
}

void
replica_retire(struct replica *r)
{
	struct svc *s = r->svc;
	bool was_member = r->state == REP_READY;

	if (r->state >= REP_DRAINING || dry(r, "retire"))
		return;
	if (r->probe != NULL) {
		httpc_cancel(s->d->httpc, r->probe);
		r->probe = NULL;
	}
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
		r->state = REP_DRAINING; /* on its way out: never counted */
		return;
	}
	log_notice("%s: replica %s (%.12s) was on its way out before a restart; finishing "
	    "its removal", r->svc->name, r->name, r->id);
	start_drain(r);
}
