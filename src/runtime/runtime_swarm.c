/* runtime_swarm.c: a runtime = swarm service: its count read from the Swarm service and its
 * tasks, and set through POST /services/{id}/update by the leader's instance only
 * (doc/swarm.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "dockscaled.h"
#include "log.h"
#include "runtime.h"
#include "service.h"
#include "swarm.h"
#include "swarm_config.h"

/* A name swarm_service accepts is one the Engine's calls take. */
_Static_assert(SWARM_CONFIG_NAME_MAX <= SWARM_NAME_MAX, "swarm_service longer than a name");

/* A Swarm service (runtime = swarm): s->rt, owned and written by this file only. */
struct svc_swarm {
	struct svc *svc;
	bool reading;              /* the pass's GET service -> GET tasks in flight */
	bool updating;             /* an update (read, POST, retries) in flight */
	bool have;                 /* the service and its tasks were read once */
	struct swarm_service sv;   /* the last read of the service */
	struct swarm_counts counts; /* its tasks then */
	int target;                /* the count the update in flight sets */
	int tries;                 /* reads of that update so far */
	bool missing_said;         /* "no such swarm service" logged */
	bool defer_said;           /* "not the leader, not acting" logged since the last act */
	int dry_said;              /* --dry-run: the count last reported */
	char why[320];             /* the last read or update failure; "" none */
	uint64_t updates, conflicts, failures;
	int64_t update_start_us;   /* loop clock of the update's first read */
	struct swarm_tasks tasks;  /* its tasks on this node, for /metrics (swarm_tasks.c) */
};

static void update_read(struct svc_swarm *w);

static struct svc_swarm *
sw(const struct svc *s)
{
	return s->rt;
}

/* The daemon-wide part: whether this instance acts (swarm_leader.c). */
static struct swarm_leader *
leader(const struct dsd *d)
{
	return runtime_state(&d->runtimes, &runtime_swarm_ops);
}

/* The Swarm service's name: swarm_service (swarm_config.c), else the section's. */
static const char *
swarm_name(const struct svc *s)
{
	const struct swarm_svc_conf *c = s->conf != NULL ? config_ext(s->conf->kinds, "swarm") :
	    NULL;

	return c != NULL && c->service[0] != '\0' ? c->service : s->name;
}

static void *
svc_swarm_init(struct svc *s)
{
	struct svc_swarm *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		log_err("%s: out of memory", s->name);
		return NULL;
	}
	w->svc = s;
	return w;
}

static void
svc_swarm_fini(struct svc *s)
{
	struct svc_swarm *w = sw(s);

	if (s->d->docker != NULL)
		docker_cancel_arg(s->d->docker, w);
	swarm_tasks_fini(&w->tasks);
	free(w);
}

static int
svc_swarm_count(const struct svc *s, enum replica_state st)
{
	const struct svc_swarm *w = sw(s);
	int rest;

	if (!w->have)
		return 0;
	rest = w->sv.replicas - w->counts.running;
	if (st == REP_READY)
		return w->counts.running;
	if (st == REP_STARTING)
		return rest > 0 ? rest : 0;
	return 0;
}

static void
on_tasks(void *arg, const struct docker_reply *r, const char *body, size_t len)
{
	struct svc_swarm *w = arg;
	struct svc *s = w->svc;
	struct swarm_counts c;

	(void)len;
	w->reading = false;
	if (!r->ok || swarmjson_tasks(body, w->sv.id, NULL, 0, &c) == -1) {
		(void)snprintf(w->why, sizeof(w->why), "task list: %s", r->ok ? "malformed" :
		    r->error);
		return;
	}
	w->counts = c;
	w->have = true;
	svc_mark_observed(s);
	/* The count is the leader's to change: elsewhere (and before the first decision
	 * of a new leader) desired is what Swarm has now. */
	if (!s->desired_set || !swarm_leader_is(leader(s->d)))
		svc_adopt_desired(s, w->sv.replicas);
	svc_kick(s);
}

static void
on_service(void *arg, const struct docker_reply *r, const char *body, size_t len)
{
	struct svc_swarm *w = arg;
	struct svc *s = w->svc;

	(void)len;
	if (!r->ok || swarmjson_service(body, &w->sv) == -1) {
		w->reading = false;
		if (r->status == 404 && !w->missing_said)
			log_warning("%s: no Swarm service %s on this Engine's cluster: nothing to "
			    "scale until it exists", s->name, swarm_name(s));
		w->missing_said = r->status == 404;
		(void)snprintf(w->why, sizeof(w->why), "service: %s", r->ok ? "malformed answer" :
		    r->error);
		w->have = false;
		return;
	}
	w->missing_said = false;
	if (!w->sv.replicated) {
		w->reading = false;
		(void)snprintf(w->why, sizeof(w->why), "%s is a global service: it has no count "
		    "to scale", swarm_name(s));
		w->have = false;
		return;
	}
	w->why[0] = '\0';
	if (swarm_tasks(s->d->docker, w->sv.id, on_tasks, w) == -1)
		w->reading = false;
}

static void
svc_swarm_pass(struct svc *s)
{
	struct svc_swarm *w = sw(s);

	/* this node's tasks, for /metrics, leader or not */
	if (!s->d->stopping)
		swarm_tasks_sample(&w->tasks, s->d->docker, swarm_name(s));
	/* A worker's Engine answers no service call: it only exports its tasks' series. */
	if (w->reading || w->updating || s->d->stopping ||
	    swarm_leader_worker(leader(s->d)))
		return;
	if (swarm_service_get(s->d->docker, swarm_name(s), on_service, w) == 0)
		w->reading = true;
}

/* The update is over (done or given up): follow a desired count that moved meanwhile. */
static void
update_end(struct svc_swarm *w)
{
	w->updating = false;
	if (w->svc->desired != w->sv.replicas)
		svc_kick(w->svc);
}

static void
on_update(void *arg, const struct docker_reply *r, const char *body, size_t len)
{
	struct svc_swarm *w = arg;
	struct svc *s = w->svc;
	int from = w->sv.replicas;

	(void)body;
	(void)len;
	if (r->ok) {
		w->updates++;
		w->sv.replicas = w->target;
		w->defer_said = false;
		events_log(&s->d->events, LOG_NOTICE, EV_CLUSTER, s->name, "swarm service %s: "
		    "replicas %d -> %d (version %llu, %d read(s), %.0f ms)", swarm_name(s), from,
		    w->target, (unsigned long long)w->sv.version, w->tries,
		    (double)(loop_clock_us() - w->update_start_us) / 1000.0);
		update_end(w);
		return;
	}
	/* Someone changed the service between our read and our update: read it again
	 * and send their spec with our count; theirs is never overwritten. */
	if (swarmjson_out_of_sequence(r->error) && w->tries < SWARM_UPDATE_TRIES) {
		w->conflicts++;
		log_info("%s: swarm service %s changed since version %llu: reading it again "
		    "(try %d of %d)", s->name, swarm_name(s), (unsigned long long)w->sv.version,
		    w->tries + 1, SWARM_UPDATE_TRIES);
		update_read(w);
		return;
	}
	w->failures++;
	(void)snprintf(w->why, sizeof(w->why), "update: %s", r->error);
	events_log(&s->d->events, LOG_WARNING, EV_CLUSTER, s->name, "swarm service %s: "
	    "replicas %d -> %d failed after %d read(s): %s", swarm_name(s), from, w->target,
	    w->tries, r->error);
	swarm_leader_check(leader(s->d)); /* "not the leader" is the usual reason */
	update_end(w);
}

static void
on_update_read(void *arg, const struct docker_reply *r, const char *body, size_t len)
{
	struct svc_swarm *w = arg;
	struct svc *s = w->svc;
	struct swarm_service sv;
	char why[128], *spec;

	(void)len;
	if (!r->ok || swarmjson_service(body, &sv) == -1) {
		w->failures++;
		(void)snprintf(w->why, sizeof(w->why), "update read: %s", r->ok ? "malformed" :
		    r->error);
		update_end(w);
		return;
	}
	w->sv = sv;
	if (sv.replicated && sv.replicas == w->target) {
		update_end(w); /* already there */
		return;
	}
	spec = swarmjson_scale_body(body, w->target, why, sizeof(why));
	if (spec == NULL) {
		w->failures++;
		(void)snprintf(w->why, sizeof(w->why), "update: %s", why);
		update_end(w);
		return;
	}
	if (swarm_service_update(s->d->docker, sv.id, sv.version, spec, on_update, w) == -1) {
		w->failures++;
		update_end(w);
	}
	free(spec);
}

static void
update_read(struct svc_swarm *w)
{
	w->tries++;
	if (swarm_service_get(w->svc->d->docker, w->sv.id, on_update_read, w) == -1)
		update_end(w);
}

static void
svc_swarm_reconcile(struct svc *s)
{
	struct svc_swarm *w = sw(s);
	struct dsd *d = s->d;

	if (!w->have || w->updating || w->reading || d->stopping ||
	    s->desired == w->sv.replicas)
		return;
	if (d->dry_run) {
		if (w->dry_said != s->desired)
			log_notice("%s: dry-run: would set swarm service %s to %d replicas (has %d)",
			    s->name, swarm_name(s), s->desired, w->sv.replicas);
		w->dry_said = s->desired;
		return;
	}
	if (!swarm_leader_is(leader(d)))
		return;
	w->updating = true;
	w->target = s->desired;
	w->tries = 0;
	w->update_start_us = loop_clock_us();
	update_read(w);
}

static bool
svc_swarm_defer(struct svc *s, const struct decide_result *res)
{
	char who[448];

	if (swarm_leader_is(leader(s->d)))
		return false;
	if (!swarm_leader_known(leader(s->d))) {
		/* Claim nothing before the first check answers (it kicks the services). */
		log_debug("%s: the policy would scale %s to %d; waiting for the first Swarm "
		    "leadership check", s->name, decide_dir_name(res->dir), res->desired);
	} else if (!sw(s)->defer_said) {
		swarm_leader_name(leader(s->d), who, sizeof(who));
		log_info("%s: the policy would scale %s to %d; not acting: this instance is not "
		    "the Swarm leader (leader: %s)", s->name, decide_dir_name(res->dir),
		    res->desired, who);
		sw(s)->defer_said = true;
	}
	return true;
}

static bool
svc_swarm_refuse_alert(struct svc *s, struct decide_result *out)
{
	char who[448];

	if (swarm_leader_is(leader(s->d)))
		return false;
	swarm_leader_name(leader(s->d), who, sizeof(who));
	memset(out, 0, sizeof(*out));
	out->dir = DECIDE_HOLD;
	out->desired = s->desired;
	if (!swarm_leader_known(leader(s->d)))
		(void)snprintf(out->reason, sizeof(out->reason), "the Swarm leadership is not "
		    "known yet (its first check has not answered): hold");
	else
		(void)snprintf(out->reason, sizeof(out->reason), "not the Swarm leader: the "
		    "instance on %.200s acts", who);
	log_info("%s: alert held: %s", s->name, out->reason);
	return true;
}

static cJSON *
svc_swarm_status(const struct svc *s)
{
	const struct svc_swarm *w = sw(s);
	cJSON *o = cJSON_CreateObject();
	char who[448];

	if (o == NULL)
		return NULL;
	swarm_leader_name(leader(s->d), who, sizeof(who));
	cJSON_AddStringToObject(o, "service", swarm_name(s));
	cJSON_AddBoolToObject(o, "found", w->have);
	cJSON_AddStringToObject(o, "id", w->sv.id);
	cJSON_AddNumberToObject(o, "version", (double)w->sv.version);
	cJSON_AddNumberToObject(o, "spec_replicas", w->sv.replicas);
	cJSON_AddNumberToObject(o, "tasks_running", w->counts.running);
	cJSON_AddNumberToObject(o, "tasks_pending", w->counts.pending);
	cJSON_AddStringToObject(o, "image", w->sv.image);
	cJSON_AddBoolToObject(o, "leader", swarm_leader_is(leader(s->d)));
	cJSON_AddStringToObject(o, "acting_instance", who);
	cJSON_AddNumberToObject(o, "updates", (double)w->updates);
	cJSON_AddNumberToObject(o, "conflicts_retried", (double)w->conflicts);
	cJSON_AddNumberToObject(o, "update_failures", (double)w->failures);
	if (w->why[0] != '\0')
		cJSON_AddStringToObject(o, "error", w->why);
	else
		cJSON_AddNullToObject(o, "error");
	return o;
}

static void
swarm_observe(struct svc *s, const struct docker_ctr *mine, size_t n)
{
	(void)mine; /* its tasks are Swarm's: read from the service, not the list */
	(void)n;
	svc_swarm_pass(s);
}

static void
swarm_watch(struct svc *s)
{
	svc_swarm_pass(s); /* no container list either way */
}

static void *
swarm_init(struct dsd *d)
{
	return swarm_leader_new(d);
}

static void
swarm_fini(void *state)
{
	swarm_leader_free(state);
}

static void
swarm_pass(struct dsd *d)
{
	swarm_leader_check(leader(d)); /* no-op without swarm services */
}

/* With swarm services, the daemon is ready once this instance knows whether it leads:
 * an answer before that could only guess (issue 28, finding 12). A failed check counts. */
static const struct runtime_wait swarm_wait = {
	.waits_for = "waiting for the first Swarm leadership check",
	.what = "the first Swarm leadership check",
	.meanwhile = "scale requests for swarm services get 503 until it does",
};

static const struct runtime_wait *
swarm_ready_wait(struct dsd *d, void (*cb)(struct dsd *d))
{
	if (!swarm_leader_wanted(leader(d)))
		return NULL;
	swarm_leader_on_first(leader(d), cb);
	return &swarm_wait;
}

/* A Swarm service's count is the leader's instance's to set: say where to send it, once
 * that is known. */
static enum runtime_act
swarm_may_act(const struct svc *s, char *why, size_t len)
{
	const struct swarm_leader *l = leader(s->d);
	char who[128];

	if (!swarm_leader_known(l)) {
		(void)snprintf(why, len, "the Swarm leadership is not known yet (the first check "
		    "has not answered); retry");
		return RUNTIME_ACT_UNKNOWN;
	}
	if (swarm_leader_is(l))
		return RUNTIME_ACTS;
	swarm_leader_name(l, who, sizeof(who));
	(void)snprintf(why, len, "not the Swarm leader: send scale requests to the dockscaled "
	    "on the leader, %s", who);
	return RUNTIME_ACT_ELSEWHERE;
}

static size_t
swarm_nsamples(const struct svc *s)
{
	return sw(s)->tasks.n;
}

/* A task container's cAdvisor labels are the engine's com.docker.swarm.* labels, which a
 * Prometheus scraping every node sums by service. */
static void
swarm_sample(const struct svc *s, size_t k, struct runtime_sample *out)
{
	const struct swarm_sample *x = sw(s)->tasks.v[k];
	const struct runtime_label labels[] = {
		{ "container_label_com_docker_swarm_node_id", x->l.node_id },
		{ "container_label_com_docker_swarm_service_id", x->l.service_id },
		{ "container_label_com_docker_swarm_service_name", swarm_name(s) },
		{ "container_label_com_docker_swarm_task_id", x->l.task_id },
		{ "container_label_com_docker_swarm_task_name", x->l.name },
	};

	_Static_assert(sizeof(labels) <= sizeof(out->labels), "RUNTIME_LABELS_MAX too small");
	memset(out, 0, sizeof(*out));
	out->id = x->l.id;
	out->name = x->l.name;
	out->image = x->l.image;
	out->st = &x->st;
	out->exported = x->have;
	out->seen_at = x->seen_at;
	memcpy(out->labels, labels, sizeof(labels));
	out->nlabels = sizeof(labels) / sizeof(labels[0]);
}

const struct runtime_ops runtime_swarm_ops = {
	.kind = "swarm",
	.init = swarm_init,
	.fini = swarm_fini,
	.pass = swarm_pass,
	.ready_wait = swarm_ready_wait,
	.may_act = swarm_may_act,
	.svc_init = svc_swarm_init,
	.svc_fini = svc_swarm_fini,
	.observe = swarm_observe,
	.watch = swarm_watch,
	.reconcile = svc_swarm_reconcile,
	.count = svc_swarm_count,
	.defer = svc_swarm_defer,
	.refuse_alert = svc_swarm_refuse_alert,
	.nsamples = swarm_nsamples,
	.sample = swarm_sample,
	.status = svc_swarm_status,
	.status_key = "swarm",
};
