/* status.c: a service's state as JSON for the status API. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctrdef.h"
#include "dockscaled.h"
#include "lb.h"
#include "runtime.h"
#include "service.h"
#include "status.h"

static cJSON *status_policy(const struct svc_conf *c);

static void add_num_or_null(cJSON *o, const char *key, double v);

/* A replica's traffic, once the balancer's figures cover it (doc/traffic.md). */
static void
add_replica_traffic(cJSON *o, const struct replica *r)
{
	cJSON *t;

	if (!r->rq.fig.have || (t = cJSON_AddObjectToObject(o, "traffic")) == NULL)
		return;
	cJSON_AddNumberToObject(t, "requests_per_s", r->rq.fig.rate);
	cJSON_AddNumberToObject(t, "in_flight", r->rq.fig.in_flight);
	add_num_or_null(t, "latency_ms", r->rq.fig.latency_ms >= 0 ? r->rq.fig.latency_ms : NAN);
	cJSON_AddNumberToObject(t, "requests_total", (double)r->rq.requests);
}

/* Which signal made the replica ready and when (doc/readiness.md); null while it
 * has not been (or is starting again after a Docker restart). */
static void
add_ready(cJSON *o, const struct replica *r)
{
	const char *by = readiness_by_name(r->ready_by);
	time_t sec = (time_t)(r->ready_at_unix_ms / 1000);
	struct tm tm;
	char at[40];
	int n;

	/* probes sent while it started: what fast probing cost for this replica */
	cJSON_AddNumberToObject(o, "probes", (double)r->pr.probes);
	if (by == NULL || r->state < REP_READY || gmtime_r(&sec, &tm) == NULL) {
		cJSON_AddNullToObject(o, "ready_by");
		cJSON_AddNullToObject(o, "ready_at");
		cJSON_AddNullToObject(o, "ready_after_ms");
		return;
	}
	n = snprintf(at, sizeof(at), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (int)(r->ready_at_unix_ms % 1000));
	cJSON_AddStringToObject(o, "ready_by", by);
	if (n > 0 && (size_t)n < sizeof(at))
		cJSON_AddStringToObject(o, "ready_at", at);
	else
		cJSON_AddNullToObject(o, "ready_at");
	cJSON_AddNumberToObject(o, "ready_after_ms", (double)(r->ready_ms - r->born_ms));
}

static cJSON *
replica_json(const struct replica *r)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "name", r->name);
	cJSON_AddStringToObject(o, "id", r->id);
	cJSON_AddStringToObject(o, "state", replica_state_name(r->state));
	cJSON_AddStringToObject(o, "health", r->has_healthcheck ?
	    docker_health_name(r->health) : (r->state == REP_READY ? "healthy (probe)" :
	    "unknown (probe)"));
	cJSON_AddStringToObject(o, "address", r->addr);
	/* the lifecycle hook in progress (doc/replicas.md, "Lifecycle hooks") */
	if (hook_running(r) != HOOK_NONE)
		cJSON_AddStringToObject(o, "hook", hook_name(hook_running(r)));
	else
		cJSON_AddNullToObject(o, "hook");
	add_ready(o, r);
	/* Docker's on-failure restarts of this container (doc/definition.md, "Restart policy") */
	cJSON_AddNumberToObject(o, "restarts", r->restart_count);
	/* A draining replica waits first for the balancer to run an upstream without it,
	 * then for `drain`, then for a pre_stop still running (doc/replicas.md, "Lifecycle
	 * hooks"). */
	if (r->state == REP_DRAINING)
		cJSON_AddStringToObject(o, "waiting_for", loop_timer_armed(&r->timer) ? "drain" :
		    r->drained ? "pre_stop" : "balancer");
	if (r->smp.cpu_pct >= 0)
		cJSON_AddNumberToObject(o, "cpu_percent", r->smp.cpu_pct);
	if (r->smp.mem_pct >= 0)
		cJSON_AddNumberToObject(o, "memory_percent", r->smp.mem_pct);
	add_replica_traffic(o, r);
	return o;
}

static void
add_ms(cJSON *o, const char *key, int64_t us)
{
	if (us > 0)
		cJSON_AddNumberToObject(o, key, (double)us / 1000.0);
	else
		cJSON_AddNullToObject(o, key);
}

static void
add_num_or_null(cJSON *o, const char *key, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

/* Each of the service's metrics with its last value (null: missing). */
static void
add_metrics(cJSON *o, const struct svc *s)
{
	cJSON *m;

	if (s->conf == NULL || (m = cJSON_AddObjectToObject(o, "metrics")) == NULL)
		return;
	for (int k = 0; k < METRIC_KINDS; k++)
		if (s->conf->metrics & METRIC_BIT(k))
			add_num_or_null(m, config_metric_name((enum metric_kind)k),
			    s->sampling.samples[k].have ? s->sampling.samples[k].value : NAN);
}

/* policy = predictive: what the forecast was made of (doc/scaling.md, "Predictive policy"). */
static void
add_prediction(cJSON *dec, const struct decide_result *r)
{
	cJSON *p = cJSON_AddObjectToObject(dec, "prediction");

	if (p == NULL)
		return;
	add_num_or_null(p, "level", r->level);
	add_num_or_null(p, "trend_per_s", r->trend_per_s);
	cJSON_AddNumberToObject(p, "horizon_ms", (double)r->horizon_ms);
	add_num_or_null(p, "forecast", r->forecast);
}

static void
add_classes(cJSON *o, const uint64_t *classes)
{
	cJSON *c = cJSON_AddObjectToObject(o, "responses");

	for (int i = 0; c != NULL && i < REQSTAT_CLASSES; i++)
		cJSON_AddNumberToObject(c, reqstat_class_name(i), (double)classes[i]);
}

/* The service's traffic as the balancer saw it (doc/traffic.md, "What it shows"). */
static void
add_traffic(cJSON *o, const struct svc *s)
{
	const struct svc_reqs *q = &s->rq;
	cJSON *t = cJSON_AddObjectToObject(o, "traffic");
	const char *src = q->source;

	if (t == NULL)
		return;
	if (src != NULL)
		cJSON_AddStringToObject(t, "source", src);
	else
		cJSON_AddNullToObject(t, "source");
	cJSON_AddBoolToObject(t, "have", q->fig.have);
	if (q->fig.have)
		cJSON_AddNullToObject(t, "why");
	else
		cJSON_AddStringToObject(t, "why", q->why);
	add_num_or_null(t, "requests_per_s", q->fig.have ? q->rate_total : NAN);
	add_num_or_null(t, "requests_per_s_per_replica", q->fig.have ? q->fig.rate : NAN);
	add_num_or_null(t, "in_flight", q->fig.have ? q->in_flight_total : NAN);
	add_num_or_null(t, "in_flight_per_replica", q->fig.have ? q->fig.in_flight : NAN);
	add_num_or_null(t, "latency_ms", q->fig.have && q->fig.latency_ms >= 0 ?
	    q->fig.latency_ms : NAN);
	/* What latency_ms is: the access log's percentile, or the counters' average. */
	if (s->conf != NULL && q->percentile)
		cJSON_AddNumberToObject(t, "latency_percentile", s->conf->latency_percentile);
	else
		cJSON_AddNullToObject(t, "latency_percentile");
	add_classes(t, q->classes);
}

/* The replicas paused at zero and the memory they hold (doc/waking.md, "Sleeping: stop
 * or pause"): memory_bytes sums those whose sample is in (null while none is). */
static void
add_asleep(cJSON *o, const struct svc *s)
{
	cJSON *a = cJSON_AddObjectToObject(o, "asleep");
	int paused = 0, known = 0;
	double mem = 0;

	if (a == NULL)
		return;
	for (size_t i = 0; i < s->nreps; i++) {
		const struct replica *r = s->reps[i];

		if (r->state != REP_PAUSED)
			continue;
		paused++;
		if (r->smp.paused_mem >= 0) {
			mem += r->smp.paused_mem;
			known++;
		}
	}
	cJSON_AddNumberToObject(a, "paused", paused);
	if (known > 0 || paused == 0)
		cJSON_AddNumberToObject(a, "memory_bytes", mem);
	else
		cJSON_AddNullToObject(a, "memory_bytes");
}

cJSON *
status_service(const struct svc *s, int64_t now)
{
	const struct svc_conf *c = s->conf;
	cJSON *o = cJSON_CreateObject(), *reps, *dec, *react, *bal;

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "name", s->name);
	cJSON_AddNumberToObject(o, "desired", s->desired);
	cJSON_AddNumberToObject(o, "current", svc_current(s));
	cJSON_AddNumberToObject(o, "ready", svc_count(s, REP_READY));
	/* The daemon's passes so far: each one observes every service (doc/testing.md). */
	cJSON_AddNumberToObject(o, "passes", (double)s->d->passes);
	if (c != NULL) {
		cJSON_AddNumberToObject(o, "min_replicas", c->dp.min_replicas);
		cJSON_AddNumberToObject(o, "max_replicas", c->dp.max_replicas);
		cJSON_AddStringToObject(o, "readiness", readiness_mode_name(c->readiness));
		cJSON_AddStringToObject(o, "image", c->image != NULL ? c->image :
		    ctrdef_image(s->def) != NULL ? ctrdef_image(s->def) : "");
		cJSON_AddNumberToObject(o, "cooldown_up_left_ms",
		    (double)decide_cooldown_left(&c->dp, &s->pol.ds, now, DECIDE_UP));
		cJSON_AddNumberToObject(o, "cooldown_down_left_ms",
		    (double)decide_cooldown_left(&c->dp, &s->pol.ds, now, DECIDE_DOWN));
		cJSON_AddItemToObject(o, "policy", status_policy(c));
	}
	if (isfinite(s->pol.metric))
		cJSON_AddNumberToObject(o, "metric", s->pol.metric);
	else
		cJSON_AddNullToObject(o, "metric");
	add_metrics(o, s);
	add_traffic(o, s);
	dec = cJSON_AddObjectToObject(o, "last_decision");
	if (dec != NULL && s->pol.have_decision) {
		cJSON_AddStringToObject(dec, "direction", decide_dir_name(s->pol.last.dir));
		cJSON_AddNumberToObject(dec, "desired", s->pol.last.desired);
		cJSON_AddStringToObject(dec, "reason", s->pol.last.reason);
		if (s->pol.last.metric != NULL)
			cJSON_AddStringToObject(dec, "metric", s->pol.last.metric);
		if (s->pol.last.predicted)
			add_prediction(dec, &s->pol.last);
	}
	cJSON_AddNumberToObject(o, "start_failures", s->launch.start_failures);
	cJSON_AddNumberToObject(o, "failed_starts_total", (double)s->launch.failed_starts);
	cJSON_AddNumberToObject(o, "backoff_left_ms",
	    s->launch.backoff_until > now ? (double)(s->launch.backoff_until - now) : 0.0);
	if (s->launch.last_start_error[0] != '\0')
		cJSON_AddStringToObject(o, "last_start_error", s->launch.last_start_error);
	else
		cJSON_AddNullToObject(o, "last_start_error");
	react = cJSON_AddObjectToObject(o, "last_scale_up_ms");
	if (react != NULL) {
		/* From the request (policy, alert, API) to each milestone; null until seen. */
		add_ms(react, "to_create_call", s->react.create_us);
		add_ms(react, "to_healthy", s->react.ready_us);
		add_ms(react, "to_serving", s->react.serving_us);
	}
	struct lb_stats lst;

	bal = cJSON_AddObjectToObject(o, "balancer");
	if (bal != NULL) {
		cJSON_AddStringToObject(bal, "kind", lb_kind(s->tr.lb));
		cJSON_AddBoolToObject(bal, "in_sync", !s->tr.failing);
		cJSON_AddNumberToObject(bal, "sync_failures_total", (double)s->tr.failures);
		cJSON_AddNumberToObject(bal, "retry_in_ms", s->tr.failing && s->tr.retry_at > now ?
		    (double)(s->tr.retry_at - now) : 0.0);
		lb_stats(s->tr.lb, &lst);
		/* doc/balancers.md, "Choosing a balancer" */
		cJSON_AddNumberToObject(bal, "serving", (double)lst.serving);
		cJSON_AddNumberToObject(bal, "servers", (double)lst.servers);
		cJSON_AddNumberToObject(bal, "syncs_total", (double)lst.applied);
		lb_rows_json(s->tr.lb, bal); /* the kind's own numbers */
	}
	add_asleep(o, s);
	svc_status_hooks(s, o, now); /* each feature's part */
	if (svc_runtime(s)->status != NULL)
		cJSON_AddItemToObject(o, svc_runtime(s)->status_key, svc_runtime(s)->status(s));
	reps = cJSON_AddArrayToObject(o, "replicas");
	for (size_t i = 0; i < s->nreps && reps != NULL; i++)
		if (s->reps[i]->state != REP_GONE)
			cJSON_AddItemToArray(reps, replica_json(s->reps[i]));
	return o;
}

/* ---- what a service's metric is measured against (a client shows "value/target" as
 * `kubectl get hpa` does: doc/operating.md) ------------------------------------------ */

static const char *
policy_name(enum decide_policy_kind k)
{
	switch (k) {
	case POLICY_TARGET:
		return "target";
	case POLICY_PREDICTIVE:
		return "predictive";
	default:
		return "threshold";
	}
}

/* {"name": "threshold", "metrics": {"docker_cpu": {"scale_up_threshold": 75,
 * "scale_down_threshold": 40, "target": 60}, ...}}; NULL without memory. */
static cJSON *
status_policy(const struct svc_conf *c)
{
	cJSON *o = cJSON_CreateObject(), *ms, *m;

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "name", policy_name(c->dp.policy));
	ms = cJSON_AddObjectToObject(o, "metrics");
	for (int k = 0; k < METRIC_KINDS && ms != NULL; k++) {
		struct decide_params p;

		if (!(c->metrics & METRIC_BIT(k)) ||
		    (m = cJSON_AddObjectToObject(ms, config_metric_name((enum metric_kind)k))) == NULL)
			continue;
		/* docker_memory and the traffic metrics have their own; the others share the
		 * service's. */
		scale_metric_params(c, (enum metric_kind)k, &p);
		cJSON_AddNumberToObject(m, "scale_up_threshold", p.up_threshold);
		cJSON_AddNumberToObject(m, "scale_down_threshold", p.down_threshold);
		cJSON_AddNumberToObject(m, "target", p.target);
	}
	return o;
}
