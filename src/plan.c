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
	va_start(ap, fmt);
	/* A reason cut short is still a reason: truncation is harmless here. */
	(void)vsnprintf(a->reason, sizeof(a->reason), fmt, ap);
	va_end(ap);
	return true;
}

/* Is a better scale-down victim than b: not ready before ready, outdated before
 * current, then the newest, then the highest index (so equal birth times still give
 * one answer). */
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
	if (a->born_ms != b->born_ms)
		return a->born_ms > b->born_ms;
	return a->index > b->index;
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
		if (out[k].kind == PLAN_RETIRE && out[k].rep == i)
			return true;
	return false;
}

static void
plan_down(const struct plan_input *in, struct plan_action *out, size_t cap,
    struct plan_result *res)
{
	int cur = res->current;

	/* As many as needed at once: drains run side by side. */
	while (cur > in->desired) {
		size_t best = in->nreps;

		for (size_t i = 0; i < in->nreps; i++)
			if (present(&in->reps[i]) && !picked(out, res, i) && (best == in->nreps ||
			    better_victim(in, &in->reps[i], &in->reps[best])))
				best = i;
		if (best == in->nreps)
			break;
		if (!add(out, cap, res, PLAN_RETIRE, best, 0,
		    "scale down %d -> %d: retire the newest %s replica", cur, in->desired,
		    victim_kind(in, &in->reps[best])))
			return;
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

static void
plan_up(const struct plan_input *in, struct plan_action *out, size_t cap,
    struct plan_result *res)
{
	int leaving_n = res->total - res->current;

	if (in->create_blocked != NULL) {
		add(out, cap, res, PLAN_HOLD, 0, 0, "scale up %d -> %d: %s", res->current,
		    in->desired, in->create_blocked);
		return;
	}
	if (in->op_busy) {
		add(out, cap, res, PLAN_HOLD, 0, 0, "scale up %d -> %d: a create is in flight",
		    res->current, in->desired);
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
		    "scale up %d -> %d: at max_replicas %d (%d on their way out)", res->current,
		    in->desired, in->max_replicas, leaving_n);
		return;
	}
	for (int n = 1; n <= PLAN_MAX_INDEX; n++) {
		if (index_free(in, n)) {
			add(out, cap, res, PLAN_CREATE, 0, n,
			    "scale up %d -> %d: create at the lowest free index %d", res->current,
			    in->desired, n);
			return;
		}
	}
	add(out, cap, res, PLAN_HOLD, 0, 0, "scale up %d -> %d: no free name up to %d",
	    res->current, in->desired, PLAN_MAX_INDEX);
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
	for (size_t i = 0; i < in->nreps; i++) {
		const struct plan_replica *r = &in->reps[i];

		res->current += present(r);
		/* A gone record with a call in flight may still be a container. */
		res->total += r->state != PLAN_GONE || r->busy;
	}
	/* Leaving replicas move on every pass; one whose call is in flight waits for it. */
	for (size_t i = 0; i < in->nreps; i++)
		if (in->reps[i].state == PLAN_STOPPING && !in->reps[i].busy)
			add(out, cap, res, PLAN_ADVANCE, i, 0, "leaving: next stop/remove call");
	before = res->nacts;
	if (res->current > in->desired)
		plan_down(in, out, cap, res);
	else if (res->current < in->desired)
		plan_up(in, out, cap, res);
	if (res->nacts == before && !res->truncated)
		add(out, cap, res, PLAN_HOLD, 0, 0, "at desired %d", in->desired);
}
