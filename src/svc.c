/* svc.c: what every part of a service calls (its desired count, its kick, its counts)
 * and the hooks its optional features plug into; it calls no part and no feature by
 * name (doc/architecture.md). */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "dockscaled.h"
#include "log.h"
#include "runtime.h"
#include "service.h"

#define KICK_DELAY_MS 20 /* coalesce bursts of events into one pass */

static void on_kick(struct loop *l, struct loop_timer *t);

int
svc_feature_add(struct dsd *d, const struct svc_feature *f)
{
	struct svc_features *fs = &d->features;

	for (size_t i = 0; i < fs->n; i++)
		if (fs->v[i] == f)
			return 0;
	if (fs->n == SVC_FEATURES_MAX) {
		log_err("%s: more than %d features; not registered", f->name, SVC_FEATURES_MAX);
		return -1;
	}
	fs->v[fs->n++] = f;
	return 0;
}

size_t
svc_features(const struct dsd *d)
{
	return d->features.n;
}

const struct svc_feature *
svc_feature_at(const struct dsd *d, size_t i)
{
	return i < d->features.n ? d->features.v[i] : NULL;
}

void *
svc_ext(const struct svc *s, const struct svc_feature *f)
{
	const struct svc_features *fs = &s->d->features;

	for (size_t i = 0; i < fs->n; i++)
		if (fs->v[i] == f)
			return s->ext[i];
	return NULL;
}

/* ---- the hooks, run in registration order ------------------------------------------- */

/* Each feature of the daemon d that has the hook, as F. */
#define EACH(d, hook) \
	for (size_t i_ = 0; i_ < (d)->features.n; i_++) \
		if ((F = (d)->features.v[i_])->hook != NULL)

bool
svc_owns_def(const struct dsd *d, const struct svc_conf *c)
{
	const struct svc_feature *F;

	EACH(d, owns_def)
		if (F->owns_def(c))
			return true;
	return false;
}

void
svc_conf_changed(struct svc *s, bool first)
{
	const struct svc_feature *F;

	EACH(s->d, conf)
		F->conf(s, first);
}

void
svc_def_changed(struct svc *s)
{
	const struct svc_feature *F;

	EACH(s->d, def_changed)
		F->def_changed(s);
}

void
svc_image_changed(struct svc *s)
{
	const struct svc_feature *F;

	EACH(s->d, image_changed)
		F->image_changed(s);
}

void
svc_observe_hooks(struct svc *s)
{
	const struct svc_feature *F;

	EACH(s->d, observe)
		F->observe(s);
}

void
svc_plan_hooks(struct svc *s, struct plan_input *in, struct plan_replica *view)
{
	const struct svc_feature *F;

	EACH(s->d, plan)
		F->plan(s, in, view);
}

const char *
svc_create_blocked(const struct svc *s)
{
	const struct svc_feature *F;
	const char *why;

	if (s->def != NULL)
		return NULL;
	EACH(s->d, blocked)
		if ((why = F->blocked(s)) != NULL)
			return why;
	return "no container definition (see the log)";
}

bool
svc_may_create(struct svc *s)
{
	const struct svc_feature *F;

	EACH(s->d, may_create)
		if (!F->may_create(s))
			return false;
	return true;
}

bool
svc_may_unpause(struct svc *s)
{
	const struct svc_feature *F;

	EACH(s->d, may_unpause)
		if (!F->may_unpause(s))
			return false;
	return true;
}

void
svc_replica_labels(const struct svc *s, struct replica_labels *lab)
{
	const struct svc_feature *F;

	memset(lab, 0, sizeof(*lab));
	EACH(s->d, labels)
		F->labels(s, lab);
}

void
svc_no_image(struct svc *s)
{
	const struct svc_feature *F;

	EACH(s->d, no_image)
		F->no_image(s);
}

bool
svc_by_ip(const struct svc *s)
{
	const struct svc_feature *F;
	const struct svc_conf *c = s->conf;

	if (c != NULL && c->network != NULL && c->network[0] != '\0')
		return true;
	EACH(s->d, by_ip)
		if (F->by_ip(s))
			return true;
	return false;
}

void
svc_replica_lost(struct replica *r, const char *why)
{
	const struct svc_feature *F;

	EACH(r->svc->d, replica_lost)
		F->replica_lost(r, why);
}

void
svc_replica_ready(struct replica *r)
{
	const struct svc_feature *F;

	EACH(r->svc->d, replica_ready)
		F->replica_ready(r);
}

void
svc_serving(struct svc *s)
{
	const struct svc_feature *F;

	EACH(s->d, serving)
		F->serving(s);
}

int
svc_policy_count(const struct svc *s)
{
	const struct svc_feature *F;
	int n = svc_current(s);

	EACH(s->d, policy_count)
		n = F->policy_count(s, n);
	return n;
}

bool
svc_policy_hold(struct svc *s, int64_t now, char *why, size_t len)
{
	const struct svc_feature *F;

	EACH(s->d, policy_hold)
		if (F->policy_hold(s, now, why, len))
			return true;
	return false;
}

bool
svc_alert_hold(struct svc *s, const char *why, struct decide_result *out)
{
	const struct svc_feature *F;

	EACH(s->d, alert_hold)
		if (F->alert_hold(s, why, out))
			return true;
	return false;
}

void
svc_bounds(const struct svc *s, int *min, int *max)
{
	const struct svc_feature *F;

	*min = s->conf != NULL ? s->conf->dp.min_replicas : 0;
	*max = s->conf != NULL ? s->conf->dp.max_replicas : 0;
	EACH(s->d, bounds)
		if (F->bounds(s, min, max))
			return;
}

void
svc_status_hooks(const struct svc *s, struct cJSON *o, int64_t now)
{
	const struct svc_feature *F;

	EACH(s->d, status)
		F->status(s, o, now);
}

#undef EACH

/* ---- the service's own verbs ------------------------------------------------------ */

void
svc_base_init(struct svc *s)
{
	loop_timer_init(&s->kick, on_kick, s);
}

void
svc_base_fini(struct svc *s)
{
	loop_timer_stop(&s->d->loop, &s->kick);
	free(s->taken);
	s->taken = NULL;
	s->ntaken = 0;
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
svc_names_free(struct svc *s)
{
	free(s->taken);
	s->taken = NULL;
	s->ntaken = 0;
}

enum readiness_mode
svc_readiness_mode(const struct svc *s)
{
	return s->conf != NULL ? s->conf->readiness : READINESS_AUTO;
}

const struct runtime_ops *
svc_runtime(const struct svc *s)
{
	return runtime_for(s->conf);
}

int
svc_count(const struct svc *s, enum replica_state st)
{
	return svc_runtime(s)->count(s, st);
}

int
svc_current(const struct svc *s)
{
	/* An unpause in flight is capacity on its way back; a paused one is none. */
	return svc_count(s, REP_CREATING) + svc_count(s, REP_STARTING) + svc_count(s, REP_READY) +
	    svc_count(s, REP_UNPAUSING);
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

bool
svc_dry_news(struct svc *s)
{
	bool news = s->dry_said != s->desired;

	s->dry_said = s->desired;
	return news;
}

void
svc_set_desired(struct svc *s, int n, const char *why)
{
	const struct svc_conf *c = s->conf;
	int old = s->desired, lo, hi;

	if (c == NULL)
		return;
	svc_bounds(s, &lo, &hi);
	if (n < lo)
		n = lo;
	if (n > hi)
		n = hi;
	s->desired = n;
	s->desired_set = true;
	if (n > svc_current(s) && s->react.trigger_us == 0)
		s->react.trigger_us = loop_clock_us();
	if (why != NULL && n != old)
		events_log(&s->d->events, LOG_NOTICE, EV_DECISION, s->name,
		    "%s: desired replicas %d -> %d (%s)", s->name, old, n, why);
	/* A request acts now; only event bursts are coalesced. */
	loop_timer_start(&s->d->loop, &s->kick, 0);
}

void
svc_react_created(struct svc *s)
{
	struct reaction *re = &s->react;

	if (re->trigger_us == 0)
		return;
	re->create_us = loop_clock_us() - re->trigger_us;
	/* The scale-up is answered when enough creations went out for it. */
	if (svc_current(s) >= s->desired)
		re->trigger_us = 0;
}

void
svc_react(struct svc *s, enum react_step step, int64_t trigger_us)
{
	int64_t us = loop_clock_us() - trigger_us;

	if (step == REACT_READY)
		s->react.ready_us = us;
	else
		s->react.serving_us = us;
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

void
svc_kick_now(struct svc *s)
{
	/* The next loop turn: whatever else turned ready in this one rides along. */
	if (!loop_timer_armed(&s->kick) || s->kick.when > loop_clock_ms())
		loop_timer_start(&s->d->loop, &s->kick, 0);
}

void
svc_wake_at(struct svc *s, int64_t at, int64_t now)
{
	if (at != 0 && (!loop_timer_armed(&s->kick) || s->kick.when > at))
		loop_timer_start(&s->d->loop, &s->kick, at - now);
}

bool
svc_kick_pending(const struct svc *s)
{
	return loop_timer_armed(&s->kick);
}

void
svc_reconcile(struct svc *s)
{
	svc_runtime(s)->reconcile(s);
}

static void
on_kick(struct loop *l, struct loop_timer *t)
{
	svc_reconcile(t->arg);
}
