/* service.c: a service's replica table, reconciled toward the desired count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ctrdef.h"
#include "dockscaled.h"
#include "log.h"
#include "plan.h"
#include "runtime.h"
#include "service.h"

#define KICK_DELAY_MS 20 /* coalesce bursts of events into one pass */

static void on_kick(struct loop *l, struct loop_timer *t);

struct svc *
svc_new(struct dsd *d, const struct svc_conf *conf)
{
	struct svc *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->d = d;
	snprintf(s->name, sizeof(s->name), "%s", conf->name);
	s->conf = conf;
	s->def = compose_source_wanted(conf) ? NULL : ctrdef_build(conf);
	s->metric = NAN;
	pull_init(s);
	if (svc_runtime(s)->svc_init != NULL && (s->rt = svc_runtime(s)->svc_init(s)) == NULL) {
		cJSON_Delete(s->def);
		free(s);
		return NULL;
	}
	decide_state_init(&s->ds);
	loop_timer_init(&s->kick, on_kick, s);
	metric_init(s);
	if (traffic_init(s) == -1) {
		if (s->rt != NULL)
			svc_runtime(s)->svc_fini(s);
		cJSON_Delete(s->def);
		free(s);
		return NULL;
	}
	wake_init(s);
	compose_source_apply(s);
	pull_conf(s);
	rollout_define(s);
	return s;
}

void
svc_free(struct svc *s)
{
	if (s == NULL)
		return;
	loop_timer_stop(&s->d->loop, &s->kick);
	compose_source_fini(s);
	if (svc_runtime(s)->svc_fini != NULL)
		svc_runtime(s)->svc_fini(s);
	pull_fini(s);
	metric_fini(s);
	wake_fini(s);
	traffic_fini(s);
	cJSON_Delete(s->def);
	for (size_t i = 0; i < s->nreps; i++)
		replica_free(s->reps[i]);
	free(s->reps);
	free(s->taken);
	free(s);
}

void
svc_set_conf(struct svc *s, const struct svc_conf *conf)
{
	s->conf = conf;
	if (conf == NULL)
		return;
	/* A compose service keeps its definition until the source answers again. */
	if (!compose_source_wanted(conf)) {
		cJSON_Delete(s->def);
		s->def = ctrdef_build(conf);
	}
	compose_source_apply(s);
	pull_conf(s);
	pull_resolve(s); /* the reference again: a moved tag is a new generation */
	rollout_define(s);
	/* New bounds apply at once; the decision windows and cooldowns carry over, and so
	 * does a pause (README.md, "Pause and manual scale"). */
	if (s->desired_set)
		svc_set_desired(s, s->desired, NULL);
	pause_conf(s);
	scale_conf(s);
	free(s->taken);
	s->taken = NULL;
	s->ntaken = 0;
	traffic_changed(s); /* upstream_file or upstream_name may have changed */
	wake_conf(s);
	svc_kick(s);
}

void
svc_set_def(struct svc *s, cJSON *def)
{
	if (def == s->def)
		return;
	cJSON_Delete(s->def);
	s->def = def;
	pull_conf(s);      /* its image: pulled (pull = always) or checked */
	pull_resolve(s);
	rollout_define(s); /* a changed source rolls the replicas (README.md, "Rolling updates") */
	if (def != NULL)
		svc_kick(s); /* a creation may have been waiting for it */
}

int
svc_add_replica(struct svc *s, struct replica *r)
{
	if (s->nreps == s->capreps) {
		size_t cap = s->capreps ? s->capreps * 2 : 8;
		struct replica **v = realloc(s->reps, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		s->reps = v;
		s->capreps = cap;
	}
	s->reps[s->nreps++] = r;
	return 0;
}

void
svc_name_taken(struct svc *s, int index)
{
	int *v = realloc(s->taken, (s->ntaken + 1) * sizeof(*v));

	if (v == NULL)
		return;
	s->taken = v;
	s->taken[s->ntaken++] = index;
}

void
svc_membership_changed(struct svc *s)
{
	traffic_changed(s);
	/* The balancer syncs in the pass: a member that left must leave it now, whatever
	 * the planner waits for (README.md, "Rolling updates"). */
	svc_kick(s);
}

int
svc_count(const struct svc *s, enum replica_state st)
{
	return svc_runtime(s)->count(s, st);
}

static int
replicas_count(const struct svc *s, enum replica_state st)
{
	int n = 0;

	for (size_t i = 0; i < s->nreps; i++)
		n += s->reps[i]->state == st;
	return n;
}

int
svc_current(const struct svc *s)
{
	return svc_count(s, REP_CREATING) + svc_count(s, REP_STARTING) + svc_count(s, REP_READY);
}

void
svc_mark_observed(struct svc *s)
{
	s->observed = true;
}

void
svc_adopt_desired(struct svc *s, int n)
{
	s->desired = n;
	s->desired_set = true;
}

void
svc_set_desired(struct svc *s, int n, const char *why)
{
	const struct svc_conf *c = s->conf;
	int old = s->desired;

	if (c == NULL)
		return;
	if (n < c->dp.min_replicas)
		n = c->dp.min_replicas;
	if (n > c->dp.max_replicas)
		n = c->dp.max_replicas;
	s->desired = n;
	s->desired_set = true;
	if (n > svc_current(s) && s->up_trigger_us == 0)
		s->up_trigger_us = loop_clock_us();
	if (why != NULL && n != old)
		events_log(&s->d->events, LOG_NOTICE, EV_DECISION, s->name,
		    "%s: desired replicas %d -> %d (%s)", s->name, old, n, why);
	/* A request acts now; only event bursts are coalesced. */
	loop_timer_start(&s->d->loop, &s->kick, 0);
}

void
svc_kick(struct svc *s)
{
	struct loop *l = &s->d->loop;

	/* The same timer also waits for the planner's wake_at (a backoff's end, a rollout
	 * step after rollout_min_healthy), seconds away: a kick must bring it forward, or
	 * what the kick is for (a replica that died leaving the balancer) waits that long
	 * too (issue 28, finding 10). The pass re-arms wake_at. Timers count from a fresh
	 * clock reading, not the loop's cached now. */
	if (!loop_timer_armed(&s->kick) || s->kick.when > loop_clock_ms() + KICK_DELAY_MS)
		loop_timer_start(l, &s->kick, KICK_DELAY_MS);
}

static void
on_kick(struct loop *l, struct loop_timer *t)
{
	svc_reconcile(t->arg);
}

static struct replica *
find_by_id(const struct svc *s, const char *id)
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
	r->generation = c->generation;
	r->restart = c->restart;
	if (name_retiring(s, c->name) && strcmp(c->state, "running") == 0) {
		/* On its way out (drain or stop) when the last daemon stopped: finished as a
		 * removal, never counted toward desired nor as a failed start. */
		replica_adopt_retiring(r);
		return;
	}
	/* "restarting": Docker's on-failure policy is at it (README.md "Restart policy"). */
	if (strcmp(c->state, "running") == 0 || strcmp(c->state, "restarting") == 0) {
		/* Adopted as starting; the inspect that follows moves a healthy one straight
		 * back into the upstream. */
		r->state = REP_STARTING;
		r->adopted = true;
		log_info("%s: adopting running replica %s (%.12s)", s->name, c->name, c->id);
		events_add(&s->d->events, EV_REPLICA, s->name, "%s: adopting running replica %s",
		    s->name, c->name);
		replica_refresh(r);
		return;
	}
	/* created-but-never-started, exited, dead, paused: half-done or broken work. */
	log_notice("%s: removing leftover replica %s (%.12s, %s)", s->name, c->name, c->id,
	    c->state);
	replica_discard(r);
}

/* After a restart keep what runs (within bounds), else start at min; but never the
 * surge of a rollout the last daemon left unfinished (README.md, "Restart safety"). */
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
		const struct replica *r = find_by_id(s, ctrs[i].id);

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

void
svc_observe(struct svc *s, const struct docker_ctr *ctrs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct docker_ctr *c = &ctrs[i];
		struct replica *r = find_by_id(s, c->id);

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
		if (!seen && r->state != REP_GONE) {
			if (r->state == REP_READY || r->state == REP_STARTING)
				events_log(&s->d->events, LOG_WARNING, EV_REPLICA, s->name,
				    "%s: replica %s was removed outside dockscale", s->name, r->name);
			if (r->state == REP_READY)
				svc_membership_changed(s);
			r->state = REP_GONE;
		}
	}
	if (!s->observed) {
		s->observed = true;
		traffic_changed(s); /* the file reflects what runs, even nothing */
		if (!s->desired_set)
			desired_after_start(s, ctrs, n);
	}
	svc_kick(s);
}

void
svc_event(struct svc *s, const struct docker_event *ev)
{
	struct replica *r = find_by_id(s, ev->id);

	if (r == NULL)
		return;
	/* container_oom_events_total: the engine's own count, one event per OOM kill. */
	if (strcmp(ev->action, "oom") == 0)
		r->oom_events++;
	if (strncmp(ev->action, "health_status", 13) == 0 || strcmp(ev->action, "die") == 0 ||
	    strcmp(ev->action, "oom") == 0 || strcmp(ev->action, "stop") == 0)
		replica_refresh(r);
	else if (strcmp(ev->action, "destroy") == 0 && !r->busy && r->state != REP_CREATING) {
		if (r->state == REP_READY)
			svc_membership_changed(s);
		r->state = REP_GONE;
		svc_kick(s);
	}
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

/* Carry out one action of the planner. */
static void
carry_out(struct svc *s, const struct plan_action *a)
{
	struct replica *r = a->kind == PLAN_RETIRE || a->kind == PLAN_ADVANCE ?
	    s->reps[a->rep] : NULL;

	switch (a->kind) {
	case PLAN_ADVANCE:
		replica_advance(r);
		break;
	case PLAN_RETIRE:
		/* A rollout's steps are notices (README.md, "Rolling updates"). */
		if (strncmp(a->reason, "roll", 4) == 0)
			log_notice("%s: %s: %s", s->name, a->reason, r->name);
		else
			log_info("%s: %s: %s", s->name, a->reason, r->name);
		replica_retire(r);
		break;
	case PLAN_CREATE:
		/* The image first: while it is checked or pulled the replica waits. */
		if (!pull_ready(s))
			break;
		if (strncmp(a->reason, "roll", 4) == 0)
			log_notice("%s: %s", s->name, a->reason);
		if (replica_launch(s, a->index, a->target) == -1)
			log_err("%s: cannot start a replica", s->name);
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
	struct plan_action *acts = calloc(s->nreps + 1, sizeof(*acts));
	struct plan_input in = { 0 };
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
		view[i].generation = rollout_generation_of(s, r);
		view[i].ready_ms = r->state == REP_READY ? r->ready_ms : 0;
		/* In the balancer: listed by a sync the balancer has applied. */
		view[i].serving = r->state == REP_READY && r->join_gen != 0 &&
		    r->join_gen <= s->tr.applied;
	}
	in.reps = view;
	in.nreps = n;
	in.desired = s->desired;
	in.max_replicas = s->conf->dp.max_replicas;
	in.op_busy = s->op_busy;
	in.now_ms = loop_now(&d->loop);
	in.backoff_until = s->backoff_until;
	in.taken = s->taken;
	in.ntaken = s->ntaken;
	in.create_blocked = compose_source_blocked(s);
	rollout_pass(s, &in);
	plan_reconcile(&in, acts, n + 1, &res);
	/* Positions stay valid: only a create (always last) adds to s->reps. */
	for (size_t i = 0; i < res.nacts; i++)
		carry_out(s, &acts[i]);
	if (res.wake_at != 0 &&
	    (!loop_timer_armed(&s->kick) || s->kick.when > res.wake_at))
		loop_timer_start(&d->loop, &s->kick, res.wake_at - in.now_ms);
out:
	free(view);
	free(acts);
}

void
svc_reconcile(struct svc *s)
{
	svc_runtime(s)->reconcile(s);
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

		if (current != s->desired && s->dry_said != s->desired)
			log_notice("%s: dry-run: would scale %d -> %d", s->name, current, s->desired);
		s->dry_said = s->desired;
		goto out;
	}
	plan_and_act(s);
out:
	traffic_pass(s);
	history_add(&s->hist, loop_now(&d->loop), history_wall_ms(), svc_count(s, REP_READY),
	    s->desired, s->metric, d->cfg.interval_ms > HISTORY_STEP_MS ? d->cfg.interval_ms :
	    HISTORY_STEP_MS);
}

/* ---- the containers runtime ------------------------------------------------------- */

static void
replicas_observe(struct svc *s, const struct docker_ctr *mine, size_t n)
{
	if (s->conf == NULL)
		return;
	compose_source_lookup(s); /* each pass: compose may have recreated it */
	svc_observe(s, mine, n);
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

static void
replicas_nth(const struct svc *s, size_t k, struct runtime_sample *out)
{
	runtime_sample_replica(s, s->reps[k], out);
}

const struct runtime_ops runtime_containers_ops = {
	.kind = "containers",
	.observe = replicas_observe,
	.reconcile = replicas_reconcile,
	.count = replicas_count,
	.defer = replicas_never,
	.refuse_alert = replicas_never_refuse,
	.nsamples = replicas_n,
	.sample = replicas_nth,
	.status = NULL,
	.status_key = NULL,
};

const struct runtime_ops *
svc_runtime(const struct svc *s)
{
	return runtime_for(s->conf);
}
