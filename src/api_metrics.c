/* api_metrics.c: renders the daemon's state in the Prometheus text format (SPEC §5). */
#include <math.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dockscaled.h"
#include "notify.h"
#include "passtime.h"
#include "pause.h"
#include "pull.h"
#include "rollout.h"
#include "service.h"
#include "headroom.h"
#include "idle.h"
#include "wake.h"
#include "lb.h"

static const char *
num(char *buf, size_t len, double v)
{
	if (isnan(v))
		return "NaN";
	snprintf(buf, len, "%.6g", v);
	return buf;
}

/* doc/api.md, "Metrics": the reconcile passes' durations, a summary over the last
 * PASSTIME_RING of them. */
static void
pass_seconds(struct buf *b, const struct passtime *p)
{
	static const double qs[] = { 0.5, 0.9, 0.99 };
	char v[32];

	buf_printf(b, "# HELP dockscale_pass_seconds Reconcile passes: the pass's start (a container list request, when it lists) "
	    "to the services having observed the answer (quantiles over the last %d).\n"
	    "# TYPE dockscale_pass_seconds summary\n", PASSTIME_RING);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		buf_printf(b, "dockscale_pass_seconds{quantile=\"%g\"} %s\n", qs[i],
		    num(v, sizeof(v), passtime_quantile(p, qs[i])));
	buf_printf(b, "dockscale_pass_seconds_sum %s\ndockscale_pass_seconds_count %llu\n",
	    num(v, sizeof(v), p->sum), (unsigned long long)p->count);
}

/* doc/api.md, "API limits": the long polls held, refused and let go by their clients. */
static void
render_long_polls(struct buf *b, const struct dsd *d)
{
	struct http_defer_stats st;

	http_defer_stats(d->http, &st);
	buf_printf(b, "# HELP dockscale_api_long_polls Long polls (GET /api/v1/events?wait=) "
	    "waiting now.\n# TYPE dockscale_api_long_polls gauge\n"
	    "dockscale_api_long_polls %zu\n"
	    "# HELP dockscale_api_long_polls_refused_total Long polls refused: busy (503, "
	    "%u waiting in all), per_address (429, %u waiting from the address).\n"
	    "# TYPE dockscale_api_long_polls_refused_total counter\n"
	    "dockscale_api_long_polls_refused_total{reason=\"busy\"} %llu\n"
	    "dockscale_api_long_polls_refused_total{reason=\"per_address\"} %llu\n"
	    "# HELP dockscale_api_long_polls_abandoned_total Long polls let go because their "
	    "client hung up.\n# TYPE dockscale_api_long_polls_abandoned_total counter\n"
	    "dockscale_api_long_polls_abandoned_total %llu\n", st.waiting, HTTP_DEFER_MAX,
	    HTTP_DEFER_PER_ADDR, (unsigned long long)st.refused_busy,
	    (unsigned long long)st.refused_addr, (unsigned long long)st.abandoned);
}

static void
render_webhooks(struct buf *b, const struct dsd *d)
{
	static const int codes[WEBHOOK_CODES] = WEBHOOK_CODE_LIST;

	buf_printf(b, "# HELP dockscale_webhooks_total Alertmanager webhook requests by "
	    "answer.\n# TYPE dockscale_webhooks_total counter\n");
	for (size_t i = 0; i < WEBHOOK_CODES; i++)
		buf_printf(b, "dockscale_webhooks_total{code=\"%d\"} %llu\n", codes[i],
		    (unsigned long long)d->stats.webhooks[i]);
	buf_printf(b, "# HELP dockscale_alerts_total Alerts received, by what they did.\n"
	    "# TYPE dockscale_alerts_total counter\n");
	for (int k = 0; k < ALERT_OUTCOMES; k++)
		buf_printf(b, "dockscale_alerts_total{outcome=\"%s\"} %llu\n",
		    alerts_outcome_name((enum alert_outcome)k),
		    (unsigned long long)d->stats.alerts[k]);
	render_long_polls(b, d);
	/* doc/scaling.md, "Counters from the kernel". */
	buf_printf(b, "# HELP dockscale_stats_samples_total Replica CPU/memory/network samples "
	    "taken, by source.\n# TYPE dockscale_stats_samples_total counter\n"
	    "dockscale_stats_samples_total{source=\"api\"} %llu\n"
	    "dockscale_stats_samples_total{source=\"cgroup\"} %llu\n",
	    (unsigned long long)d->stats.stats_reads[0], (unsigned long long)d->stats.stats_reads[1]);
}

/* A balancer kind's own numbers (include/lb.h, struct lb_row). */
static void
render_balancer_row(struct buf *b, const struct dsd *d, const struct lb_row *row)
{
	buf_printf(b, "# HELP dockscale_%s %s\n# TYPE dockscale_%s %s\n", row->metric, row->help,
	    row->metric, row->type);
	for (size_t i = 0; i < d->nsvcs; i++) {
		const struct svc *s = d->svcs[i];
		double v;

		if (s->tr.lb == NULL || !lb_row_value(s->tr.lb, row, &v))
			continue;
		if (row->unit == LB_ROW_MS)
			buf_printf(b, "dockscale_%s{service=\"%s\"} %.3f\n", row->metric, s->name,
			    v / 1000.0);
		else
			buf_printf(b, "dockscale_%s{service=\"%s\"} %llu\n", row->metric, s->name,
			    (unsigned long long)v);
	}
}

/* Every balancer kind (doc/balancers.md, "Choosing a balancer"). */
static void
render_balancer(struct buf *b, const struct dsd *d)
{
	static const char *const help[][2] = {
		{ "balancer_info", "gauge" }, { "balancer_servers", "gauge" },
		{ "balancer_syncs_total", "counter" },
	};
	static const char *const text[] = {
		"The service's balancer kind (label kind).",
		"Servers in the balancer's backend, the user's own included (runtime API "
		"balancers).",
		"Balancer syncs that succeeded.",
	};
	const struct lb_row *row;

	for (size_t k = 0; k < sizeof(help) / sizeof(help[0]); k++) {
		buf_printf(b, "# HELP dockscale_%s %s\n# TYPE dockscale_%s %s\n", help[k][0], text[k],
		    help[k][0], help[k][1]);
		for (size_t i = 0; i < d->nsvcs; i++) {
			const struct svc *s = d->svcs[i];
			struct lb_stats st;

			if (s->tr.lb == NULL)
				continue;
			lb_stats(s->tr.lb, &st);
			if (k == 0)
				buf_printf(b, "dockscale_balancer_info{service=\"%s\",kind=\"%s\"} 1\n",
				    s->name, lb_kind(s->tr.lb));
			else if (k == 1)
				buf_printf(b, "dockscale_balancer_servers{service=\"%s\"} %zu\n", s->name,
				    st.servers);
			else
				buf_printf(b, "dockscale_%s{service=\"%s\"} %llu\n", help[k][0], s->name,
				    (unsigned long long)st.applied);
		}
	}
	for (size_t n = 0; (row = lb_row_at(n)) != NULL; n++)
		render_balancer_row(b, d, row);
}

static void
render_nginx(struct buf *b, const struct dsd *d)
{
	struct lb_totals t;

	buf_printf(b, "# HELP dockscale_upstream_servers Replicas in the service's nginx "
	    "upstream.\n# TYPE dockscale_upstream_servers gauge\n");
	for (size_t i = 0; i < d->nsvcs; i++) {
		struct lb_stats st;

		if (d->svcs[i]->tr.lb == NULL)
			continue;
		lb_stats(d->svcs[i]->tr.lb, &st);
		buf_printf(b, "dockscale_upstream_servers{service=\"%s\"} %zu\n", d->svcs[i]->name,
		    st.serving);
	}
	/* 0 while a failed sync waits for its retry: scale-downs wait with it. */
	buf_printf(b, "# HELP dockscale_balancer_in_sync 1 when the balancer runs the service's "
	    "current replicas, 0 after a failed sync until one succeeds.\n"
	    "# TYPE dockscale_balancer_in_sync gauge\n");
	for (size_t i = 0; i < d->nsvcs; i++)
		buf_printf(b, "dockscale_balancer_in_sync{service=\"%s\"} %d\n", d->svcs[i]->name,
		    d->svcs[i]->tr.failing ? 0 : 1);
	buf_printf(b, "# HELP dockscale_balancer_sync_failures_total Balancer syncs that failed "
	    "(write, test or reload).\n# TYPE dockscale_balancer_sync_failures_total counter\n");
	for (size_t i = 0; i < d->nsvcs; i++)
		buf_printf(b, "dockscale_balancer_sync_failures_total{service=\"%s\"} %llu\n",
		    d->svcs[i]->name, (unsigned long long)d->svcs[i]->tr.failures);
	render_balancer(b, d);
	wake_metrics(b, d);
	idle_metrics(b, d);
	headroom_metrics(b, d);
	/* Counted once per run of the commands, whichever services' files it carried
	 * (doc/balancers.md, "One reload for many services"). test_failed: test_command
	 * rejected the files, which were restored. */
	lb_kind_totals(&d->loop, "nginx", &t);
	buf_printf(b, "# HELP dockscale_nginx_reloads_total nginx reloads by result.\n"
	    "# TYPE dockscale_nginx_reloads_total counter\n"
	    "dockscale_nginx_reloads_total{result=\"success\"} %llu\n"
	    "dockscale_nginx_reloads_total{result=\"failure\"} %llu\n"
	    "dockscale_nginx_reloads_total{result=\"test_failed\"} %llu\n"
	    "# HELP dockscale_nginx_reload_syncs_total Services' upstream changes that the "
	    "successful reloads carried (one reload may carry several).\n"
	    "# TYPE dockscale_nginx_reload_syncs_total counter\n"
	    "dockscale_nginx_reload_syncs_total %llu\n",
	    (unsigned long long)t.applied, (unsigned long long)t.failed,
	    (unsigned long long)t.rejected, (unsigned long long)t.syncs);
}

/* Per-service counters that are one uint64_t field of struct svc each. */
struct svc_counter {
	const char *name, *help;
	size_t off;
};

static const struct svc_counter counters[] = {
	{ "dockscale_failed_starts_total", "Replicas that did not become healthy.",
	  offsetof(struct svc, launch.failed_starts) },
	{ "dockscale_replicas_replaced_total", "Replicas replaced after exiting or turning "
	  "unhealthy.", offsetof(struct svc, launch.replaced) },
	{ "dockscale_metric_missing_total", "Evaluations without usable data.",
	  offsetof(struct svc, pol.metric_missing) },
};

static void
render_counter(struct buf *b, const struct dsd *d, const struct svc_counter *c)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n", c->name, c->help, c->name);
	for (size_t i = 0; i < d->nsvcs; i++) {
		uint64_t v;

		memcpy(&v, (const char *)d->svcs[i] + c->off, sizeof(v));
		buf_printf(b, "%s{service=\"%s\"} %llu\n", c->name, d->svcs[i]->name,
		    (unsigned long long)v);
	}
}

/* doc/registry.md. */
static void
render_pulls(struct buf *b, const struct dsd *d)
{
	buf_printf(b, "# HELP dockscale_image_pulls_total Image pulls by result.\n"
	    "# TYPE dockscale_image_pulls_total counter\n");
	for (size_t i = 0; i < d->nsvcs; i++)
		buf_printf(b, "dockscale_image_pulls_total{service=\"%s\",result=\"ok\"} %llu\n"
		    "dockscale_image_pulls_total{service=\"%s\",result=\"failed\"} %llu\n",
		    d->svcs[i]->name, (unsigned long long)pull_of(d->svcs[i])->ok_total,
		    d->svcs[i]->name, (unsigned long long)pull_of(d->svcs[i])->failed_total);
	buf_printf(b, "# HELP dockscale_image_pulling 1 while the service's image is being "
	    "pulled.\n# TYPE dockscale_image_pulling gauge\n");
	for (size_t i = 0; i < d->nsvcs; i++)
		buf_printf(b, "dockscale_image_pulling{service=\"%s\"} %d\n", d->svcs[i]->name,
		    pull_of(d->svcs[i])->phase == PULL_PULLING ? 1 : 0);
}

/* Lifecycle hook runs by hook and result (doc/replicas.md, "Lifecycle hooks"). */
static void
render_hooks(struct buf *b, const struct dsd *d)
{
	static const enum hook_kind kinds[] = { HOOK_POST_START, HOOK_PRE_STOP };

	buf_printf(b, "# HELP dockscale_hooks_total Lifecycle hook runs by hook and result.\n"
	    "# TYPE dockscale_hooks_total counter\n");
	for (size_t i = 0; i < d->nsvcs; i++)
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			for (int res = HOOK_OK; res < HOOK_RESULTS; res++)
				buf_printf(b, "dockscale_hooks_total{service=\"%s\",hook=\"%s\","
				    "result=\"%s\"} %llu\n", d->svcs[i]->name, hook_name(kinds[k]),
				    hook_result_name((enum hook_result)res), (unsigned long long)
				    d->svcs[i]->hooks.runs[kinds[k] - 1][res]);
}

/* sleep = pause: the replicas asleep and what they hold (doc/waking.md, "Sleeping: stop
 * or pause"). Not dockscale_paused, which is the operator's pause of the scaling. */
static void
render_asleep(struct buf *b, const struct dsd *d)
{
	buf_printf(b, "# HELP dockscale_paused_replicas Replicas paused at zero (sleep = "
	    "pause).\n# TYPE dockscale_paused_replicas gauge\n");
	for (size_t i = 0; i < d->nsvcs; i++)
		buf_printf(b, "dockscale_paused_replicas{service=\"%s\"} %d\n", d->svcs[i]->name,
		    svc_count(d->svcs[i], REP_PAUSED));
	buf_printf(b, "# HELP dockscale_paused_memory_bytes Memory the paused replicas hold "
	    "(their cgroups' usage).\n# TYPE dockscale_paused_memory_bytes gauge\n");
	for (size_t i = 0; i < d->nsvcs; i++) {
		const struct svc *s = d->svcs[i];
		double mem = 0;

		for (size_t k = 0; k < s->nreps; k++)
			if (s->reps[k]->state == REP_PAUSED && s->reps[k]->smp.paused_mem >= 0)
				mem += s->reps[k]->smp.paused_mem;
		buf_printf(b, "dockscale_paused_memory_bytes{service=\"%s\"} %.0f\n", s->name, mem);
	}
}

static void
render_services(struct buf *b, const struct dsd *d)
{
	char v[32];

	static const enum replica_state states[] = { REP_CREATING, REP_STARTING, REP_READY,
		REP_DRAINING, REP_STOPPING };

	buf_printf(b, "# HELP dockscale_replicas Replicas by lifecycle state.\n"
	    "# TYPE dockscale_replicas gauge\n");
	for (size_t i = 0; i < d->nsvcs; i++)
		for (size_t k = 0; k < sizeof(states) / sizeof(states[0]); k++)
			buf_printf(b, "dockscale_replicas{service=\"%s\",state=\"%s\"} %d\n",
			    d->svcs[i]->name, replica_state_name(states[k]),
			    svc_count(d->svcs[i], states[k]));
	buf_printf(b, "# HELP dockscale_desired_replicas The count each service is driven to.\n"
	    "# TYPE dockscale_desired_replicas gauge\n");
	for (size_t i = 0; i < d->nsvcs; i++)
		buf_printf(b, "dockscale_desired_replicas{service=\"%s\"} %d\n",
		    d->svcs[i]->name, d->svcs[i]->desired);
	buf_printf(b, "# HELP dockscale_paused 1 while the service is paused (doc/api.md, "
	    "\"Pause and manual scale\").\n# TYPE dockscale_paused gauge\n");
	for (size_t i = 0; i < d->nsvcs; i++)
		buf_printf(b, "dockscale_paused{service=\"%s\"} %d\n", d->svcs[i]->name,
		    pause_of(d->svcs[i])->paused ? 1 : 0);
	render_asleep(b, d);
	render_hooks(b, d);
	for (size_t k = 0; k < sizeof(counters) / sizeof(counters[0]); k++)
		render_counter(b, d, &counters[k]);
	rollout_metrics(b, d);
	buf_printf(b, "# HELP dockscale_start_backoff_seconds Wait before the next creation "
	    "after failed starts.\n# TYPE dockscale_start_backoff_seconds gauge\n");
	for (size_t i = 0; i < d->nsvcs; i++) {
		int64_t left = d->svcs[i]->launch.backoff_until - loop_clock_ms();

		buf_printf(b, "dockscale_start_backoff_seconds{service=\"%s\"} %.3f\n",
		    d->svcs[i]->name, left > 0 ? (double)left / 1000.0 : 0.0);
	}
	buf_printf(b, "# HELP dockscale_metric_value Last metric value the policy saw (NaN if "
	    "missing).\n# TYPE dockscale_metric_value gauge\n");
	for (size_t i = 0; i < d->nsvcs; i++)
		buf_printf(b, "dockscale_metric_value{service=\"%s\"} %s\n", d->svcs[i]->name,
		    num(v, sizeof(v), d->svcs[i]->pol.metric));
	buf_printf(b, "# HELP dockscale_scale_events_total Decisions that changed the count.\n"
	    "# TYPE dockscale_scale_events_total counter\n");
	for (size_t i = 0; i < d->nsvcs; i++)
		buf_printf(b, "dockscale_scale_events_total{service=\"%s\",direction=\"up\"} %llu\n"
		    "dockscale_scale_events_total{service=\"%s\",direction=\"down\"} %llu\n",
		    d->svcs[i]->name, (unsigned long long)d->svcs[i]->pol.scale_up_events,
		    d->svcs[i]->name, (unsigned long long)d->svcs[i]->pol.scale_down_events);
	render_nginx(b, d);
	render_pulls(b, d);
	buf_printf(b, "# HELP dockscale_docker_errors_total Failed Docker Engine calls.\n"
	    "# TYPE dockscale_docker_errors_total counter\n"
	    "dockscale_docker_errors_total %llu\n"
	    "# HELP dockscale_docker_up 1 when the last container list succeeded.\n"
	    "# TYPE dockscale_docker_up gauge\n"
	    "dockscale_docker_up %d\n"
	    "# HELP dockscale_passes_total Reconcile passes completed: a container list, or "
	    "between lists the tables the event stream keeps, handed to the services.\n"
	    "# TYPE dockscale_passes_total counter\n"
	    "dockscale_passes_total %llu\n",
	    (unsigned long long)(d->docker != NULL ? docker_errors(d->docker) : 0),
	    d->docker_up ? 1 : 0, (unsigned long long)d->passes);
	pass_seconds(b, &d->pass_time);
}

/* [notify] (doc/notifications.md, "Metrics"): totals only; a url is a secret, so no
 * label names one. */
static void
render_notify(struct buf *b, const struct dsd *d)
{
	struct notify_stats st;

	notify_get_stats(d->notify, &st);
	buf_printf(b, "# HELP dockscale_notifications_total Notifications by result: sent (a "
	    "2xx answer), failed (given up), dropped (pushed out of a full queue or its url "
	    "removed).\n# TYPE dockscale_notifications_total counter\n"
	    "dockscale_notifications_total{result=\"sent\"} %llu\n"
	    "dockscale_notifications_total{result=\"failed\"} %llu\n"
	    "dockscale_notifications_total{result=\"dropped\"} %llu\n"
	    "# HELP dockscale_notification_retries_total Notification attempts after the first.\n"
	    "# TYPE dockscale_notification_retries_total counter\n"
	    "dockscale_notification_retries_total %llu\n"
	    "# HELP dockscale_notifications_queued Notifications waiting to be sent, in flight "
	    "included.\n# TYPE dockscale_notifications_queued gauge\n"
	    "dockscale_notifications_queued %zu\n",
	    (unsigned long long)st.sent, (unsigned long long)st.failed,
	    (unsigned long long)st.dropped, (unsigned long long)st.retries, st.queued);
}

char *
metrics_render(const struct dsd *d, size_t *len)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b,
	    "# HELP dockscale_build_info Build information.\n"
	    "# TYPE dockscale_build_info gauge\n"
	    "dockscale_build_info{version=\"%s\"} 1\n"
	    "# HELP dockscale_up 1 while the daemon's event loop is serving.\n"
	    "# TYPE dockscale_up gauge\n"
	    "dockscale_up 1\n"
	    "# HELP dockscale_uptime_seconds Seconds since the daemon started.\n"
	    "# TYPE dockscale_uptime_seconds gauge\n"
	    "dockscale_uptime_seconds %.3f\n"
	    "# HELP dockscale_config_reloads_total Configuration reloads by result.\n"
	    "# TYPE dockscale_config_reloads_total counter\n"
	    "dockscale_config_reloads_total{result=\"success\"} %llu\n"
	    "dockscale_config_reloads_total{result=\"failure\"} %llu\n"
	    "# HELP dockscale_services Services in the running configuration.\n"
	    "# TYPE dockscale_services gauge\n"
	    "dockscale_services %zu\n",
	    DOCKSCALE_VERSION,
	    (double)(loop_clock_ms() - d->started_ms) / 1000.0,
	    (unsigned long long)d->stats.reloads_ok,
	    (unsigned long long)d->stats.reloads_failed,
	    d->cfg.nsvcs);
	render_webhooks(&b, d);
	render_notify(&b, d);
	render_services(&b, d);
	metrics_render_containers(&b, d);
	metrics_render_traffic(&b, d);
	return buf_steal(&b, len);
}
