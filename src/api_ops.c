/* api_ops.c: operator routes of a service: pause, resume, explain and its chart history. */
#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "api_ops.h"
#include "dockscaled.h"
#include "explain.h"
#include "headroom.h"
#include "idle.h"
#include "pause.h"
#include "rollout.h"
#include "schedule.h"
#include "service.h"
#include "status.h"

/* The deciding metric (the last decision's, else the first) and its decide state. */
static int
deciding_metric(const struct svc *s, const struct decide_state **st)
{
	int pick = -1;
	size_t idx = 0, pick_idx = 0;

	for (int k = 0; k < METRIC_KINDS; k++) {
		if (!(s->conf->metrics & METRIC_BIT(k)))
			continue;
		if (pick < 0 || (s->pol.have_decision && s->pol.last.metric != NULL &&
		    strcmp(s->pol.last.metric, config_metric_name((enum metric_kind)k)) == 0)) {
			pick = k;
			pick_idx = idx;
		}
		idx++;
	}
	*st = pick_idx == 0 ? &s->pol.ds : &s->pol.ds_more[pick_idx - 1];
	return pick;
}

static int64_t
held(int64_t since, int64_t now)
{
	return since < 0 ? -1 : now - since;
}

static void
fill(const struct svc *s, int64_t now, struct explain_in *in, char *manual, size_t mlen,
    char *tbuf, size_t tlen, char *sbuf, size_t slen, char *hbuf, size_t hlen,
    char *schbuf, size_t schlen)
{
	const struct svc_conf *c = s->conf;
	const struct decide_state *st = &s->pol.ds;
	int k = deciding_metric(s, &st);
	struct decide_params mp;

	memset(in, 0, sizeof(*in));
	in->current = rollout_policy_count(s);
	in->desired = s->desired;
	in->ready = svc_count(s, REP_READY);
	in->starting = svc_count(s, REP_CREATING) + svc_count(s, REP_STARTING);
	svc_bounds(s, &in->min, &in->max); /* a scheduled window's, or the service's */
	in->smoothed = NAN;
	in->value = NAN;
	if (k >= 0) {
		const struct metric_sample *ms = &s->sampling.samples[k];

		in->metric = config_metric_name((enum metric_kind)k);
		in->have_value = ms->have;
		in->value = ms->value;
		in->missing_why = ms->why[0] != '\0' ? ms->why : NULL;
		if (st->have_ewma)
			in->smoothed = st->ewma;
	}
	in->policy = c->dp.policy;
	scale_metric_params(c, k >= 0 ? (enum metric_kind)k : METRIC_DOCKER_CPU, &mp);
	in->up = mp.up_threshold;
	in->down = mp.down_threshold;
	in->target = mp.target;
	in->tolerance = c->dp.tolerance;
	in->up_held_ms = held(st->up_since, now);
	in->down_held_ms = held(st->down_since, now);
	in->up_for_ms = c->dp.up_for_ms;
	in->down_for_ms = c->dp.down_for_ms;
	in->cooldown_up_left_ms = decide_cooldown_left(&c->dp, &s->pol.ds, now, DECIDE_UP);
	in->cooldown_down_left_ms = decide_cooldown_left(&c->dp, &s->pol.ds, now, DECIDE_DOWN);
	in->backoff_left_ms = s->launch.backoff_until > now ? s->launch.backoff_until - now : 0;
	in->start_failures = s->launch.start_failures;
	in->paused = pause_of(s)->paused;
	in->paused_replicas = pause_of(s)->replicas;
	/* The guard's own words, as the last hold said them. */
	if (pause_of(s)->manual) {
		if (s->pol.have_decision && strncmp(s->pol.last.reason, "manual scale", 12) == 0)
			(void)snprintf(manual, mlen, "%.*s", (int)mlen - 1, s->pol.last.reason);
		else
			(void)snprintf(manual, mlen, "manual scale to %d: waiting for its replicas "
			    "and a fresh sample", pause_of(s)->manual_n);
		in->manual_hold = manual;
	}
	in->last_reason = s->pol.have_decision ? s->pol.last.reason : NULL;
	in->traffic = reqstat_words(s, tbuf, tlen) == 0 ? tbuf : NULL;
	in->sleep = idle_words(s, now, sbuf, slen) == 0 ? sbuf : NULL;
	in->headroom = headroom_blocked_words(s, hbuf, hlen) == 0 ? hbuf : NULL;
	in->schedule = schedule_words(s, schbuf, schlen) == 0 ? schbuf : NULL;
}

static void
route_explain(struct dsd *d, struct svc *s, const struct http_req *req,
    struct http_resp *resp)
{
	struct explain_in in;
	struct explain_out out;
	char manual[EXPLAIN_LINE_MAX], traffic[EXPLAIN_LINE_MAX - 16], sleep[EXPLAIN_LINE_MAX - 16];
	char headroom[EXPLAIN_LINE_MAX];
	char sched[EXPLAIN_LINE_MAX - 16];

	if (!api_allowed(req, resp, "GET, HEAD"))
		return;
	fill(s, loop_now(&d->loop), &in, manual, sizeof manual, traffic, sizeof traffic,
	    sleep, sizeof sleep, headroom, sizeof headroom, sched, sizeof sched);
	explain_build(&in, &out);
	api_reply_json(resp, 200, explain_json(s->name, &in, &out));
}

static void
route_history(struct dsd *d, struct svc *s, const struct http_req *req,
    struct http_resp *resp)
{
	int64_t step = d->cfg.interval_ms > HISTORY_STEP_MS ? d->cfg.interval_ms :
	    HISTORY_STEP_MS;

	if (api_allowed(req, resp, "GET, HEAD"))
		api_reply_json(resp, 200, history_json(&s->hist, s->name, step));
}

/* POST, optional {"replicas": N}. */
static void
route_pause(struct dsd *d, struct svc *s, const struct http_req *req, struct http_resp *resp)
{
	cJSON *body, *n;
	char why[160];
	int want = -1;

	if (!api_allowed(req, resp, "POST") || !api_authorized(d, req, resp) ||
	    !api_optional_body(req, resp, "replicas", cJSON_IsNumber, "{} or {\"replicas\": N}",
	    &body, &n))
		return;
	if (n != NULL) {
		double v = n->valuedouble;

		if (v != floor(v) || v < 0 || v > 1e6) {
			cJSON_Delete(body);
			http_resp_error(resp, 400, "replicas must be a whole number in [%d, %d]",
			    s->conf->dp.min_replicas, s->conf->dp.max_replicas);
			return;
		}
		want = (int)v;
	}
	cJSON_Delete(body);
	if (pause_set(s, want, why, sizeof why) == -1) {
		http_resp_error(resp, 400, "%s", why);
		return;
	}
	api_reply_json(resp, 200, status_service(s, loop_now(&d->loop)));
}

static void
route_resume(struct dsd *d, struct svc *s, const struct http_req *req, struct http_resp *resp)
{
	if (!api_allowed(req, resp, "POST") || !api_authorized(d, req, resp))
		return;
	pause_resume(s);
	api_reply_json(resp, 200, status_service(s, loop_now(&d->loop)));
}

bool
api_ops_route(struct dsd *d, struct svc *s, const char *sub, const struct http_req *req,
    struct http_resp *resp)
{
	if (strcmp(sub, "/pause") == 0)
		route_pause(d, s, req, resp);
	else if (strcmp(sub, "/resume") == 0)
		route_resume(d, s, req, resp);
	else if (strcmp(sub, "/explain") == 0)
		route_explain(d, s, req, resp);
	else if (strcmp(sub, "/history") == 0)
		route_history(d, s, req, resp);
	else
		return false;
	return true;
}

bool
api_ops_takes_body(const char *sub)
{
	return strcmp(sub, "/pause") == 0 || strcmp(sub, "/resume") == 0;
}
