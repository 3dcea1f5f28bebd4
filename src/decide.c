/* decide.c: the pure scaling policy: a sample and counts in, a desired count and reason out. */
#include "decide.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "predict.h"

/* Slack for float edges: 66/60 must sit on a 0.1 tolerance edge and 11*(125/55) must
 * ceil to 25, though neither is exact in binary. */
#define EPS 1e-9

void
decide_state_init(struct decide_state *st)
{
	st->have_ewma = false;
	st->ewma = 0.0;
	st->up_since = -1;
	st->down_since = -1;
	st->last_up = -1;
	st->last_down = -1;
	predict_reset(st);
}

const char *
decide_dir_name(enum decide_dir dir)
{
	switch (dir) {
	case DECIDE_UP:
		return "up";
	case DECIDE_DOWN:
		return "down";
	default:
		return "hold";
	}
}

int64_t
decide_cooldown_left(const struct decide_params *p, const struct decide_state *st,
                     int64_t now_ms, enum decide_dir dir)
{
	int64_t last, cooldown, elapsed;

	if (dir == DECIDE_UP) {
		last = st->last_up;
		cooldown = p->up_cooldown_ms;
	} else if (dir == DECIDE_DOWN) {
		last = st->last_down;
		cooldown = p->down_cooldown_ms;
	} else {
		return 0;
	}
	if (last < 0)
		return 0;
	elapsed = now_ms - last;
	/* A caller's clock stepping back must never stretch the wait past one cooldown. */
	if (elapsed < 0)
		elapsed = 0;
	return elapsed >= cooldown ? 0 : cooldown - elapsed;
}

static void say(struct decide_result *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(struct decide_result *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(out->reason, sizeof out->reason, fmt, ap);
	va_end(ap);
}

/* Durations read best as "30s" or "1.5s"; sub-second ones would all print as 0.0s. */
static const char *
dur(char *buf, size_t n, int64_t ms)
{
	if (ms % 1000 == 0)
		(void)snprintf(buf, n, "%" PRId64 "s", ms / 1000);
	else if (ms > -1000 && ms < 1000)
		(void)snprintf(buf, n, "%" PRId64 "ms", ms);
	else
		(void)snprintf(buf, n, "%.1fs", (double)ms / 1000.0);
	return buf;
}

static int
clamp_count(const struct decide_params *p, int64_t n)
{
	if (n > p->max_replicas)
		n = p->max_replicas;
	if (n < p->min_replicas)
		n = p->min_replicas;
	return (int)n;
}

/* A step below 1 (a config slip) would stall a sustained load behind a false "at max". */
static int64_t
step_of(int step)
{
	return step < 1 ? 1 : step;
}

static void
begin(const struct decide_params *p, int current, struct decide_result *out)
{
	out->dir = DECIDE_HOLD;
	out->desired = clamp_count(p, current);
	out->missing = false;
	out->smoothed = NAN;
	out->wanted = out->desired;
	out->predicted = false;
	out->level = out->trend_per_s = out->forecast = NAN;
	out->horizon_ms = 0;
	out->metric = NULL;
	out->reason[0] = '\0';
}

static void
reset_windows(struct decide_state *st)
{
	st->up_since = -1;
	st->down_since = -1;
}

/* Bounds are not scaling steps: a replica that died below min_replicas or a reload that
 * lowered max_replicas is corrected at once, whatever the windows, cooldowns or metric
 * say (so min_replicas holds even with no metric at all), and it stamps no cooldown. */
static bool
fix_bounds(const struct decide_params *p, int current, const char *ctx,
           struct decide_result *out)
{
	if (current < p->min_replicas) {
		out->dir = DECIDE_UP;
		out->desired = out->wanted = p->min_replicas;
		say(out, "%s; below min_replicas %d: scale up %d->%d", ctx, p->min_replicas,
		    current, out->desired);
		return true;
	}
	if (current > p->max_replicas) {
		out->dir = DECIDE_DOWN;
		out->desired = out->wanted = p->max_replicas;
		say(out, "%s; above max_replicas %d: scale down %d->%d", ctx, p->max_replicas,
		    current, out->desired);
		return true;
	}
	return false;
}

/*
 * The one gate every step passes, so policies and alerts block for the same reasons.
 * `to` is already within bounds, so to == current means the bound itself is in the way.
 * held/for_ms describe the `for` window; alerts pass 0/0 because their source waited.
 * After a step the window is deliberately left running: the condition has held all
 * along, so a sustained load steps again as soon as the cooldown passes instead of
 * waiting out cooldown and window one after the other.
 */
static void
gate(const struct decide_params *p, struct decide_state *st, int64_t now, int current,
     int starting, enum decide_dir dir, int to, int64_t held, int64_t for_ms, const char *cond,
     struct decide_result *out)
{
	bool up = dir == DECIDE_UP;
	int64_t left = decide_cooldown_left(p, st, now, dir);
	char a[24], b[24];

	out->wanted = to;
	if (to == current) {
		say(out, "%s but at %s %d: hold %d", cond, up ? "max_replicas" : "min_replicas",
		    current, current);
	} else if (up && starting > 0) {
		/* The replicas still starting are the answer to the load seen so far. */
		say(out, "%s but pending start (%d starting): hold %d", cond, starting,
		    current);
	} else if (left > 0) {
		say(out, "%s but cooldown %s left: hold %d", cond, dur(a, sizeof a, left),
		    current);
	} else if (held < for_ms) {
		say(out, "%s but holding for %s of %s: hold %d", cond, dur(a, sizeof a, held),
		    dur(b, sizeof b, for_ms), current);
	} else {
		out->dir = dir;
		out->desired = to;
		if (up)
			st->last_up = now;
		else
			st->last_down = now;
		if (for_ms > 0)
			say(out, "%s for %s: scale %s %d->%d", cond, dur(a, sizeof a, held),
			    decide_dir_name(dir), current, to);
		else
			say(out, "%s: scale %s %d->%d", cond, decide_dir_name(dir), current,
			    to);
	}
}

/* Starts the window of one direction and breaks the other's: a condition must hold
 * continuously, so flipping sides starts the count again. */
static int64_t
hold_since(struct decide_state *st, enum decide_dir dir, int64_t now)
{
	int64_t *mine = dir == DECIDE_UP ? &st->up_since : &st->down_since;
	int64_t *other = dir == DECIDE_UP ? &st->down_since : &st->up_since;

	*other = -1;
	if (*mine < 0)
		*mine = now;
	return now - *mine;
}

static void
threshold(const struct decide_params *p, struct decide_state *st, const struct decide_input *in,
          double v, struct decide_result *out)
{
	char cond[96];
	int64_t held;

	if (v > p->up_threshold) {
		held = hold_since(st, DECIDE_UP, in->now_ms);
		(void)snprintf(cond, sizeof cond, "value %.1f > up %.1f", v, p->up_threshold);
		gate(p, st, in->now_ms, in->current, in->starting, DECIDE_UP,
		     clamp_count(p, (int64_t)in->current + step_of(p->up_step)), held,
		     p->up_for_ms, cond, out);
	} else if (v < p->down_threshold) {
		held = hold_since(st, DECIDE_DOWN, in->now_ms);
		(void)snprintf(cond, sizeof cond, "value %.1f < down %.1f", v,
		               p->down_threshold);
		gate(p, st, in->now_ms, in->current, 0, DECIDE_DOWN,
		     clamp_count(p, (int64_t)in->current - step_of(p->down_step)), held,
		     p->down_for_ms, cond, out);
	} else {
		/* The hysteresis band: neither condition holds, so neither window runs on. */
		reset_windows(st);
		say(out, "value %.1f within [%.1f, %.1f]: hold %d", v, p->down_threshold,
		    p->up_threshold, in->current);
	}
}

/* ceil(base * v / target), the HPA count for v; false (a hold) inside the tolerance
 * band. A service at zero counts as one when v is above target, so load can wake it. */
static bool
target_count(const struct decide_params *p, double v, int current, double *raw, double *ratio,
             int *base)
{
	*ratio = v / p->target;
	if (fabs(*ratio - 1.0) <= p->tolerance + EPS)
		return false;
	*base = current == 0 && *ratio > 1.0 ? 1 : current;
	*raw = *base == 0 ? 0.0 : ceil((double)*base * *ratio - EPS);
	/* No count is below zero, and ceil(-1e-9) would print as "-0". */
	if (!(*raw > 0.0))
		*raw = 0.0;
	return true;
}

static int
clamp_raw(const struct decide_params *p, double raw)
{
	if (raw > p->max_replicas)
		return p->max_replicas;
	if (raw < p->min_replicas)
		return p->min_replicas;
	return (int)raw;
}

/* Moves towards raw through the gate of its direction; cond says where raw came from. */
static void
toward(const struct decide_params *p, struct decide_state *st, const struct decide_input *in,
       double raw, const char *cond, struct decide_result *out)
{
	int to = clamp_raw(p, raw);
	int64_t held;

	if (raw > in->current) {
		held = hold_since(st, DECIDE_UP, in->now_ms);
		gate(p, st, in->now_ms, in->current, in->starting, DECIDE_UP, to, held,
		     p->up_for_ms, cond, out);
	} else if (raw < in->current) {
		held = hold_since(st, DECIDE_DOWN, in->now_ms);
		gate(p, st, in->now_ms, in->current, 0, DECIDE_DOWN, to, held, p->down_for_ms,
		     cond, out);
	} else {
		/* Outside the band, yet rounding lands on the current count: ceil(1*0.85). */
		reset_windows(st);
		say(out, "%s: hold %d", cond, in->current);
	}
}

static bool
target_usable(const struct decide_params *p, struct decide_state *st, int current, double v,
              struct decide_result *out)
{
	if (p->target > 0.0 && isfinite(p->target))
		return true;
	/* Dividing by it would send the service to max_replicas on a config slip. */
	reset_windows(st);
	say(out, "value %.1f but target %.1f is not positive: hold %d", v, p->target, current);
	return false;
}

/* "ceil(2*1.40)=3", with the clamp when the bounds cut it. */
static void
describe(char *buf, size_t n, const struct decide_params *p, const char *what, double v,
         int base, double ratio, double raw)
{
	int to = clamp_raw(p, raw);

	if ((double)to != raw)
		(void)snprintf(buf, n, "%s: %.1f/%.1f=%.2f, ceil(%d*%.2f)=%.0f, clamped to %d", what,
		               v, p->target, ratio, base, ratio, raw, to);
	else
		(void)snprintf(buf, n, "%s: %.1f/%.1f=%.2f, ceil(%d*%.2f)=%d", what, v, p->target,
		               ratio, base, ratio, to);
}

/*
 * Kubernetes-HPA style: the proportional formula already sizes the move, so the count
 * jumps straight to it rather than by scale_up_step/scale_down_step; capping it to a
 * step would make a spike take one cooldown per replica to absorb.
 */
static void
target(const struct decide_params *p, struct decide_state *st, const struct decide_input *in,
       double v, struct decide_result *out)
{
	char cond[128];
	double ratio, raw;
	int base;

	if (!target_usable(p, st, in->current, v, out))
		return;
	if (!target_count(p, v, in->current, &raw, &ratio, &base)) {
		reset_windows(st);
		say(out, "target: %.1f/%.1f=%.2f within tolerance %.2f: hold %d", v, p->target,
		    ratio, p->tolerance, in->current);
		return;
	}
	describe(cond, sizeof cond, p, "target", v, base, ratio, raw);
	toward(p, st, in, raw, cond, out);
}

/*
 * doc/scaling.md, "Predictive policy": desired = max(the target count on the current value,
 * the target count on the forecast). The forecast only ever adds replicas: a falling
 * trend proposes fewer than the current value does, and max() drops it, so a scale-down
 * is always the current value's own (through its window and cooldown).
 */
static void
predictive(const struct decide_params *p, struct decide_state *st,
           const struct decide_input *in, double v, struct decide_result *out)
{
	char head[112], cond[200], a[24];
	double ratio, raw, fratio, fraw;
	int base, fbase;
	bool react, ahead;
	double fc = out->forecast;

	(void)snprintf(head, sizeof head, "predictive: level %.1f trend %+.2f/s horizon %s "
	               "forecast %.1f", out->level, out->trend_per_s,
	               dur(a, sizeof a, out->horizon_ms), fc);
	if (!target_usable(p, st, in->current, v, out))
		return;
	react = target_count(p, v, in->current, &raw, &ratio, &base);
	if (!react)
		raw = in->current;
	/* The forecast speaks only while the load still rises by more than the tolerance
	 * band over the horizon: a sample below the level (a spike passing) must not let
	 * the level's lag ask for more, and noise inside the band is no trend. */
	ahead = isfinite(fc) && fc > v && st->trend > 0 && in->value >= out->level - EPS &&
	        fc - out->level > p->tolerance * p->target &&
	        target_count(p, fc, in->current, &fraw, &fratio, &fbase) && fraw > raw;
	if (!react && !ahead) {
		reset_windows(st);
		say(out, "%s; target: %.1f/%.1f=%.2f within tolerance %.2f: hold %d", head, v,
		    p->target, ratio, p->tolerance, in->current);
		return;
	}
	(void)snprintf(cond, sizeof cond, "%s; ", head);
	if (ahead)
		describe(cond + strlen(cond), sizeof cond - strlen(cond), p, "forecast", fc, fbase,
		         fratio, fraw);
	else
		describe(cond + strlen(cond), sizeof cond - strlen(cond), p, "target", v, base,
		         ratio, raw);
	toward(p, st, in, ahead ? fraw : raw, cond, out);
}

static bool
missing_why(const struct decide_params *p, const struct decide_input *in, char *why, size_t n)
{
	char a[24];

	if (!in->have_value)
		(void)snprintf(why, n, "no sample");
	else if (isnan(in->value))
		(void)snprintf(why, n, "value NaN");
	else if (isinf(in->value))
		(void)snprintf(why, n, "value %cInf", in->value > 0 ? '+' : '-');
	else if (p->stale_ms > 0 && in->now_ms - in->sampled_ms > p->stale_ms)
		(void)snprintf(why, n, "stale sample %s old",
		               dur(a, sizeof a, in->now_ms - in->sampled_ms));
	else
		return false;
	return true;
}

void
decide_eval(const struct decide_params *p, struct decide_state *st,
            const struct decide_input *in, struct decide_result *out)
{
	char why[48], ctx[72];
	double alpha = p->smoothing;

	begin(p, in->current, out);
	if (missing_why(p, in, why, sizeof why)) {
		/* The condition was not seen to hold throughout, so both windows start again;
		 * the EWMA stays as it was, since a gap is not a sample. */
		reset_windows(st);
		/* A gap breaks the slope: the trend starts again from the next samples. */
		predict_reset(st);
		out->missing = true;
		(void)snprintf(ctx, sizeof ctx, "missing data (%s)", why);
		if (!fix_bounds(p, in->current, ctx, out))
			say(out, "%s: hold %d", ctx, in->current);
		return;
	}

	/* An alpha outside (0,1) means no smoothing, the documented 1.0. */
	if (!st->have_ewma || !(alpha > 0.0 && alpha < 1.0))
		st->ewma = in->value;
	else
		st->ewma = alpha * in->value + (1.0 - alpha) * st->ewma;
	st->have_ewma = true;
	out->smoothed = st->ewma;
	if (p->policy == POLICY_PREDICTIVE) {
		predict_update(st, p->predict_alpha, p->predict_beta, in->value, in->now_ms);
		out->predicted = true;
		out->level = st->level;
		out->trend_per_s = st->have_trend ? st->trend * 1000.0 : 0.0;
		out->horizon_ms = p->horizon_ms;
		out->forecast = predict_forecast(st, p->horizon_ms);
	}

	(void)snprintf(ctx, sizeof ctx, "value %.1f", st->ewma);
	if (fix_bounds(p, in->current, ctx, out)) {
		/* The count the condition was judged against is about to change. */
		reset_windows(st);
		return;
	}
	if (p->policy == POLICY_TARGET)
		target(p, st, in, st->ewma, out);
	else if (p->policy == POLICY_PREDICTIVE)
		predictive(p, st, in, st->ewma, out);
	else
		threshold(p, st, in, st->ewma, out);
}

void
decide_alert(const struct decide_params *p, struct decide_state *st, int64_t now_ms,
             int current, int starting, enum decide_dir dir, struct decide_result *out)
{
	char cond[32];

	begin(p, current, out);
	(void)snprintf(cond, sizeof cond, "alert asks %s", decide_dir_name(dir));
	if (fix_bounds(p, current, cond, out))
		return;
	if (dir == DECIDE_UP)
		gate(p, st, now_ms, current, starting, DECIDE_UP,
		     clamp_count(p, (int64_t)current + step_of(p->up_step)), 0, 0, cond, out);
	else if (dir == DECIDE_DOWN)
		gate(p, st, now_ms, current, 0, DECIDE_DOWN,
		     clamp_count(p, (int64_t)current - step_of(p->down_step)), 0, 0, cond, out);
	else
		say(out, "%s: hold %d", cond, current);
}

/* What a metric's result proposes: a step's count, or, for a hold, the count it was
 * held back from (a scale-up waiting out a window still outbids a scale-down). */
static int
proposal(const struct decide_result *r)
{
	if (r->dir == DECIDE_HOLD && r->wanted > r->desired)
		return r->wanted;
	return r->desired;
}

/* At equal proposals a step up beats a hold, and a hold beats a step down. */
static int
dir_rank(enum decide_dir d)
{
	return d == DECIDE_UP ? 2 : d == DECIDE_HOLD ? 1 : 0;
}

void
decide_eval_multi(struct decide_metric *m, size_t n, struct decide_result *out)
{
	struct decide_state sc[DECIDE_METRICS_MAX];
	struct decide_result res[DECIDE_METRICS_MAX];
	size_t best = 0;
	bool missing = false;

	if (n > DECIDE_METRICS_MAX)
		n = DECIDE_METRICS_MAX;
	if (n == 0) {
		/* Nothing to weigh: a caller slip, held rather than guessed. */
		begin(&m[0].p, m[0].in.current, out);
		say(out, "no metric: hold %d", m[0].in.current);
		return;
	}
	/* Cooldowns belong to the service, not to a metric: every metric sees the
	 * stamps of the first state, and the winner's stamps go back to all. */
	for (size_t i = 0; i < n; i++) {
		sc[i] = *m[i].st;
		sc[i].last_up = m[0].st->last_up;
		sc[i].last_down = m[0].st->last_down;
		decide_eval(&m[i].p, &sc[i], &m[i].in, &res[i]);
		missing |= res[i].missing;
	}
	for (size_t i = 1; i < n; i++) {
		int a = proposal(&res[i]), b = proposal(&res[best]);
		if (a > b || (a == b && dir_rank(res[i].dir) > dir_rank(res[best].dir)))
			best = i;
	}
	for (size_t i = 0; i < n; i++) {
		sc[i].last_up = sc[best].last_up;
		sc[i].last_down = sc[best].last_down;
		*m[i].st = sc[i];
	}
	*out = res[best];
	out->metric = m[best].name;
	/* Any metric without data keeps the count from going down (the winner then holds
	 * or steps up); it still counts as missing data. */
	out->missing = missing;
	if (n > 1) {
		char r[sizeof out->reason];
		memcpy(r, out->reason, sizeof r);
		int k = snprintf(out->reason, sizeof out->reason, "%s: ", m[best].name);
		if (k > 0 && (size_t)k < sizeof out->reason)
			(void)snprintf(out->reason + k, sizeof out->reason - (size_t)k, "%.*s",
			               (int)(sizeof out->reason - (size_t)k - 1), r);
	}
}
