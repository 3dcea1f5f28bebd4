/* swarm_config.c: the [service] keys of runtime = swarm, and the keys Swarm owns
 * (README.md, "Running on a Swarm cluster"). */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

#define S(f) offsetof(struct svc_conf, f)

/* clang-format off */
static const struct keydef swarm_keys[] = {
	{ "swarm_service", S(swarm_service), 0, CONFIG_SWARM_SERVICE_MAX, K_SWARMSVC, 0 },
};
_Static_assert(NKEYS(swarm_keys) <= SWARM_KEYS_MAX, "SWARM_KEYS_MAX too small");

/* The keys of our own replicas' life that a Swarm service does not use, and who owns
 * that part instead (the container-definition keys, flag F_CTR, are the definition's). */
static const struct { const char *key, *owner; } swarm_owns[] = {
	{ "balancer", "the routing (its routing mesh or DNS)" },
	{ "haproxy_backend", "the routing (its routing mesh or DNS)" },
	{ "wake_listen", "the routing (its routing mesh or DNS)" },
	{ "wake_queue", "the routing (its routing mesh or DNS)" },
	{ "wake_timeout", "the routing (its routing mesh or DNS)" },
	{ "readiness", "the tasks' readiness (the service's own health check)" },
	{ "upstream_file", "the routing (its routing mesh or DNS)" },
	{ "upstream_name", "the routing (its routing mesh or DNS)" },
	{ "rollout_surge", "the rolling updates (docker service update --update-*)" },
	{ "rollout_min_healthy", "the rolling updates (docker service update --update-*)" },
	{ "rollout_max_failures", "the rolling updates (docker service update --update-*)" },
	{ "compose_project", "the definition (docker stack deploy takes a compose file)" },
	{ "compose_service", "the definition (docker stack deploy takes a compose file)" },
	{ "pull", "the image pulls (each node pulls for its tasks)" },
	{ "port", "the tasks' ports and health (the service's own health check)" },
	{ "network", "the tasks' networks (docker service create --network)" },
	{ "health_path", "the tasks' ports and health (the service's own health check)" },
	{ "start_timeout", "the tasks' lifecycle (the health check's start period)" },
	{ "drain", "the tasks' lifecycle (--stop-grace-period)" },
	{ "stop_timeout", "the tasks' lifecycle (--stop-grace-period)" },
};
/* clang-format on */

const struct keydef *
swarm_config_keys(size_t *n)
{
	*n = NKEYS(swarm_keys);
	return swarm_keys;
}

bool
swarm_config_set_value(struct pstate *ps, const struct keydef *kd, void *p, const char *v)
{
	if (kd->type != K_SWARMSVC)
		return false;
	/* Swarm's own rule for a service name, and safe in a URL path as it is sent. */
	if (!isalnum((unsigned char)v[0]) || !config_valid_chars(v, "_.-") ||
	    strlen(v) > (size_t)kd->hi) {
		config_perr(ps, ps->line, "%s: '%s' is not a Swarm service name "
		    "([A-Za-z0-9][A-Za-z0-9_.-]*, at most %d characters)", kd->name, v,
		    CONFIG_SWARM_SERVICE_MAX);
		return false;
	}
	memcpy(p, v, strlen(v) + 1);
	return true;
}

/* The line of key in this [service] (valid or not), 0 when not given. */
static int
key_line(const struct pstate *ps, const char *key)
{
	int idx;

	return config_key_find(SEC_SERVICE, key, &idx) != NULL ? abs(ps->seen[idx]) : 0;
}

static void
refuse(struct pstate *ps, const struct svc_conf *s, int line, const char *key,
    const char *owner)
{
	config_perr(ps, line, "service %s: %s is not used with runtime = swarm: Swarm owns %s",
	    s->name, key, owner);
}

bool
swarm_config_check(struct pstate *ps, const struct svc_conf *s)
{
	const struct keydef *tabs[2];
	size_t ns[2];
	int l;

	if (config_kind_find(CONFIG_RUNTIME, s->runtime) !=
	    config_kind_find(CONFIG_RUNTIME, "swarm")) {
		if ((l = key_line(ps, "swarm_service")) != 0)
			config_perr(ps, l, "service %s: swarm_service needs runtime = swarm",
			    s->name);
		return false;
	}
	tabs[0] = config_keys(SEC_SERVICE, &ns[0]);
	tabs[1] = config_ctr_keys(&ns[1]);
	for (size_t t = 0; t < 2; t++)
		for (size_t i = 0; i < ns[t]; i++)
			if ((tabs[t][i].flags & F_CTR) && (l = key_line(ps, tabs[t][i].name)) != 0)
				refuse(ps, s, l, tabs[t][i].name, "the container definition "
				    "(docker service update changes it)");
	for (size_t i = 0; i < NKEYS(swarm_owns); i++)
		if ((l = key_line(ps, swarm_owns[i].key)) != 0)
			refuse(ps, s, l, swarm_owns[i].key, swarm_owns[i].owner);
	/* The local Engine's stats cover its own node's tasks only: a percentage of a part
	 * of the service would scale the whole on a guess. */
	for (int k = METRIC_DOCKER_CPU; k <= METRIC_DOCKER_MEMORY; k++)
		if (s->metrics & METRIC_BIT(k))
			config_perr(ps, key_line(ps, "metric") ? key_line(ps, "metric") : s->line,
			    "service %s: metric %s is not used with runtime = swarm: the local "
			    "Engine sees only its own node's tasks; use metric = prometheus over the "
			    "cAdvisor series every node's dockscaled exports (README.md, \"Running "
			    "on a Swarm cluster\")", s->name, config_metric_name((enum metric_kind)k));
	return true;
}
