/* swarm_config.c: the swarm runtime as the configuration sees it (doc/swarm.md):
 * `runtime = swarm`, its swarm_service key (struct swarm_svc_conf) and the keys Swarm
 * owns, refused for its services. */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "swarm_config.h"

/* clang-format off */
static const struct keydef swarm_keys[] = {
	{ "swarm_service", offsetof(struct swarm_svc_conf, service), 0, SWARM_CONFIG_NAME_MAX,
	  K_OWN, 0 },
};
_Static_assert(NKEYS(swarm_keys) <= KIND_KEYS_MAX, "KIND_KEYS_MAX too small");

/* The keys of our own replicas' life that a Swarm service does not use, and who owns
 * that part instead (the container-definition keys, flag F_CTR, are the definition's;
 * the routing keys, flag F_ROUTE, its routing mesh's or DNS's). */
#define HOOKS_OWNER "the tasks' lifecycle (Swarm runs its own tasks, without dockscale's hooks)"
static const struct { const char *key, *owner; } swarm_owns[] = {
	{ "readiness", "the tasks' readiness (the service's own health check)" },
	{ "create_parallel", "the task creation (Swarm creates the tasks itself)" },
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
	{ "post_start", HOOKS_OWNER },
	{ "post_start_timeout", HOOKS_OWNER },
	{ "pre_stop", HOOKS_OWNER },
	{ "pre_stop_http", HOOKS_OWNER },
	{ "pre_stop_timeout", HOOKS_OWNER },
};
/* clang-format on */

extern const struct config_kind swarm_config_kind;

static bool
set_value(struct pstate *ps, const struct keydef *kd, void *p, const char *v)
{
	/* Swarm's own rule for a service name, and safe in a URL path as it is sent. */
	if (!isalnum((unsigned char)v[0]) || !config_valid_chars(v, "_.-") ||
	    strlen(v) > (size_t)kd->hi) {
		config_perr(ps, ps->line, "%s: '%s' is not a Swarm service name "
		    "([A-Za-z0-9][A-Za-z0-9_.-]*, at most %d characters)", kd->name, v,
		    SWARM_CONFIG_NAME_MAX);
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

/* runtime = swarm: the keys Swarm owns are errors on their own lines (every service's
 * check: swarm_service without runtime = swarm is one too). */
static void
check_service(struct pstate *ps, const struct svc_conf *s)
{
	const struct keydef *tab;
	size_t n;
	int l;

	if (config_kind_find(CONFIG_RUNTIME, s->runtime) != &swarm_config_kind) {
		if ((l = key_line(ps, "swarm_service")) != 0)
			config_perr(ps, l, "service %s: swarm_service needs runtime = swarm",
			    s->name);
		return;
	}
	for (size_t t = 0; (tab = config_service_table(t, &n)) != NULL; t++)
		for (size_t i = 0; i < n; i++)
			if ((tab[i].flags & F_CTR) && (l = key_line(ps, tab[i].name)) != 0)
				refuse(ps, s, l, tab[i].name, "the container definition "
				    "(docker service update changes it)");
	for (size_t t = 0; (tab = config_service_table(t, &n)) != NULL; t++)
		for (size_t i = 0; i < n; i++)
			if ((tab[i].flags & F_ROUTE) && (l = key_line(ps, tab[i].name)) != 0)
				refuse(ps, s, l, tab[i].name, "the routing (its routing mesh or DNS)");
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
			    "cAdvisor series every node's dockscaled exports (doc/swarm.md"
			    ")", s->name, config_metric_name((enum metric_kind)k));
}

const struct config_kind swarm_config_kind = {
	.name = "swarm",
	.role = CONFIG_RUNTIME,
	.foreign = true,
	.svc_keys = swarm_keys,
	.nsvc_keys = NKEYS(swarm_keys),
	.svc_size = sizeof(struct swarm_svc_conf),
	.set_value = set_value,
	.check_service = check_service,
};
