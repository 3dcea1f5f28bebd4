/* config_check.c: checks across keys, services and sections, once they are all read. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

/* The HOST of a listen address valid_listen accepted is loopback: 127/8, ::1, localhost. */
static bool
listen_loopback(const char *s)
{
	char host[64];
	size_t hl = (size_t)(strrchr(s, ':') - s);
	struct in6_addr a6;
	struct in_addr a4;

	if (hl >= sizeof(host))
		return false;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (strcmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (hl < 3)
		return false;
	host[hl - 1] = '\0'; /* [v6] */
	return inet_pton(AF_INET6, host + 1, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* The key was given a valid value (or none): a check across keys may rely on it. */
static bool
svc_key_ok(const struct pstate *ps, const char *name)
{
	int idx;

	return config_key_find(SEC_SERVICE, name, &idx) != NULL && ps->seen[idx] >= 0;
}

/* Line of a key of this [service], 0 when it was not given (valid or not). */
static int
svc_key_line(const struct pstate *ps, const char *name)
{
	int idx;

	return config_key_find(SEC_SERVICE, name, &idx) != NULL ? abs(ps->seen[idx]) : 0;
}

static void
compose_refuses(struct pstate *ps, const struct svc_conf *s, int line, const char *key)
{
	config_perr(ps, line, "service %s: %s cannot be set with compose_project/compose_service "
	            "(the container definition comes from the compose container)", s->name, key);
}

/* doc/compose.md: both keys or neither, and then
 * the container's definition is compose's alone: every F_CTR key is an error on its
 * own line. True when the service takes its definition from compose. */
static bool
check_compose(struct pstate *ps, const struct svc_conf *s)
{
	int lp = svc_key_line(ps, "compose_project"), ls = svc_key_line(ps, "compose_service");
	const struct keydef *keys, *ctr;
	size_t n, m;

	if (lp == 0 && ls == 0)
		return false;
	if (ls == 0)
		config_perr(ps, lp, "service %s: compose_project needs compose_service (the "
		            "service's name in the compose file)", s->name);
	else if (lp == 0)
		config_perr(ps, ls, "service %s: compose_service needs compose_project (the "
		            "project name, docker-compose -p)", s->name);
	keys = config_keys(SEC_SERVICE, &n);
	for (size_t i = 0; i < n; i++)
		if ((keys[i].flags & F_CTR) && ps->seen[i] != 0)
			compose_refuses(ps, s, abs(ps->seen[i]), keys[i].name);
	/* config_key_find indexes the container keys after the service keys */
	ctr = config_ctr_keys(&m);
	for (size_t j = 0; j < m; j++)
		if ((ctr[j].flags & F_CTR) && ps->seen[n + j] != 0)
			compose_refuses(ps, s, abs(ps->seen[n + j]), ctr[j].name);
	return true;
}

/* Its runtime's replicas are another system's to define and route (config_kinds.c). */
static bool
foreign(const struct svc_conf *s)
{
	const struct config_kind *k = config_kind_find(CONFIG_RUNTIME, s->runtime);

	return k != NULL && k->foreign;
}

static bool
reads_upstream(const struct svc_conf *s)
{
	return s->balancer == NULL || strcmp(s->balancer, "nginx") == 0;
}

/* The line a service key was set on, or dflt when it was not (or was bad). */
static int
svc_key_line_or(const struct pstate *ps, const char *name, int dflt)
{
	int idx;
	return config_key_find(SEC_SERVICE, name, &idx) != NULL && ps->seen[idx] > 0
	           ? ps->seen[idx]
	           : dflt;
}

/* The traffic metrics and their keys (doc/traffic.md). */
static void
check_traffic(struct pstate *ps, const struct svc_conf *s)
{
	const struct config_kind *kind = config_kind_find(CONFIG_BALANCER, s->balancer);
	enum config_traffic src = kind != NULL ? kind->traffic : CONFIG_TRAFFIC_NONE;
	int lm = svc_key_line_or(ps, "metric", s->line), l;

	if ((s->metrics & METRIC_TRAFFIC) && src == CONFIG_TRAFFIC_NONE &&
	    svc_key_ok(ps, "metric") && svc_key_ok(ps, "balancer"))
		for (int k = METRIC_REQUESTS; k <= METRIC_LATENCY; k++)
			if (s->metrics & METRIC_BIT(k)) {
				config_perr(ps, lm, "service %s: metric %s reads the traffic from the "
				    "balancer, and balancer = %s has none (nginx or haproxy)", s->name,
				    config_metric_name((enum metric_kind)k), s->balancer);
				break;
			}
	if ((l = config_key_line(ps, "latency_percentile", false)) > 0 &&
	    src == CONFIG_TRAFFIC_COUNTERS)
		config_pwarn(ps, l, "service %s: latency_percentile has no effect with balancer = "
		    "%s (its counters give an average response time)", s->name, s->balancer);
	if ((l = config_key_line(ps, "scale_down_victim", false)) > 0 &&
	    s->victim == VICTIM_LEAST_BUSY && src == CONFIG_TRAFFIC_NONE)
		config_pwarn(ps, l, "service %s: scale_down_victim = least_busy has no traffic "
		    "data with balancer = %s: the newest replica leaves first", s->name,
		    s->balancer);
}

void
config_check_service(struct pstate *ps, const struct svc_conf *s)
{
	const struct decide_params *dp = &s->dp;
	int l = s->line;
	bool compose = check_compose(ps, s);

	config_kinds_check(ps, s, CONFIG_RUNTIME);
	if (!s->image && !compose && !foreign(s) && svc_key_ok(ps, "image"))
		config_perr(ps, l, "service %s: image is required", s->name);
	if (svc_key_ok(ps, "min_replicas") && svc_key_ok(ps, "max_replicas") &&
	    dp->min_replicas > dp->max_replicas)
		config_perr(ps, l,
		            "service %s: min_replicas (%d) is greater than max_replicas (%d)",
		            s->name, dp->min_replicas, dp->max_replicas);
	if (svc_key_ok(ps, "scale_up_threshold") && svc_key_ok(ps, "scale_down_threshold") &&
	    !(dp->down_threshold < dp->up_threshold))
		config_perr(
		    ps, l,
		    "service %s: scale_down_threshold (%g) must be below scale_up_threshold "
		    "(%g)",
		    s->name, dp->down_threshold, dp->up_threshold);
	if (svc_key_ok(ps, "memory_scale_up_threshold") &&
	    svc_key_ok(ps, "memory_scale_down_threshold") &&
	    !(s->mem_down_threshold < s->mem_up_threshold))
		config_perr(ps, l,
		            "service %s: memory_scale_down_threshold (%g) must be below "
		            "memory_scale_up_threshold (%g)",
		            s->name, s->mem_down_threshold, s->mem_up_threshold);
	if ((s->metrics & METRIC_BIT(METRIC_PROMETHEUS)) && !*s->query && svc_key_ok(ps, "query"))
		config_perr(ps, l, "service %s: metric = prometheus needs a query", s->name);
	/* A percentage of no limit means nothing (doc/scaling.md, "The metric"). */
	if ((s->metrics & METRIC_BIT(METRIC_DOCKER_MEMORY)) && s->memory == 0 &&
	    svc_key_ok(ps, "memory"))
		config_perr(ps, svc_key_line_or(ps, "metric", l),
		            "service %s: metric docker_memory needs a memory limit (memory = 0 "
		            "is unlimited)",
		            s->name);
	if (s->metrics == 0 && dp->policy != POLICY_THRESHOLD)
		config_perr(
		    ps, l,
		    "service %s: policy = %s needs a metric (metric = none only takes "
		    "alerts)",
		    s->name, dp->policy == POLICY_TARGET ? "target" : "predictive");
	for (size_t i = 0; i < s->up_alerts.n; i++)
		for (size_t j = 0; j < s->down_alerts.n; j++)
			if (strcmp(s->up_alerts.v[i], s->down_alerts.v[j]) == 0)
				config_perr(
				    ps, l,
				    "service %s: alert '%s' is in both scale_up_alerts and "
				    "scale_down_alerts",
				    s->name, s->up_alerts.v[i]);
	check_traffic(ps, s);
	config_sleep_check(ps, s);
	config_ctr_check(ps, s);
	config_kinds_check(ps, s, CONFIG_BALANCER);
	config_lb_check(ps, s);
	config_idle_check(ps, s);
	config_schedule_check(ps, s);
	config_hooks_check(ps, s);
	config_moot_check(ps, s);
}

/* [nginx] access_log_socket and the services that read it: the section may follow them. */
static void
check_access_log(struct pstate *ps, const struct config *cfg)
{
	bool logs = false;

	for (size_t i = 0; i < cfg->nsvcs; i++) {
		const struct svc_conf *s = &cfg->svcs[i];
		const struct config_kind *kind = config_kind_find(CONFIG_BALANCER, s->balancer);

		if (kind == NULL || kind->traffic != CONFIG_TRAFFIC_LOG)
			continue;
		logs = true;
		if ((s->metrics & METRIC_TRAFFIC) && cfg->nginx_access_log[0] == '\0')
			config_perr(ps, s->line, "service %s: its traffic metrics need [nginx] "
			    "access_log_socket (nginx sends each request's line there; "
			    "doc/traffic.md)", s->name);
	}
	if (!logs && cfg->nginx_access_log[0] != '\0')
		config_pwarn(ps, 0, "[nginx] access_log_socket has no effect: no service has "
		    "balancer = nginx");
}

void
config_check_nginx(struct pstate *ps, const struct config *cfg)
{
	static const char *const moot[] = { "test_command", "reload_command", "pid_file" };
	int idx;

	if (cfg->nginx_container[0] == '\0')
		return;
	/* doc/balancers.md, "nginx in a container": the Engine API tests, signals and
	 * watches it; nothing runs or reads on the daemon's side. */
	for (size_t i = 0; i < NKEYS(moot); i++)
		if (config_key_find(SEC_NGINX, moot[i], &idx) != NULL && ps->seen[idx] > 0)
			config_pwarn(ps, ps->seen[idx], "[nginx] %s has no effect with container "
			    "set (the test is `nginx -t` run in container %s, the reload its "
			    "SIGHUP, both through the Docker Engine API)", moot[i],
			    cfg->nginx_container);
}

/* Separate from config_check_service: it needs every service, so it runs at the end. */
void
config_check_services(struct pstate *ps, struct config *cfg)
{
	/* The default nginx commands (no [nginx] key) are found in PATH like set ones;
	 * missing, they are an error only when a service will run them. */
	struct strv *cmds[] = { &cfg->nginx_test, &cfg->nginx_reload };
	bool runs = false; /* a service has balancer = nginx (a daemon in a container
	                    * behind HAProxy has no nginx: doc/container.md) */

	for (size_t i = 0; i < cfg->nsvcs; i++)
		runs |= !foreign(&cfg->svcs[i]) && reads_upstream(&cfg->svcs[i]);
	/* nginx in a container (doc/balancers.md): they are not run here */
	for (size_t i = 0; i < NKEYS(cmds) && !ps->oom && cfg->nginx_container[0] == '\0'; i++) {
		if (cmds[i]->n > 0 && strchr(cmds[i]->v[0], '/') == NULL) {
			int line = ps->line;
			ps->line = 0;
			(void)config_resolve_program(ps, i == 0 ? "test_command (default)"
			                                 : "reload_command (default)",
			                      cmds[i], runs);
			ps->line = line;
		}
	}
	config_lb_check_services(ps, cfg);
	check_access_log(ps, cfg);
	config_idle_check_services(ps, cfg);
	for (size_t i = 0; i < cfg->nsvcs; i++) {
		const struct svc_conf *s = &cfg->svcs[i];
		/* only nginx reads the file (a runtime of another system routes its own) */
		for (size_t j = 0; j < i && !foreign(s) && reads_upstream(s); j++) {
			if (!foreign(&cfg->svcs[j]) && reads_upstream(&cfg->svcs[j]) &&
			    strcmp(s->upstream_file, cfg->svcs[j].upstream_file) == 0) {
				config_perr(
				    ps, s->line,
				    "service %s: upstream_file %s is also used by service %s; "
				    "each service needs its own",
				    s->name, s->upstream_file, cfg->svcs[j].name);
				break;
			}
		}
	}
}

/* doc/api.md, "API limits": off loopback, anyone who can reach the port could change the
 * services, so the token is required there. */
void
config_check_daemon(struct pstate *ps, const struct config *cfg)
{
	if (ps->listen_line > 0 && !listen_loopback(cfg->listen) &&
	    (cfg->token_file == NULL || cfg->token_file[0] == '\0'))
		config_perr(ps, ps->listen_line,
		            "listen: %s is not a loopback address; set token_file to expose the API",
		            cfg->listen);
}
