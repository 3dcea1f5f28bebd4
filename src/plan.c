/* plan.c: the pure reconcile planner: which replica to create, retire or push on. */
#include "plan.h"

#include <stdarg.h>
#include <stdio.h>

const char *
plan_kind_name(enum plan_kind k)
{
	switch (k) {
	case PLAN_CREATE:
		return "create";
	case PLAN_RETIRE:
		return "retire";
	case PLAN_ADVANCE:
		return "advance";
	case PLAN_PAUSE:
		return "pause";
	case PLAN_UNPAUSE:
		return "unpause";
	default:
		return "hold";
	}
}

static bool
present(const struct plan_replica *r)
{
	return r->state == PLAN_CREATING || r->state == PLAN_STARTING || r->state == PLAN_READY;
}

/* Adds one action; false when out is full (the result says so). */
static bool
add(struct plan_action *out, size_t cap, struct plan_result *res, enum plan_kind kind,
    size_t rep, int index, const char *fmt, ...)
{
	struct plan_action *a;
	va_list ap;

	if (res->nacts >= cap) {
		res->truncated = true;
		return false;
	}
	a = &out[res->nacts++];
	a->kind = kind;
	a->rep = rep;
	a->index = index;
	a->target = 0;
	va_start(ap, fmt);
	/* A reason cut short is still a reason: truncation is harmless here. */
	(void)vsnprintf(a->reason, sizeof(a->reason), fmt, ap);
	va_end(ap);
	return true;
}

/* least_busy weighs both by their traffic: both have figures. */
static bool
by_load(const struct plan_input *in, const struct plan_replica *a,
    const struct plan_replica *b)
{
	return in->victim == PLAN_VICTIM_LEAST_BUSY && a->have_load && b->have_load &&
	    a->state == PLAN_READY && b->state == PLAN_READY;
}

/* Is a better scale-down victim than b: not ready before ready, outdated before
 * current, then by the rule (least busy: fewer in flight, then fewer recent requests;
 * oldest; else newest), then the highest index (so equal birth times still give one
 * answer). */
static bool
better_victim(const struct plan_input *in, const struct plan_replica *a,
    const struct plan_replica *b)
{
	bool a_ready = a->state == PLAN_READY, b_ready = b->state == PLAN_READY;
	bool a_old = a->generation != in->generation, b_old = b->generation != in->generation;

	if (a_ready != b_ready)
		return !a_ready;
	if (a_old != b_old)
		return a_old;
	if (by_load(in, a, b)) {
		if (a->in_flight != b->in_flight)
			return a->in_flight < b->in_flight;
		if (a->rate != b->rate)
			return a->rate < b->rate;
	}
	if (a->born_ms != b->born_ms)
		return in->victim == PLAN_VICTIM_OLDEST ? a->born_ms < b->born_ms
		                                        : a->born_ms > b->born_ms;
	return in->victim == PLAN_VICTIM_OLDEST ? a->index < b->index : a->index > b->index;
}

/* How the victim was chosen, for the reason: "least busy" only when figures decided. */
static const char *
victim_rule(const struct plan_input *in, const struct plan_replica *r)
{
	if (in->victim == PLAN_VICTIM_LEAST_BUSY && r->have_load && r->state == PLAN_READY)
		return "least busy";
	return in->victim == PLAN_VICTIM_OLDEST ? "oldest" : "newest";
}

static const char *
victim_kind(const struct plan_input *in, const struct plan_replica *r)
{
	bool old = r->generation != in->generation;

	switch (r->state) {
	case PLAN_CREATING:
		return old ? "outdated creating" : "creating";
	case PLAN_STARTING:
		return old ? "outdated starting" : "starting";
	default:
		return old ? "outdated ready" : "ready";
	}
}

/* Already picked by this pass. */
static bool
picked(const struct plan_action *out, const struct plan_result *res, size_t i)
{
	for (size_t k = 0; k < res->nacts; k++)
		if ((out[k].kind == PLAN_RETIRE || out[k].kind == PLAN_PAUSE ||
		    out[k].kind == PLAN_UNPAUSE) && out[k].rep == i)
			return true;
	return false;
}

static void
plan_down(const struct plan_input *in, struct plan_action *out, size_t cap,
    struct plan_result *res)
{
	int cur = res->current;

	if (in->down_blocked != NULL) {
		add(out, cap, res, PLAN_HOLD, 0, 0, "scale down %d -> %d: %s", cur, in->desired,
		    in->down_blocked);
		return;
	}
	/* As many as needed at once: drains run side by side. */
	while (cur > in->desired) {
		size_t best = in->nreps;

		for (size_t i = 0; i < in->nreps; i++)
			if (present(&in->reps[i]) && !picked(out, res, i) && (best == in->nreps ||
			    better_victim(in, &in->reps[i], &in->reps[best])))
				best = i;
		if (best == in->nreps)
			break;
		/* To sleep, not away: a ready replica of the current definition is paused
		 * (doc/waking.md, "Sleeping: stop or pause"); one that never served is not
		 * worth keeping. */
		if (in->sleep_pause && in->desired == 0 && in->reps[best].state == PLAN_READY &&
		    in->reps[best].generation == in->generation) {
			if (!add(out, cap, res, PLAN_PAUSE, best, 0, "scale down %d -> 0: put the "
			    "%s ready replica to sleep (sleep = pause)", cur,
			    victim_rule(in, &in->reps[best])))
				return;
		} else if (!add(out, cap, res, PLAN_RETIRE, best, 0,
		    "scale down %d -> %d: retire the %s %s replica", cur, in->desired,
		    victim_rule(in, &in->reps[best]), victim_kind(in, &in->reps[best]))) {
			return;
		}
		cur--;
	}
}

static bool
index_free(const struct plan_input *in, int n)
{
	for (size_t i = 0; i < in->nreps; i++)
		if (in->reps[i].index == n && in->reps[i].state != PLAN_GONE)
			return false;
	for (size_t i = 0; i < in->ntaken; i++)
		if (in->taken[i] == n)
			return false;
	return true;
}

/* Wake paused replicas of the current definition before creating any: they are the
 * fast way up (doc/waking.md, "Sleeping: stop or pause"). No bound applies: they exist
 * already. True when that is enough. */
static bool
plan_unpause(const struct plan_input *in, struct plan_action *out, size_t cap,
    struct plan_result *res)
{
	int cur = res->current;

	for (size_t i = 0; i < in->nreps && cur < in->desired; i++) {
		const struct plan_replica *r = &in->reps[i];

		if (r->state != PLAN_PAUSED || r->busy || r->generation != in->generation ||
		    picked(out, res, i))
			continue;
		if (!add(out, cap, res, PLAN_UNPAUSE, i, 0, "scale up %d -> %d: unpause the "
		    "paused replica at index %d", cur, in->desired, r->index))
			return true;
		cur++;
	}
	/* The caller (a rollout's step too) asked for a replica: enough when one woke. */
	return cur > res->current && cur >= in->desired;
}

static void
plan_up(const struct plan_input *in, struct plan_action *out, size_t cap,
    struct plan_result *res)
{
	int leaving_n = res->total - res->current - res->paused;
	size_t before = res->nacts;
	int slots, cur, total, made = 0;

	if (plan_unpause(in, out, cap, res))
		return;
	if (in->create_blocked != NULL) {
		add(out, cap, res, PLAN_HOLD, 0, 0, "scale up %d -> %d: %s", res->current,
		    in->desired, in->create_blocked);
		return;
	}
	/* Up to create_parallel creates + starts in flight (doc/replicas.md, "Parallel
	 * creates"); 1 = one after another. */
	slots = (in->create_parallel > 1 ? in->create_parallel : 1) - in->creating;
	if (slots <= 0) {
		add(out, cap, res, PLAN_HOLD, 0, 0, "scale up %d -> %d: %s in flight",
		    res->current, in->desired, in->creating > 1 ? "create_parallel creates are" :
		    "a create is");
		return;
	}
	if (in->now_ms < in->backoff_until) {
		res->wake_at = in->backoff_until;
		add(out, cap, res, PLAN_HOLD, 0, 0,
		    "scale up %d -> %d: backing off %lldms after failed starts", res->current,
		    in->desired, (long long)(in->backoff_until - in->now_ms));
		return;
	}
	/* Replicas on their way out still exist: never more than max at once. */
	if (res->total >= in->max_replicas) {
		add(out, cap, res, PLAN_HOLD, 0, 0,
		    "scale up %d -> %d: at max_replicas %d (%d on their way out%s)",
		    res->current, in->desired, in->max_replicas, leaving_n,
		    res->paused > 0 ? ", some paused" : "");
		return;
	}
	/* Each create takes the next lowest free index: the ones planned here are not in
	 * the table yet, so n only goes up. The caller wants the first (a rollout's step
	 * counts its own way); the next ones only up to desired. */
	cur = res->current + (int)(res->nacts - before); /* the ones woken above */
	total = res->total;
	for (int n = 1; n <= PLAN_MAX_INDEX && made < slots && (made == 0 || cur < in->desired) &&
	    total < in->max_replicas; n++) {
		if (!index_free(in, n))
			continue;
		if (!add(out, cap, res, PLAN_CREATE, 0, n,
		    "scale up %d -> %d: create at the lowest free index %d", cur, in->desired, n))
			return;
		made++;
		cur++;
		total++;
	}
	if (made == 0)
		add(out, cap, res, PLAN_HOLD, 0, 0, "scale up %d -> %d: no free name up to %d",
		    res->current, in->desired, PLAN_MAX_INDEX);
}

static bool
is_current(const struct plan_input *in, const struct plan_replica *r)
{
	return r->generation == in->generation;
}

/* A new replica an outdated one may make way for: it has served long enough. */
static bool
stable(const struct plan_input *in, const struct plan_replica *r)
{
	return r->state == PLAN_READY && r->serving && r->ready_ms != 0 &&
	    in->now_ms - r->ready_ms >= in->min_healthy_ms;
}

/* The best victim among present replicas not picked yet (only outdated ones with
 * only_old); in->nreps when there is none. */
static size_t
victim(const struct plan_input *in, const struct plan_action *out,
    const struct plan_result *res, bool only_old)
{
	size_t best = in->nreps;

	for (size_t i = 0; i < in->nreps; i++) {
		const struct plan_replica *r = &in->reps[i];

		if (!present(r) || picked(out, res, i) || (only_old && is_current(in, r)))
			continue;
		if (best == in->nreps || better_victim(in, r, &in->reps[best]))
			best = i;
	}
	return best;
}

/* The replica that has served the shortest time: when it will have served
 * min_healthy_ms, the next outdated one can go. */
static int64_t
next_stable_at(const struct plan_input *in)
{
	int64_t at = 0;

	for (size_t i = 0; i < in->nreps; i++) {
		const struct plan_replica *r = &in->reps[i];
		int64_t t = r->ready_ms + in->min_healthy_ms;

		if (is_current(in, r) && r->state == PLAN_READY && r->serving &&
		    r->ready_ms != 0 && !stable(in, r) && (at == 0 || t < at))
			at = t;
	}
	return at;
}

/* The generation that failed leaves; the outdated replicas stay and are never
 * replaced (doc/rollouts.md, "Failure and rollback"). */
static void
plan_rollback(const struct plan_input *in, struct plan_action *out, size_t cap,
    struct plan_result *res)
{
	int left = res->current;

	for (size_t i = 0; i < in->nreps; i++) {
		const struct plan_replica *r = &in->reps[i];

		if (present(r) && is_current(in, r)) {
			if (!add(out, cap, res, PLAN_RETIRE, i, 0,
			    "rollback: retire a replica of the failed generation"))
				return;
			left--;
		}
	}
	while (left > in->desired) {
		size_t v = victim(in, out, res, true);

		if (v == in->nreps || !add(out, cap, res, PLAN_RETIRE, v, 0,
		    "scale down %d -> %d: retire the %s %s replica", left, in->desired,
		    victim_rule(in, &in->reps[v]), victim_kind(in, &in->reps[v])))
			return;
		left--;
	}
	if (left < in->desired)
		add(out, cap, res, PLAN_HOLD, 0, 0, "scale up %d -> %d: held: the current "
		    "definition failed to roll out (a new one, or a rollout request, retries)",
		    left, in->desired);
}

static void
plan_roll(const struct plan_input *in, struct plan_action *out, size_t cap,
    struct plan_result *res)
{
	int old = res->outdated, cur = res->updated, present_n = res->current;
	int unstable = res->updated - res->stable, d = in->desired;
	int room = in->surge > 0 ? in->surge : 1;
	size_t v;

	/* Each new replica that has served long enough lets one outdated one go; this
	 * also scales down through the outdated replicas first. */
	while (old > 0 && res->stable + old > d) {
		if ((v = victim(in, out, res, true)) == in->nreps ||
		    !add(out, cap, res, PLAN_RETIRE, v, 0, "rolling: retire an %s replica "
		    "(%d new serving for rollout_min_healthy, %d outdated left)",
		    victim_kind(in, &in->reps[v]), res->stable, old - 1))
			return;
		old--;
		present_n--;
	}
	while (present_n > d + in->surge) {
		if ((v = victim(in, out, res, false)) == in->nreps ||
		    !add(out, cap, res, PLAN_RETIRE, v, 0, "scale down %d -> %d while rolling: "
		    "retire the %s %s replica", present_n, d, victim_rule(in, &in->reps[v]),
		    victim_kind(in, &in->reps[v])))
			return;
		old -= !is_current(in, &in->reps[v]);
		cur -= is_current(in, &in->reps[v]);
		present_n--;
	}
	/* Stop-first: one outdated replica leaves before each new one starts. */
	if (in->surge == 0 && old > 0 && unstable == 0 && present_n >= d && in->creating == 0 &&
	    (res->nacts == 0 || out[res->nacts - 1].kind != PLAN_RETIRE)) {
		if ((v = victim(in, out, res, true)) != in->nreps &&
		    add(out, cap, res, PLAN_RETIRE, v, 0, "rolling (stop-first): retire an %s "
		    "replica before its replacement starts", victim_kind(in, &in->reps[v])))
			present_n--;
		return;
	}
	if (cur < d && present_n < d + in->surge && unstable < room) {
		struct plan_input up = *in;
		size_t before = res->nacts;

		/* Beyond max_replicas by the surge, never more (doc/rollouts.md, "Rolling
		 * updates"). A retirement planned above still counts toward that bound. */
		up.max_replicas = in->max_replicas + in->surge;
		up.desired = d + in->surge;
		up.create_parallel = 1; /* a rollout's steps: one new replica at a time */
		plan_up(&up, out, cap, res);
		/* After a retirement, a hold says nothing the retirement did not. */
		if (res->nacts == before + 1 && out[before].kind == PLAN_HOLD && before > 0 &&
		    out[before - 1].kind == PLAN_RETIRE)
			res->nacts--;
		else if (res->nacts == before + 1 && out[before].kind == PLAN_CREATE) {
			(void)snprintf(out[before].reason, sizeof(out[before].reason), "rolling: "
			    "create new replica %d of %d at index %d (%d outdated left)", cur + 1, d,
			    out[before].index, old);
			/* On its label: a restart before the rollout's end keeps d, not the
			 * surge (doc/replicas.md, "Restart safety"). */
			out[before].target = d;
		}
		return;
	}
	if (res->nacts > 0 && out[res->nacts - 1].kind == PLAN_RETIRE)
		return;
	res->wake_at = next_stable_at(in);
	add(out, cap, res, PLAN_HOLD, 0, 0, "rolling: %d of %d new, %d outdated left; "
	    "waiting for %d new replica(s) to serve for rollout_min_healthy", cur, d, old,
	    unstable);
}

void
plan_reconcile(const struct plan_input *in, struct plan_action *out, size_t cap,
    struct plan_result *res)
{
	size_t before;

	res->nacts = 0;
	res->truncated = false;
	res->current = 0;
	res->total = 0;
	res->wake_at = 0;
	res->outdated = 0;
	res->updated = 0;
	res->stable = 0;
	res->paused = 0;
	for (size_t i = 0; i < in->nreps; i++) {
		const struct plan_replica *r = &in->reps[i];

		res->current += present(r);
		res->paused += r->state == PLAN_PAUSED;
		/* A gone record with a call in flight may still be a container. */
		res->total += r->state != PLAN_GONE || r->busy;
		if (present(r) && is_current(in, r)) {
			res->updated++;
			res->stable += stable(in, r);
		} else if (present(r)) {
			res->outdated++;
		}
	}
	/* Leaving replicas move on every pass; one whose call is in flight waits for it. */
	for (size_t i = 0; i < in->nreps; i++)
		if (in->reps[i].state == PLAN_STOPPING && !in->reps[i].busy)
			add(out, cap, res, PLAN_ADVANCE, i, 0, "leaving: next stop/remove call");
	/* A paused replica of an older definition is never woken, and none is kept once
	 * the service no longer sleeps by pausing: removed, not leaked (doc/waking.md,
	 * "Sleeping: stop or pause"). Spare paused ones of the current definition stay:
	 * they are the next scale-up's fast capacity. */
	for (size_t i = 0; i < in->nreps; i++) {
		const struct plan_replica *r = &in->reps[i];

		if (r->state == PLAN_PAUSED && !r->busy &&
		    (!in->sleep_pause || !is_current(in, r)))
			add(out, cap, res, PLAN_RETIRE, i, 0, "asleep: remove a paused replica %s",
			    !in->sleep_pause ? "(sleep = stop)" : "of an older definition");
	}
	before = res->nacts;
	if (in->rollback && res->outdated > 0)
		plan_rollback(in, out, cap, res);
	else if (res->outdated > 0)
		plan_roll(in, out, cap, res);
	else if (res->current > in->desired)
		plan_down(in, out, cap, res);
	else if (res->current < in->desired)
		plan_up(in, out, cap, res);
	if (res->nacts == before && !res->truncated)
		add(out, cap, res, PLAN_HOLD, 0, 0, "at desired %d", in->desired);
}

int
plan_adopt_desired(const struct plan_found *v, size_t n, char *why, size_t len)
{
	const struct plan_found *last = NULL;
	uint64_t gen = 0;
	bool two = false;
	int running = 0;

	for (size_t i = 0; i < n; i++) {
		running += v[i].counted;
		/* Created is in seconds: within one, the engine's order (newest first) says. */
		if (last == NULL || v[i].created > last->created)
			last = &v[i];
		/* Unlabelled replicas (an older dockscale's) are no generation of their own. */
		if (v[i].generation != 0 && gen != 0 && v[i].generation != gen)
			two = true;
		if (v[i].generation != 0)
			gen = v[i].generation;
	}
	if (last != NULL && last->target > 0 && two) {
		if (why != NULL)
			(void)snprintf(why, len, "an unfinished rollout: its count %d (%d running, "
			    "its surge not counted)", last->target, running);
		return last->target;
	}
	if (why != NULL)
		(void)snprintf(why, len, "%d running%s", running, two ? " (replicas of two "
		    "generations without a rollout's target: what runs)" : "");
	return running;
}
