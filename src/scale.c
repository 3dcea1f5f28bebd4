/* scale.c: turns decisions (policy, alerts) into a service's desired count, and says why. */
#include <math.h>
#include <stdio.h>

#include "dockscaled.h"
#include "log.h"
#include "service.h"

static int
starting(const struct svc *s)
{
	return svc_count(s, REP_CREATING) + svc_count(s, REP_STARTING);
}

static void
apply(struct svc *s, const struct decide_result *res, const char *source)
{
	int current = rollout_policy_count(s);

	s->last = *res;
	s->have_decision = true;
	if (res->dir == DECIDE_HOLD || res->desired == current) {
		log_debug("%s: hold at %d: %s", s->name, current, res->reason);
		return;
	}
	/* One line per decision that changes the count: value, thresholds, counts, reason. */
	log_notice("%s: %sscale %s %d -> %d (%s; thresholds %.1f/%.1f, target %.1f): %s",
	    s->name, s->d->dry_run ? "dry-run: would " : "", decide_dir_name(res->dir),
	    current, res->desired, source, s->conf->dp.down_threshold,
	    s->conf->dp.up_threshold, s->conf->dp.target, res->reason);
	if (res->dir == DECIDE_UP)
		s->scale_up_events++;
	else
		s->scale_down_events++;
	if (!s->d->dry_run)
		svc_set_desired(s, res->desired, NULL);
}

void
scale_evaluate(struct svc *s, bool have, double value, int64_t sampled_ms, const char *source)
{
	const struct svc_conf *c = s->conf;
	struct decide_params p;
	struct decide_input in = { 0 };
	struct decide_result res;

	if (c == NULL || c->metric == METRIC_NONE)
		return;
	p = c->dp;
	/* A sample older than three passes says nothing about now. */
	p.stale_ms = 3 * s->d->cfg.interval_ms;
	in.now_ms = loop_now(&s->d->loop);
	in.have_value = have;
	in.value = value;
	in.sampled_ms = sampled_ms;
	in.current = rollout_policy_count(s);
	in.starting = starting(s);
	decide_eval(&p, &s->ds, &in, &res);
	s->metric = have ? value : NAN;
	s->evaluated = true;
	if (res.missing) {
		s->metric_missing++;
		log_warning("%s: missing data (%s): holding at %d", s->name, source, in.current);
	}
	apply(s, &res, source);
}

int
scale_alert(struct svc *s, enum decide_dir dir, const char *why, struct decide_result *out)
{
	const struct svc_conf *c = s->conf;

	if (c == NULL)
		return -1;
	decide_alert(&c->dp, &s->ds, loop_now(&s->d->loop), rollout_policy_count(s), starting(s), dir,
	    out);
	/* An alert step restarts the opposite window: the metric sampled right after it must
	 * show the other condition anew before undoing the step. */
	if (out->dir == DECIDE_UP)
		s->ds.down_since = -1;
	else if (out->dir == DECIDE_DOWN)
		s->ds.up_since = -1;
	apply(s, out, why);
	return 0;
}
