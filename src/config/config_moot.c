/* config_moot.c: the [service] keys that have no effect given the rest of their service,
 * one row for every key, each a warning at load (doc/configuration.md, "Keys that do
 * nothing"). */
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

#define CPU_OR_PROM (METRIC_BIT(METRIC_DOCKER_CPU) | METRIC_BIT(METRIC_PROMETHEUS))
#define MEM METRIC_BIT(METRIC_DOCKER_MEMORY)

static const char *
thresholds(const struct svc_conf *s)
{
	if (!(s->metrics & CPU_OR_PROM))
		return s->metrics == 0 ? "metric = none takes alerts only" :
		    "they are docker_cpu's and prometheus's (docker_memory has "
		    "memory_scale_*_threshold, the traffic metrics their *_target)";
	if (s->dp.policy != POLICY_THRESHOLD)
		return s->dp.policy == POLICY_TARGET ? "policy = target scales to target" :
		    "policy = predictive scales to target";
	return NULL;
}

static const char *
target(const struct svc_conf *s)
{
	if (!(s->metrics & CPU_OR_PROM))
		return s->metrics == 0 ? "metric = none takes alerts only" :
		    "it is docker_cpu's and prometheus's (docker_memory has memory_target, the "
		    "traffic metrics their *_target)";
	if (s->dp.policy == POLICY_THRESHOLD)
		return "policy = threshold scales on the thresholds";
	return NULL;
}

static const char *
mem_thresholds(const struct svc_conf *s)
{
	if (!(s->metrics & MEM))
		return "the service has no metric docker_memory";
	if (s->dp.policy != POLICY_THRESHOLD)
		return s->dp.policy == POLICY_TARGET ? "policy = target scales to memory_target" :
		    "policy = predictive scales to memory_target";
	return NULL;
}

static const char *
mem_target(const struct svc_conf *s)
{
	if (!(s->metrics & MEM))
		return "the service has no metric docker_memory";
	if (s->dp.policy == POLICY_THRESHOLD)
		return "policy = threshold scales on memory_scale_*_threshold";
	return NULL;
}

static const char *
requests_target(const struct svc_conf *s)
{
	return s->metrics & METRIC_BIT(METRIC_REQUESTS) ? NULL :
	    "the service has no metric requests";
}

static const char *
concurrency_target(const struct svc_conf *s)
{
	return s->metrics & METRIC_BIT(METRIC_CONCURRENCY) ? NULL :
	    "the service has no metric concurrency";
}

static const char *
latency_target(const struct svc_conf *s)
{
	return s->metrics & METRIC_BIT(METRIC_LATENCY) ? NULL :
	    "the service has no metric latency";
}

static const char *
query(const struct svc_conf *s)
{
	return s->metrics & METRIC_BIT(METRIC_PROMETHEUS) ? NULL :
	    "the service has no metric prometheus";
}

static const char *
predictive(const struct svc_conf *s)
{
	return s->dp.policy == POLICY_PREDICTIVE ? NULL : s->dp.policy == POLICY_TARGET ?
	    "policy = target does not forecast" : "policy = threshold does not forecast";
}

/* The policy's windows and smoothing: alerts step without them. */
static const char *
policy_only(const struct svc_conf *s)
{
	return s->metrics != 0 ? NULL : "metric = none takes alerts only";
}

static const char *
wake(const struct svc_conf *s)
{
	return s->wake_listen[0] != '\0' ? NULL : "the service has no wake_listen";
}

static const char *
zone(const struct svc_conf *s)
{
	return s->schedule.n > 0 ? NULL : "the service has no schedule";
}

static const char *
nginx_only(const struct svc_conf *s)
{
	return s->balancer == NULL || strcmp(s->balancer, "nginx") == 0 ? NULL :
	    "only balancer = nginx reads the upstream file";
}

/* Every [service] key: its rule, or none because it always has an effect (why, for the
 * reader), or the file that checks it with the keys it goes with. The test
 * (tests/unit/test_config_moot.c) fails on a key of the tables that is not here. */
#define RULE(k, f) { k, f, NULL }
#define ALWAYS(k) { k, NULL, NULL }
#define ELSEWHERE(k, where) { k, NULL, where }
static const struct config_moot moots[] = {
	RULE("scale_up_threshold", thresholds),
	RULE("scale_down_threshold", thresholds),
	RULE("target", target),
	RULE("memory_scale_up_threshold", mem_thresholds),
	RULE("memory_scale_down_threshold", mem_thresholds),
	RULE("memory_target", mem_target),
	RULE("requests_target", requests_target),
	RULE("concurrency_target", concurrency_target),
	RULE("latency_target", latency_target),
	RULE("query", query),
	RULE("horizon", predictive),
	RULE("predict_alpha", predictive),
	RULE("predict_beta", predictive),
	RULE("smoothing", policy_only),
	RULE("scale_up_for", policy_only),
	RULE("scale_down_for", policy_only),
	RULE("wake_queue", wake),
	RULE("wake_timeout", wake),
	RULE("upstream_file", nginx_only),
	RULE("upstream_name", nginx_only),
	RULE("timezone", zone),
	ELSEWHERE("latency_percentile", "config_check.c (with balancer = haproxy)"),
	ELSEWHERE("scale_down_victim", "config_check.c (least_busy without traffic)"),
	ELSEWHERE("wake_replicas", "config_lb.c (without wake_listen)"),
	ELSEWHERE("wake_page", "config_lb.c (without wake_listen)"),
	ELSEWHERE("sleep", "readiness.c's table (pause with min_replicas > 0)"),
	ELSEWHERE("idle_cpu_below", "config_idle.c (without idle_after)"),
	ELSEWHERE("idle_ignore_user_agent", "config_idle.c (without idle_after, or HAProxy)"),
	ELSEWHERE("idle_ignore_path", "config_idle.c (without idle_after, or HAProxy)"),
	ELSEWHERE("create_parallel", "swarm_config.c (an error under runtime = swarm)"),
	ELSEWHERE("rollout_surge", "swarm_config.c (an error under runtime = swarm)"),
	ELSEWHERE("rollout_min_healthy", "swarm_config.c (an error under runtime = swarm)"),
	ELSEWHERE("rollout_max_failures", "swarm_config.c (an error under runtime = swarm)"),
	ELSEWHERE("haproxy_backend", "config_kinds.c (an error beside another balancer)"),
	ELSEWHERE("swarm_service", "swarm_config.c (read only with runtime = swarm)"),
	/* Read only with [daemon] reserve_memory or reserve_cpus (doc/headroom.md); not warned
	 * without them: a row sees one service, and the reserves are the daemon's. */
	ELSEWHERE("priority", "headroom.c (read only with a [daemon] reserve_*)"),
	/* what a replica is, how many, how it joins and leaves: always read */
	ALWAYS("image"), ALWAYS("command"), ALWAYS("env"), ALWAYS("port"), ALWAYS("network"),
	ALWAYS("cpus"), ALWAYS("memory"), ALWAYS("init"), ALWAYS("health_path"),
	ALWAYS("min_replicas"), ALWAYS("max_replicas"), ALWAYS("metric"), ALWAYS("policy"),
	ALWAYS("scale_up_step"), ALWAYS("scale_down_step"), ALWAYS("scale_up_cooldown"),
	ALWAYS("scale_down_cooldown"), ALWAYS("start_timeout"), ALWAYS("drain"),
	ALWAYS("stop_timeout"), ALWAYS("scale_up_alerts"), ALWAYS("scale_down_alerts"),
	ALWAYS("compose_project"), ALWAYS("compose_service"), ALWAYS("pull"),
	ALWAYS("idle_after"), ALWAYS("depends_on"), ALWAYS("wake_listen"), ALWAYS("balancer"),
	ALWAYS("runtime"), ALWAYS("readiness"),
	ALWAYS("post_start"), ALWAYS("pre_stop"), ALWAYS("pre_stop_http"),
	ELSEWHERE("post_start_timeout", "config_hooks.c (without post_start)"),
	ELSEWHERE("pre_stop_timeout", "config_hooks.c (without pre_stop or pre_stop_http)"),
	/* bounds by the time of the week (doc/scaling.md, "Scheduled bounds"): in force
	 * with any metric, none included */
	ALWAYS("schedule"),
	/* the rest of the container definition (config_ctr.c): always in the create body */
	ALWAYS("volume"), ALWAYS("tmpfs"), ALWAYS("label"), ALWAYS("env_file"), ALWAYS("user"),
	ALWAYS("working_dir"), ALWAYS("entrypoint"), ALWAYS("hostname"), ALWAYS("read_only"),
	ALWAYS("cap_add"), ALWAYS("cap_drop"), ALWAYS("security_opt"),
	ALWAYS("no_new_privileges"), ALWAYS("pids_limit"), ALWAYS("shm_size"), ALWAYS("ulimit"),
	ALWAYS("extra_host"), ALWAYS("dns"), ALWAYS("dns_search"), ALWAYS("dns_opt"),
	ALWAYS("domainname"), ALWAYS("sysctl"), ALWAYS("group_add"), ALWAYS("oom_score_adj"),
	ALWAYS("log_driver"), ALWAYS("log_opt"), ALWAYS("stop_signal"), ALWAYS("restart"),
	ALWAYS("healthcheck"), ALWAYS("networks"),
	ELSEWHERE("healthcheck_interval", "config_ctr.c (an error with healthcheck = none)"),
	ELSEWHERE("healthcheck_timeout", "config_ctr.c (an error with healthcheck = none)"),
	ELSEWHERE("healthcheck_start_period", "config_ctr.c (an error with healthcheck = none)"),
	ELSEWHERE("healthcheck_retries", "config_ctr.c (an error with healthcheck = none)"),
};
#undef RULE
#undef ALWAYS
#undef ELSEWHERE

const struct config_moot *
config_moot_rows(size_t *n)
{
	*n = NKEYS(moots);
	return moots;
}

/* A key written out at its default says nothing either way (the example file writes
 * many): only a value that differs from it is worth a warning. */
static bool
at_default(const struct keydef *kd, const struct svc_conf *s, const struct svc_conf *dflt)
{
	const char *a = (const char *)s + kd->off, *b = (const char *)dflt + kd->off;

	switch (kd->type) {
	case K_DUR:
		return *(const int64_t *)(const void *)a == *(const int64_t *)(const void *)b;
	case K_INT:
		return *(const int *)(const void *)a == *(const int *)(const void *)b;
	case K_DBL:
		return *(const double *)(const void *)a == *(const double *)(const void *)b;
	case K_STR:
	case K_ABSPATH:
	case K_UPNAME:
	case K_TZ: {
		const char *x = *(char *const *)(const void *)a, *y = *(char *const *)(const void *)b;

		return (x == NULL ? "" : x)[0] == '\0' || (y != NULL && strcmp(x, y) == 0);
	}
	default:
		return false;
	}
}

void
config_moot_check(struct pstate *ps, const struct svc_conf *s)
{
	struct svc_conf dflt;
	int idx;

	if (config_svc_defaults(&dflt, s->name, s->line) == -1) {
		config_svc_free(&dflt);
		ps->oom = true;
		return;
	}
	for (size_t i = 0; i < NKEYS(moots); i++) {
		const struct keydef *kd = config_key_find(SEC_SERVICE, moots[i].key, &idx);
		int l = config_key_line(ps, moots[i].key, false);
		const char *why;

		if (moots[i].why == NULL || kd == NULL || l == 0 || at_default(kd, s, &dflt) ||
		    (why = moots[i].why(s)) == NULL)
			continue;
		config_pwarn(ps, l, "service %s: %s has no effect: %s", s->name, moots[i].key, why);
	}
	config_svc_free(&dflt);
}
