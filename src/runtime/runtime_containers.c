/* runtime_containers.c: the containers runtime: a service's replicas are containers of
 * its own, in a table reconciled toward the desired count one Docker operation at a time
 * (doc/replicas.md, "Reconcile" and "Restart safety"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dockscaled.h"
#include "history.h"
#include "log.h"
#include "plan.h"
#include "runtime.h"
#include "runtime_containers.h"
#include "service.h"
#include "traffic.h"

/* The replica table is this file's: records come in by table_add, and leave in sweep.
 * Room for one more: 0, or -1 (out of memory). */
static int
table_room(struct svc *s)
{
	if (s->nreps == s->capreps) {
		size_t cap = s->capreps ? s->capreps * 2 : 8;
		struct replica **v = realloc(s->reps, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		s->reps = v;
		s->capreps = cap;
	}
	return 0;
}

static int
table_add(struct svc *s, struct replica *r)
{
	if (table_room(s) == -1)
		return -1;
	s->reps[s->nreps++] = r;
	return 0;
}

static int
replicas_count(const struct svc *s, enum replica_state st)
{
	int n = 0;

	for (size_t i = 0; i < s->nreps; i++)
		n += s->reps[i]->state == st;
	return n;
}

struct replica *
runtime_containers_find(const struct svc *s, const char *id)
{
	for (size_t i = 0; i < s->nreps; i++)
		if (strcmp(s->reps[i]->id, id) == 0)
			return s->reps[i];
	return NULL;
}

static struct replica *
find_by_name(const struct svc *s, const char *name)
{
	for (size_t i = 0; i < s->nreps; i++)
		if (strcmp(s->reps[i]->name, name) == 0)
			return s->reps[i];
	return NULL;
}

bool
runtime_containers_creating(const struct svc *s, const char *name)
{
	const struct replica *r = find_by_name(s, name);

	return r != NULL && r->state == REP_CREATING;
}

/* n of "<service>-<n>", or 0 when the name is not ours in form. */
static int
name_index(const struct svc *s, const char *name)
{
	size_t len = strlen(s->name);
	char *end;
	long n;

	if (strncmp(name, s->name, len) != 0 || name[len] != '-')
		return 0;
	n = strtol(name + len + 1, &end, 10);
	return (*end == '\0' && n > 0 && n <= PLAN_MAX_INDEX) ? (int)n : 0;
}

/* "<service>-<n>.retiring-<id>": a replica that was leaving when a daemon stopped. */
static bool
name_retiring(const struct svc *s, const char *name)
{
	size_t len = strlen(s->name);

	return strncmp(name, s->name, len) == 0 && name[len] == '-' &&
	    strstr(name + len + 1, REPLICA_RETIRING_MARK) != NULL;
}

static void
adopt(struct svc *s, const struct docker_ctr *c)
{
	struct replica *r;

	if (strcmp(c->state, "removing") == 0)
		return;
	/* name_index gives 0 for a marked name: its <service>-<n> is free again. */
	r = replica_new(s, c->id, c->name, name_index(s, c->name));
	if (r == NULL)
		return;
	if (table_add(s, r) == -1) {
		log_err("%s: out of memory adopting %s", s->name, c->name);
		replica_free(r);
		return;
	}
	replica_adopt(r, c, name_retiring(s, c->name));
}

/* After a restart keep what runs (within bounds), else start at min; but never the
 * surge of a rollout the last daemon left unfinished (doc/replicas.md, "Restart safety"). */
static void
desired_after_start(struct svc *s, const struct docker_ctr *ctrs, size_t n)
{
	struct plan_found *v = calloc(n + 1, sizeof(*v));
	char why[160];
	int want;

	if (v == NULL) {
		log_err("%s: out of memory adopting replicas; desired is what runs", s->name);
		svc_set_desired(s, svc_current(s), NULL);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct replica *r = runtime_containers_find(s, ctrs[i].id);

		v[i].generation = ctrs[i].generation;
		v[i].target = ctrs[i].rollout_target;
		v[i].created = ctrs[i].created;
		v[i].counted = r != NULL && (r->state == REP_CREATING ||
		    r->state == REP_STARTING || r->state == REP_READY);
	}
	want = plan_adopt_desired(v, n, why, sizeof(why));
	free(v);
	svc_set_desired(s, want, NULL); /* within [min_replicas, max_replicas] */
	/* Not what runs: worth a notice, as a decision that changed the count is. */
	if (want != svc_current(s))
		events_log(&s->d->events, LOG_NOTICE, EV_DECISION, s->name, "%s: desired "
		    "replicas %d after the start: %s", s->name, s->desired, why);
	else
		log_info("%s: desired replicas %d after the start: %s", s->name, s->desired, why);
}

/* Merge a fresh container list into the replica table (adopt, forget, clean up). */
static void
observe(struct svc *s, const struct docker_ctr *ctrs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct docker_ctr *c = &ctrs[i];
		struct replica *r = runtime_containers_find(s, c->id);

		if (r == NULL) {
			/* A create whose answer has not arrived yet shows up under its name. */
			r = find_by_name(s, c->name);
			if (r != NULL && r->state == REP_CREATING)
				continue;
			adopt(s, c);
			continue;
		}
		if (r->state == REP_STOPPING)
			replica_advance(r);
		else if (r->state == REP_STARTING || r->state == REP_READY)
			replica_refresh(r);
	}
	/* Replicas whose container vanished behind our back. */
	for (size_t i = 0; i < s->nreps; i++) {
		struct replica *r = s->reps[i];
		bool seen = false;

		if (r->busy || r->state == REP_CREATING || r->id[0] == '\0')
			continue;
		for (size_t j = 0; j < n && !seen; j++)
			seen = strcmp(ctrs[j].id, r->id) == 0;
		if (!seen && r->state != REP_GONE)
			replica_vanished(r);
	}
	if (!s->observed) {
		svc_mark_observed(s);
		traffic_changed(s); /* the file reflects what runs, even nothing */
		if (!s->desired_set)
			desired_after_start(s, ctrs, n);
	}
	svc_kick(s);
}

static enum plan_state
plan_state_of(enum replica_state st)
{
	switch (st) {
	case REP_CREATING:
		return PLAN_CREATING;
	case REP_STARTING:
		return PLAN_STARTING;
	case REP_READY:
		return PLAN_READY;
	case REP_DRAINING:
		return PLAN_DRAINING;
	case REP_STOPPING:
		return PLAN_STOPPING;
	case REP_PAUSING: /* busy: its pause call in flight */
	case REP_PAUSED:
		return PLAN_PAUSED;
	case REP_UNPAUSING: /* counted: capacity on its way back */
		return PLAN_STARTING;
	default:
		return PLAN_GONE;
	}
}

static void
sweep(struct svc *s)
{
	size_t j = 0;

	for (size_t i = 0; i < s->nreps; i++) {
		struct replica *r = s->reps[i];

		if (r->state == REP_GONE && !r->busy)
			replica_free(r);
		else
			s->reps[j++] = r;
	}
	s->nreps = j;
}

/* Create <service>-<index> (target: the count a rollout keeps, for its label; 0 none):
 * the record joins the table while its create call runs. */
static void
launch(struct svc *s, int index, int target)
{
	struct replica *r;

	/* Room first: a record whose create call went out must be in the table. */
	if (table_room(s) == -1) {
		log_err("%s: out of memory creating a replica", s->name);
		return;
	}
	if ((r = replica_launch(s, index, target)) == NULL) {
		log_err("%s: cannot start a replica", s->name);
		return;
	}
	(void)table_add(s, r); /* fits */
	svc_react_created(s);
}

/* Carry out one action of the planner. */
static void
carry_out(struct svc *s, const struct plan_action *a)
{
	struct replica *r = a->kind == PLAN_RETIRE || a->kind == PLAN_ADVANCE ||
	    a->kind == PLAN_PAUSE || a->kind == PLAN_UNPAUSE ? s->reps[a->rep] : NULL;

	switch (a->kind) {
	case PLAN_ADVANCE:
		replica_advance(r);
		break;
	case PLAN_PAUSE:
		log_info("%s: %s: %s", s->name, a->reason, r->name);
		replica_sleep(r);
		break;
	case PLAN_UNPAUSE:
		/* e.g. its dependencies first (depends_on, doc/sleeping.md) */
		if (!svc_may_unpause(s))
			break;
		log_info("%s: %s: %s", s->name, a->reason, r->name);
		replica_wake(r);
		svc_react_created(s);
		break;
	case PLAN_RETIRE:
		/* A rollout's steps are notices (doc/rollouts.md). */
		if (strncmp(a->reason, "roll", 4) == 0)
			log_notice("%s: %s: %s", s->name, a->reason, r->name);
		else
			log_info("%s: %s: %s", s->name, a->reason, r->name);
		replica_retire(r);
		break;
	case PLAN_CREATE:
		/* E.g. the image first: while it is checked or pulled the replica waits. */
		if (!svc_may_create(s))
			break;
		if (strncmp(a->reason, "roll", 4) == 0)
			log_notice("%s: %s", s->name, a->reason);
		launch(s, a->index, a->target);
		break;
	default:
		break;
	}
}

/* The table as the planner sees it, the plan, then the Docker calls it asks for. */
static void
plan_and_act(struct svc *s)
{
	struct dsd *d = s->d;
	struct plan_replica *view = calloc(s->nreps + 1, sizeof(*view));
	/* Each replica once, and up to create_parallel creates. */
	struct plan_action *acts = calloc(s->nreps + (size_t)CREATE_PARALLEL_MAX, sizeof(*acts));
	struct plan_input in = { 0 };
	int lo;
	struct plan_result res;
	size_t n = s->nreps;

	if (view == NULL || acts == NULL) {
		log_err("%s: out of memory planning a pass", s->name);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct replica *r = s->reps[i];

		view[i].state = plan_state_of(r->state);
		view[i].index = r->index;
		view[i].born_ms = r->born_ms;
		view[i].busy = r->busy;
		view[i].ready_ms = r->state == REP_READY ? r->ready_ms : 0;
		/* In the balancer: listed by a sync the balancer has applied. */
		view[i].serving = r->state == REP_READY && r->tr.join_gen != 0 &&
		    r->tr.join_gen <= s->tr.applied;
		/* Its traffic, for scale_down_victim = least_busy (doc/traffic.md). */
		view[i].have_load = r->rq.fig.have;
		view[i].in_flight = r->rq.fig.in_flight;
		view[i].rate = r->rq.fig.rate;
	}
	in.victim = s->conf->victim == VICTIM_OLDEST ? PLAN_VICTIM_OLDEST :
	    s->conf->victim == VICTIM_NEWEST ? PLAN_VICTIM_NEWEST : PLAN_VICTIM_LEAST_BUSY;
	in.reps = view;
	in.nreps = n;
	in.desired = s->desired;
	svc_bounds(s, &lo, &in.max_replicas); /* a scheduled window's, or the service's */
	in.creating = s->launch.creating;
	in.create_parallel = s->conf->create_parallel;
	in.now_ms = loop_now(&d->loop);
	in.backoff_until = s->launch.backoff_until;
	in.taken = s->taken;
	in.ntaken = s->ntaken;
	in.create_blocked = svc_create_blocked(s);
	in.sleep_pause = s->conf->sleep == SLEEP_PAUSE; /* doc/waking.md, "Sleeping: stop or pause" */
	svc_plan_hooks(s, &in, view); /* e.g. a rollout's generation and steps */
	plan_reconcile(&in, acts, n + (size_t)CREATE_PARALLEL_MAX, &res);
	/* Positions stay valid: only a create (always last) adds to s->reps. */
	for (size_t i = 0; i < res.nacts; i++)
		carry_out(s, &acts[i]);
	svc_wake_at(s, res.wake_at, in.now_ms);
out:
	free(view);
	free(acts);
}

/* The containers runtime: one Docker operation at a time towards s->desired. */
static void
replicas_reconcile(struct svc *s)
{
	const struct svc_conf *c = s->conf;
	struct dsd *d = s->d;

	sweep(s);
	if (c == NULL || !s->observed || d->stopping)
		goto out;
	/* A dry run observes and decides; it creates and removes nothing. */
	if (d->dry_run) {
		int current = svc_current(s);

		if (svc_dry_news(s) && current != s->desired)
			log_notice("%s: dry-run: would scale %d -> %d", s->name, current, s->desired);
		goto out;
	}
	plan_and_act(s);
out:
	traffic_pass(s);
	history_add(&s->hist, loop_now(&d->loop), history_wall_ms(), svc_count(s, REP_READY),
	    s->desired, s->pol.metric, d->cfg.interval_ms > HISTORY_STEP_MS ? d->cfg.interval_ms :
	    HISTORY_STEP_MS);
}

/* ---- the containers runtime ------------------------------------------------------- */

/* A pass without a container list: the event stream kept the table (replica_event), so
 * only what the list's pass did besides merging it: a stop carried on, a starting replica
 * inspected, a ready one probed when its readiness is the probe's. No inspect of a ready
 * replica: Docker's health_status, die, oom and stop events bring one. */
static void
observe_table(struct svc *s)
{
	for (size_t i = 0; i < s->nreps; i++) {
		struct replica *r = s->reps[i];

		if (r->state == REP_STOPPING)
			replica_advance(r);
		else if (r->state == REP_STARTING)
			replica_refresh(r);
		else if (r->state == REP_READY)
			replica_watch(r);
	}
	svc_kick(s);
}

static void
replicas_observe(struct svc *s, const struct docker_ctr *mine, size_t n)
{
	if (s->conf == NULL)
		return;
	svc_observe_hooks(s); /* e.g. compose may have recreated its container */
	observe(s, mine, n);
}

static void
replicas_watch(struct svc *s)
{
	if (s->conf == NULL || !s->observed)
		return;
	svc_observe_hooks(s);
	observe_table(s);
}

static bool
replicas_never(struct svc *s, const struct decide_result *res)
{
	(void)s;
	(void)res;
	return false; /* the per-host lock already makes this the one acting instance */
}

static bool
replicas_never_refuse(struct svc *s, struct decide_result *out)
{
	(void)s;
	(void)out;
	return false;
}

static size_t
replicas_n(const struct svc *s)
{
	return s->nreps;
}

/* What the cAdvisor series show of the k-th replica (api_metrics_ctr.c). */
static void
replicas_nth(const struct svc *s, size_t k, struct runtime_sample *out)
{
	const struct replica *r = s->reps[k];

	memset(out, 0, sizeof(*out));
	out->id = r->id;
	out->name = r->name;
	out->image = r->image;
	out->st = &r->smp.st;
	out->exported = r->smp.have_cpu_sample && r->state <= REP_DRAINING;
	out->seen_at = r->smp.seen_at;
	out->started_at = r->started_at;
	out->spec_memory = r->spec_memory;
	out->spec_nano_cpus = r->spec_nano_cpus;
	out->spec_cpu_quota = r->spec_cpu_quota;
	out->spec_cpu_period = r->spec_cpu_period;
	out->spec_cpu_shares = r->spec_cpu_shares;
	out->oom_events = r->oom_events;
	out->labels[0] = (struct runtime_label){ "container", s->name };
	out->labels[1] = (struct runtime_label){ "container_label_io_dockscale_service", s->name };
	out->nlabels = 2;
}

const struct runtime_ops runtime_containers_ops = {
	.kind = "containers",
	.observe = replicas_observe,
	.watch = replicas_watch,
	.reconcile = replicas_reconcile,
	.count = replicas_count,
	.defer = replicas_never,
	.refuse_alert = replicas_never_refuse,
	.nsamples = replicas_n,
	.sample = replicas_nth,
	.status = NULL,
	.status_key = NULL,
};
