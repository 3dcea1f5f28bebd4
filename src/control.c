/* control.c: the reconcile pass: list containers, hand them to services, act. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "compose_source.h"
#include "dockscaled.h"
#include "featureset.h"
#include "log.h"
#include "runtime.h"
#include "service.h"

#define EVENTS_RETRY_MS 2000
/* How old the last container list may grow while the event stream follows the engine.
 * The list only catches what the stream could have missed (it replays from the last
 * event after a drop, and a reconnect lists at once), so this is a safety net, not a
 * knob: at 300 replicas a list and the inspect of every replica cost about as much as
 * all the other passes of a minute together (doc/architecture.md, "The loop and the
 * pass"). An interval longer than this lists every pass. */
#define RESYNC_MS 60000

static void on_once_timer(struct loop *l, struct loop_timer *t);

/* A pass's duration for dockscale_pass_seconds (doc/api.md, "Metrics"): from its start
 * (the list request, when it lists) to the end of the services' observe loop. */
static void
pass_clock_start(struct dsd *d)
{
	passtime_begin(&d->pass_time, loop_clock_us());
}

static void
pass_clock_stop(struct dsd *d)
{
	passtime_end(&d->pass_time, loop_clock_us());
}

/* Containers labelled for a service the file no longer has: left running, said once. */
static void
note_unmanaged(struct dsd *d, const struct docker_ctr *c)
{
	for (size_t i = 0; i < d->nunmanaged; i++)
		if (strcmp(d->unmanaged[i], c->id) == 0)
			return;
	char (*v)[DOCKER_ID_MAX + 1] = realloc(d->unmanaged, (d->nunmanaged + 1) * sizeof(*v));
	if (v == NULL)
		return;
	d->unmanaged = v;
	memcpy(d->unmanaged[d->nunmanaged++], c->id, sizeof(*v));
	log_notice("container %s (service %s) is not in the configuration: left running, "
	    "not managed", c->name, c->service);
}

static void
on_list(void *arg, const struct docker_reply *r, const struct docker_ctr *ctrs, size_t n)
{
	struct dsd *d = arg;
	struct docker_ctr *mine;

	d->list_busy = false;
	if (!r->ok) {
		/* docker.c logged it; services hold what they have until the engine answers. */
		d->docker_up = false;
		metric_docker_down(d);
		goto out;
	}
	if (!d->docker_up)
		log_notice("Docker Engine answers (API %s)", docker_api_version(d->docker));
	d->docker_up = true;
	d->listed_ms = loop_now(&d->loop);
	d->trim_due = true;
	/* Without memory for the split, skip the pass: observing a partial list would
	 * take missing replicas for removed ones. */
	mine = malloc((n ? n : 1) * sizeof(*mine));
	for (size_t i = 0; i < d->nsvcs && mine != NULL; i++) {
		struct svc *s = d->svcs[i];
		size_t k = 0;

		for (size_t j = 0; j < n; j++)
			if (strcmp(ctrs[j].service, s->name) == 0)
				mine[k++] = ctrs[j];
		svc_runtime(s)->observe(s, mine, k);
	}
	free(mine);
	pass_clock_stop(d);
	for (size_t j = 0; j < n; j++)
		if (svc_find(d, ctrs[j].service) == NULL)
			note_unmanaged(d, &ctrs[j]);
	metric_collect(d);
	/* What a test waits on before it says "nothing happened" (doc/testing.md). */
	d->passes++;
out:
	if (d->once)
		control_once_check(d);
}

/* A full list this pass? Unless the event stream has kept every table since the last
 * one answered, and that one is younger than RESYNC_MS. */
static bool
list_due(struct dsd *d)
{
	if (!d->events_up || !d->docker_up || d->resync_due ||
	    loop_now(&d->loop) - d->listed_ms >= RESYNC_MS)
		return true;
	for (size_t i = 0; i < d->nsvcs; i++)
		if (!d->svcs[i]->observed)
			return true; /* a new service adopts from a list (restart safety) */
	return false;
}

/* A pass without a list: each service observes its table as the events left it. */
static void
observe_tables(struct dsd *d)
{
	for (size_t i = 0; i < d->nsvcs; i++)
		svc_runtime(d->svcs[i])->watch(d->svcs[i]);
	pass_clock_stop(d);
	metric_collect(d);
	d->passes++; /* as on_list's (doc/testing.md) */
	if (d->once)
		control_once_check(d);
}

/* Start a pass: the container list for all services when one is due, else the tables
 * the event stream keeps. */
void
control_pass(struct dsd *d)
{
	if (d->list_busy || d->stopping)
		return;
	/* A list, and the inspect of every replica it brings, is the daemon's one burst of
	 * short-lived memory (hundreds of answers at once): the heap it left free goes back
	 * to the kernel, else it stays dirty until the next burst reuses it
	 * (doc/benchmarks.md, "Idle cost at hundreds of replicas"). */
	if (d->trim_due) {
		d->trim_due = false;
		(void)malloc_trim(0);
	}
	runtime_pass(d);
	pass_clock_start(d);
	if (!list_due(d)) {
		observe_tables(d);
		return;
	}
	d->resync_due = false;
	if (docker_list(d->docker, on_list, d) == 0)
		d->list_busy = true;
}

static void
on_event(void *arg, const struct docker_event *ev)
{
	struct dsd *d = arg;
	struct svc *s = svc_find(d, ev->service);

	log_debug("docker event: %s %s (%.12s)", ev->action, ev->name, ev->id);
	/* A container of ours the table has no place for (created by hand, or by a
	 * daemon before us): the next pass lists, and adopts it. */
	if (s != NULL && !svc_event(s, ev))
		d->resync_due = true;
}

static void
on_stream(void *arg, bool up)
{
	struct dsd *d = arg;

	d->events_up = up;
	if (up) {
		log_info("following Docker events");
		d->resync_due = true;
		control_pass(d); /* catch up on what happened while the stream was down */
	} else {
		log_warning("Docker event stream lost; reconnecting");
	}
}

int
control_start(struct dsd *d)
{
	loop_timer_init(&d->once_timer, on_once_timer, d);
	if (featureset_register(d) == -1)
		return -1;
	d->httpc = httpc_new(&d->loop);
	if (d->httpc == NULL)
		return -1;
	d->docker = docker_new(&d->loop, d->httpc, d->cfg.docker_socket, d->cfg.docker_timeout_ms);
	if (d->docker == NULL)
		return -1;
	if (runtime_init(d, &d->runtimes) == -1)
		return -1;
	if (control_apply(d) == -1)
		return -1;
	if (docker_events_start(d->docker, on_event, on_stream, d, EVENTS_RETRY_MS) == -1)
		log_warning("cannot follow Docker events; relying on the %lldms pass",
		    (long long)d->cfg.interval_ms);
	return 0;
}

/* [docker] socket changed by a reload: new calls and the event stream go to the new
 * socket; calls in flight finish on the old one. The next pass lists the new Engine. */
static void
follow_socket(struct dsd *d)
{
	const char *old = docker_socket(d->docker);

	if (strcmp(old, d->cfg.docker_socket) == 0)
		return;
	log_notice("reload: [docker] socket %s -> %s: new calls go to the new socket; calls "
	    "in flight finish on the old one", old, d->cfg.docker_socket);
	if (docker_set_socket(d->docker, d->cfg.docker_socket) == -1)
		return;
	docker_events_stop(d->docker);
	d->docker_up = false;
	d->events_up = false;
	if (docker_events_start(d->docker, on_event, on_stream, d, EVENTS_RETRY_MS) == -1)
		log_warning("cannot follow Docker events on %s; relying on the %lldms pass",
		    d->cfg.docker_socket, (long long)d->cfg.interval_ms);
}

/* Match the service table to d->cfg (start-up and reload). */
int
control_apply(struct dsd *d)
{
	size_t keep = 0;

	docker_set_timeout(d->docker, d->cfg.docker_timeout_ms);
	follow_socket(d);
	(void)reqstat_apply(d); /* logged; the services read no log meanwhile */
	/* Services that left the file: their replicas keep running, unmanaged. */
	for (size_t i = 0; i < d->nsvcs; i++) {
		struct svc *s = d->svcs[i];
		const struct svc_conf *c = config_service(&d->cfg, s->name);

		if (c == NULL) {
			log_warning("%s: removed from the configuration; its %d replica(s) are "
			    "left running and no longer managed", s->name, svc_current(s));
			/* Paused ones would stay frozen for good: removed (doc/waking.md). */
			for (size_t k = 0; k < s->nreps; k++)
				replica_abandon(s->reps[k]);
			svc_free(s);
			continue;
		}
		svc_set_conf(s, c);
		d->svcs[keep++] = s;
	}
	d->nsvcs = keep;
	for (size_t i = 0; i < d->cfg.nsvcs; i++) {
		const struct svc_conf *c = &d->cfg.svcs[i];
		struct svc **v;
		struct svc *s;

		if (svc_find(d, c->name) != NULL)
			continue;
		v = realloc(d->svcs, (d->nsvcs + 1) * sizeof(*v));
		if (v == NULL)
			return -1;
		d->svcs = v;
		s = svc_new(d, c);
		if (s == NULL)
			return -1;
		d->svcs[d->nsvcs++] = s;
	}
	/* The next pass lists: what the new file manages, as it runs now. */
	d->resync_due = true;
	/* Forget the unmanaged notes: a re-added service adopts its replicas again. */
	free(d->unmanaged);
	d->unmanaged = NULL;
	d->nunmanaged = 0;
	return 0;
}

void
control_stop(struct dsd *d)
{
	for (size_t i = 0; i < d->nsvcs; i++)
		svc_free(d->svcs[i]);
	free(d->svcs);
	d->svcs = NULL;
	d->nsvcs = 0;
	reqstat_stop(d);
	free(d->unmanaged);
	d->unmanaged = NULL;
	if (d->docker != NULL)
		docker_free(d->docker); /* in-flight calls are abandoned, replicas keep running */
	d->docker = NULL;
	runtime_fini(&d->runtimes);
	httpc_free(d->httpc);
	d->httpc = NULL;
}

static bool
svc_idle(const struct svc *s)
{
	if (s->conf == NULL)
		return true;
	if (s->launch.creating > 0 || loop_timer_armed(&s->kick) || svc_current(s) != s->desired ||
	    compose_source_pending(s))
		return false;
	/* The policy must have run once (a CPU rate needs two samples). */
	if (s->sampling.stats_pending > 0 || s->sampling.prom_q != NULL || loop_timer_armed(&s->sampling.resample) ||
	    (s->conf->metrics != 0 && !s->pol.evaluated))
		return false;
	for (size_t i = 0; i < s->nreps; i++) {
		const struct replica *r = s->reps[i];

		if (r->busy || r->state == REP_CREATING || r->state == REP_DRAINING ||
		    r->state == REP_STOPPING)
			return false;
	}
	return true;
}

static void
on_once_timer(struct loop *l, struct loop_timer *t)
{
	control_once_check(t->arg);
}

/* --once: the pass is over when every action it started has finished (replicas are
 * created and started, or drained and removed); it does not wait for health. */
void
control_once_check(struct dsd *d)
{
	bool idle = true;

	if (!d->docker_up) {
		log_err("--once: the Docker Engine did not answer; pass failed");
		d->exit_code = 1;
		loop_break(&d->loop);
		return;
	}
	for (size_t i = 0; i < d->nsvcs; i++) {
		if (d->svcs[i]->launch.start_failures > 0) {
			log_err("--once: %s: a replica failed to start; pass failed", d->svcs[i]->name);
			d->exit_code = 1;
			loop_break(&d->loop);
			return;
		}
		if (!compose_source_pending(d->svcs[i]) && compose_source_blocked(d->svcs[i]) &&
		    svc_current(d->svcs[i]) < d->svcs[i]->desired) {
			log_err("--once: %s: %s; pass failed", d->svcs[i]->name,
			    compose_source_blocked(d->svcs[i]));
			d->exit_code = 1;
			loop_break(&d->loop);
			return;
		}
		idle = idle && svc_idle(d->svcs[i]);
	}
	if (idle && !d->list_busy) {
		log_info("--once: pass complete");
		loop_break(&d->loop);
		return;
	}
	if (!loop_timer_armed(&d->once_timer))
		loop_timer_start(&d->loop, &d->once_timer, 100);
}
