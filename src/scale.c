/* scale.c: turns decisions (policy, alerts) into a service's desired count, and says why. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dockscaled.h"
#include "log.h"
#include "predict.h"
#include "runtime.h"
#include "service.h"

_Static_assert(METRIC_KINDS <= DECIDE_METRICS_MAX, "decide_eval_multi takes every metric");

/* Metric k's thresholds and target (doc/scaling.md, "The metric"; doc/traffic.md): a
 * traffic metric's target is its up threshold, and half of it the down one. */
void
scale_metric_params(const struct svc_conf *c, enum metric_kind k, struct decide_params *p)
{
	double t;

	*p = c->dp;
	switch (k) {
	case METRIC_DOCKER_MEMORY:
		p->up_threshold = c->mem_up_threshold;
		p->down_threshold = c->mem_down_threshold;
		p->target = c->mem_target;
		return;
	case METRIC_REQUESTS:
	case METRIC_CONCURRENCY:
	case METRIC_LATENCY:
		t = k == METRIC_REQUESTS ? c->requests_target : k == METRIC_CONCURRENCY ?
		    c->concurrency_target : (double)c->latency_target_ms;
		p->up_threshold = t;
		p->down_threshold = t / 2;
		p->target = t;
		return;
	default:
		return;
	}
}

static enum metric_kind
metric_kind_of(const char *name)
{
	for (int k = 0; name != NULL && k < METRIC_KINDS; k++)
		if (strcmp(name, config_metric_name((enum metric_kind)k)) == 0)
			return (enum metric_kind)k;
	return METRIC_DOCKER_CPU;
}

static int
starting(const struct svc *s)
{
	return svc_count(s, REP_CREATING) + svc_count(s, REP_STARTING);
}

static void
apply(struct svc *s, const struct decide_result *res, const char *source)
{
	const struct svc_conf *c = s->conf;
	struct decide_params mp;
	int current = svc_policy_count(s);
	char pred[128] = "", traffic[128] = "", words[96];

	s->pol.last = *res;
	s->pol.have_decision = true;
	if (res->dir == DECIDE_HOLD || res->desired == current) {
		log_debug("%s: hold at %d: %s", s->name, current, res->reason);
		return;
	}
	if (svc_runtime(s)->defer(s, res)) /* e.g. only a cluster leader's instance acts */
		return;
	scale_metric_params(c, metric_kind_of(res->metric), &mp);
	/* The balancer's figures, when there are any (doc/traffic.md). */
	if (reqstat_words(s, words, sizeof(words)) == 0)
		(void)snprintf(traffic, sizeof(traffic), "; traffic %s", words);
	if (res->predicted)
		(void)snprintf(pred, sizeof pred, ", level %.1f, trend %+.2f/s, horizon %.1fs, "
		    "forecast %.1f", res->level, res->trend_per_s, (double)res->horizon_ms / 1000.0,
		    res->forecast);
	/* One line per decision that changes the count: value, thresholds, counts, reason;
	 * an event too (doc/api.md, "Event history"). */
	events_log(&s->d->events, LOG_NOTICE, res->metric == NULL &&
	    strncmp(source, "alert ", 6) == 0 ? EV_ALERT : EV_DECISION, s->name, "%s: %sscale %s %d -> %d (%s; thresholds %.1f/%.1f, target %.1f%s): %s%s",
	    s->name, s->d->dry_run ? "dry-run: would " : "", decide_dir_name(res->dir),
	    current, res->desired, res->metric != NULL ? res->metric : source,
	    mp.down_threshold, mp.up_threshold, mp.target, pred, res->reason, traffic);
	if (res->dir == DECIDE_UP)
		s->pol.scale_up_events++;
	else
		s->pol.scale_down_events++;
	if (!s->d->dry_run)
		svc_set_desired(s, res->desired, NULL);
}

void
scale_init(struct svc *s)
{
	decide_state_init(&s->pol.ds);
	s->pol.metric = NAN;
}

void
scale_started(struct svc *s, int64_t ms)
{
	struct scale_starts *st = &s->pol.starts;

	if (ms < 0)
		return;
	st->ms[st->next] = ms;
	st->next = (st->next + 1) % SCALE_STARTS;
	if (st->n < SCALE_STARTS)
		st->n++;
}

/* Both `for` windows of every metric start again: a hold that is no decision of the
 * policy's (pause, manual scale) must not leave a window running under it. */
static void
reset_windows(struct svc *s)
{
	for (size_t i = 0; i < METRIC_KINDS; i++) {
		struct decide_state *st = i == 0 ? &s->pol.ds : &s->pol.ds_more[i - 1];

		st->up_since = -1;
		st->down_since = -1;
	}
}

/* The policy does not run (doc/api.md, "Pause and manual scale"): record the hold with
 * its reason and the first metric's value, so the status shows both. */
static void
hold(struct svc *s, int current, const char *why)
{
	struct decide_result res = { .dir = DECIDE_HOLD, .desired = current, .smoothed = NAN,
		.wanted = current };

	reset_windows(s);
	for (int k = 0; k < METRIC_KINDS; k++)
		if (s->conf->metrics & METRIC_BIT(k)) {
			s->pol.metric = s->sampling.samples[k].have ? s->sampling.samples[k].value : NAN;
			res.metric = config_metric_name((enum metric_kind)k);
			break;
		}
	(void)snprintf(res.reason, sizeof res.reason, "%s", why);
	s->pol.evaluated = true;
	apply(s, &res, "pause");
}

void
scale_conf(struct svc *s)
{
	const struct svc_conf *c = s->conf;

	/* No metric left: no value or decision to show (metric_conf forgets the samples of
	 * metrics the service no longer has). */
	if (c != NULL && c->metrics == 0) {
		s->pol.metric = NAN;
		s->pol.have_decision = false;
	}
}

int64_t
scale_horizon_ms(const struct svc *s)
{
	int64_t h, interval = s->d->cfg.interval_ms;

	if (s->conf != NULL && s->conf->dp.horizon_ms > 0)
		return s->conf->dp.horizon_ms;
	/* Ask as long ahead as a replica takes to serve, and never less than one pass. */
	h = predict_p90(s->pol.starts.ms, s->pol.starts.n);
	return h > interval ? h : interval;
}

void
scale_evaluate(struct svc *s)
{
	const struct svc_conf *c = s->conf;
	struct decide_metric m[METRIC_KINDS];
	struct decide_result res;
	const char *why[METRIC_KINDS];
	size_t n = 0;
	int64_t now;
	int current, start;
	char held[sizeof res.reason];

	if (c == NULL || c->metrics == 0)
		return;
	/* A reload that changes the metric set would hand one metric's EWMA, windows and
	 * trend to another: start them over (the cooldowns are the service's and stay). */
	if (s->pol.ds_metrics != c->metrics) {
		int64_t last_up = s->pol.ds.last_up, last_down = s->pol.ds.last_down;

		decide_state_init(&s->pol.ds);
		s->pol.ds.last_up = last_up;
		s->pol.ds.last_down = last_down;
		for (size_t i = 0; i < METRIC_KINDS - 1; i++)
			decide_state_init(&s->pol.ds_more[i]);
		s->pol.ds_metrics = c->metrics;
	}
	now = loop_now(&s->d->loop);
	current = svc_policy_count(s);
	start = starting(s);
	if (svc_policy_hold(s, now, held, sizeof held)) {
		hold(s, current, held);
		return;
	}
	for (int k = 0; k < METRIC_KINDS; k++) {
		const struct metric_sample *ms = &s->sampling.samples[k];
		struct decide_metric *x = &m[n];

		if (!(c->metrics & METRIC_BIT(k)))
			continue;
		x->name = config_metric_name((enum metric_kind)k);
		scale_metric_params(c, (enum metric_kind)k, &x->p);
		/* e.g. a scheduled window's (doc/scaling.md, "Scheduled bounds") */
		svc_bounds(s, &x->p.min_replicas, &x->p.max_replicas);
		/* Going to zero is idle_after's, not the policy's (doc/sleeping.md). */
		if (c->idle_after_ms > 0 && s->desired > 0 && x->p.min_replicas < 1)
			x->p.min_replicas = 1;
		/* A sample older than three passes says nothing about now. */
		x->p.stale_ms = 3 * s->d->cfg.interval_ms;
		x->p.horizon_ms = scale_horizon_ms(s);
		x->st = n == 0 ? &s->pol.ds : &s->pol.ds_more[n - 1];
		why[n] = ms->why;
		x->in = (struct decide_input){ .now_ms = now, .have_value = ms->have,
			.value = ms->value, .sampled_ms = ms->at, .current = current,
			.starting = start };
		n++;
	}
	decide_eval_multi(m, n, &res);
	for (size_t i = 0; i < n; i++)
		if (res.metric != NULL && strcmp(res.metric, m[i].name) == 0)
			s->pol.metric = m[i].in.have_value ? m[i].in.value : NAN;
	s->pol.evaluated = true;
	if (res.missing) {
		s->pol.metric_missing++;
		for (size_t i = 0; i < n; i++)
			if (!m[i].in.have_value)
				log_warning("%s: missing data (%s: %s): holding at %d unless another "
				    "metric asks for more", s->name, m[i].name,
				    why[i][0] != '\0' ? why[i] : "no sample",
				    current);
	}
	apply(s, &res, res.metric != NULL ? res.metric : "metric");
}

int
scale_alert(struct svc *s, enum decide_dir dir, const char *why, struct decide_result *out)
{
	const struct svc_conf *c = s->conf;
	struct decide_params dp;

	if (c == NULL)
		return -1;
	dp = c->dp;
	svc_bounds(s, &dp.min_replicas, &dp.max_replicas);
	if (svc_runtime(s)->refuse_alert(s, out))
		return 0;
	if (svc_alert_hold(s, why, out)) /* e.g. paused */
		return 0;
	decide_alert(&dp, &s->pol.ds, loop_now(&s->d->loop), svc_policy_count(s), starting(s), dir,
	    out);
	/* An alert step restarts the opposite window: the metric sampled right after it must
	 * show the other condition anew before undoing the step. */
	for (size_t i = 0; i < METRIC_KINDS; i++) {
		struct decide_state *st = i == 0 ? &s->pol.ds : &s->pol.ds_more[i - 1];

		if (out->dir == DECIDE_UP)
			st->down_since = -1;
		else if (out->dir == DECIDE_DOWN)
			st->up_since = -1;
	}
	apply(s, out, why);
	return 0;
}
