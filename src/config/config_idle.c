/* config_idle.c: the checks of sleeping when idle and waking a stack (idle_after,
 * idle_cpu_below, idle_ignore_*, depends_on; doc/sleeping.md). */
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

static const struct config_kind *
balancer_of(const struct svc_conf *s)
{
	return config_kind_find(CONFIG_BALANCER, s->balancer);
}

static enum config_traffic
traffic_of(const struct svc_conf *s)
{
	const struct config_kind *k = balancer_of(s);

	return k != NULL ? k->traffic : CONFIG_TRAFFIC_NONE;
}

/* An idle_ignore_path entry: an absolute path, and `*` only as its last byte (a prefix). */
static const char *
bad_path(const char *p)
{
	const char *star = strchr(p, '*');

	if (p[0] != '/')
		return "does not start with /";
	if (star != NULL && star[1] != '\0')
		return "has a * before its end (only PREFIX* is a pattern)";
	if (strpbrk(p, "?#") != NULL)
		return "has a query or fragment (the path alone is matched)";
	return NULL;
}

void
config_idle_check(struct pstate *ps, const struct svc_conf *s)
{
	int la = config_key_line(ps, "idle_after", false), l;
	static const char *const needs_after[] = { "idle_cpu_below", "idle_ignore_user_agent",
		"idle_ignore_path" };

	if ((l = config_key_line(ps, "idle_ignore_path", false)) > 0)
		for (size_t i = 0; i < s->idle_ignore_paths.n; i++) {
			const char *why = bad_path(s->idle_ignore_paths.v[i]);

			if (why != NULL)
				config_perr(ps, l, "service %s: idle_ignore_path '%s' %s", s->name,
				    s->idle_ignore_paths.v[i], why);
		}
	if (s->idle_after_ms == 0) {
		/* set to something (0 and an empty list are off anyway) */
		bool set[] = { s->idle_cpu_below > 0, s->idle_ignore_agents.n > 0,
			s->idle_ignore_paths.n > 0 };

		for (size_t i = 0; i < NKEYS(needs_after); i++)
			if (set[i] && (l = config_key_line(ps, needs_after[i], false)) > 0)
				config_pwarn(ps, l, "service %s: %s has no effect without idle_after",
				    s->name, needs_after[i]);
		return;
	}
	if (la == 0)
		return;
	if (s->dp.min_replicas > 0)
		config_perr(ps, la, "service %s: idle_after needs min_replicas = 0 (it sleeps at "
		    "zero replicas)", s->name);
	/* A balancer that routes sends the sleeping service's requests to the wake listener:
	 * without one a request at zero would find nothing. */
	if (balancer_of(s) != NULL && balancer_of(s)->routes && s->wake_listen[0] == '\0')
		config_perr(ps, la, "service %s: idle_after needs wake_listen (a request that "
		    "arrives while it sleeps wakes it there)", s->name);
	if (traffic_of(s) == CONFIG_TRAFFIC_COUNTERS) {
		static const char *const agent_path[] = { "idle_ignore_user_agent",
			"idle_ignore_path" };

		size_t n[] = { s->idle_ignore_agents.n, s->idle_ignore_paths.n };

		for (size_t i = 0; i < NKEYS(agent_path); i++)
			if (n[i] > 0 && (l = config_key_line(ps, agent_path[i], false)) > 0)
				config_pwarn(ps, l, "service %s: %s is applied only at the wake listener "
				    "with balancer = %s (its counters carry no path or User-Agent): "
				    "while awake every request counts (doc/sleeping.md)", s->name,
				    agent_path[i], s->balancer);
	}
}

static const struct svc_conf *
find(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nsvcs; i++)
		if (strcmp(cfg->svcs[i].name, name) == 0)
			return &cfg->svcs[i];
	return NULL;
}

/* Does a path of depends_on lead from s back to start? chain holds the path (depth
 * entries so far), for the message; seen, the services already explored from start. */
static bool
cycle_from(const struct config *cfg, const struct svc_conf *start, const struct svc_conf *s,
    const struct svc_conf **chain, size_t depth, bool *seen)
{
	chain[depth] = s;
	for (size_t i = 0; i < s->depends_on.n; i++) {
		const struct svc_conf *t = find(cfg, s->depends_on.v[i]);

		if (t == NULL)
			continue;
		if (t == start) {
			chain[depth + 1] = t;
			return true;
		}
		if (seen[t - cfg->svcs])
			continue;
		seen[t - cfg->svcs] = true;
		if (cycle_from(cfg, start, t, chain, depth + 1, seen))
			return true;
	}
	return false;
}

static bool
depended_on(const struct config *cfg, const struct svc_conf *s)
{
	for (size_t i = 0; i < cfg->nsvcs; i++)
		for (size_t j = 0; j < cfg->svcs[i].depends_on.n; j++)
			if (strcmp(cfg->svcs[i].depends_on.v[j], s->name) == 0)
				return true;
	return false;
}

static void
check_depends(struct pstate *ps, const struct config *cfg, const struct svc_conf *s,
    const struct svc_conf **chain, bool *seen)
{
	int l = s->depends_on_line;
	char path[512];
	size_t off = 0;
	bool self = false;

	for (size_t i = 0; i < s->depends_on.n; i++) {
		const char *name = s->depends_on.v[i];

		if (strcmp(name, s->name) == 0 && !self) {
			config_perr(ps, l, "service %s: depends_on names the service itself", s->name);
			self = true;
		}
		else if (find(cfg, name) == NULL)
			config_perr(ps, l, "service %s: depends_on '%s' is not a [service] of this "
			    "file", s->name, name);
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->depends_on.v[j], name) == 0) {
				config_perr(ps, l, "service %s: depends_on names '%s' twice", s->name,
				    name);
				break;
			}
	}
	if (self) /* said: not also as a cycle of one */
		return;
	memset(seen, 0, cfg->nsvcs * sizeof(*seen));
	seen[s - cfg->svcs] = true;
	if (!cycle_from(cfg, s, s, chain, 0, seen))
		return;
	/* The chain ends where it began: name it whole, once per service on it. */
	for (size_t i = 0; i <= cfg->nsvcs && off < sizeof(path); i++) {
		int w = snprintf(path + off, sizeof(path) - off, "%s%s", i ? " -> " : "",
		    chain[i]->name);

		if (w < 0)
			break;
		off += (size_t)w;
		if (i > 0 && chain[i] == s)
			break;
	}
	if (off >= sizeof(path))
		(void)snprintf(path + sizeof(path) - 4, 4, "...");
	config_perr(ps, l, "service %s: depends_on makes a cycle (%s)", s->name, path);
}

void
config_idle_check_services(struct pstate *ps, const struct config *cfg)
{
	const struct svc_conf **chain = calloc(cfg->nsvcs + 2, sizeof(*chain));
	bool *seen = calloc(cfg->nsvcs + 1, sizeof(*seen));

	if (chain == NULL || seen == NULL) {
		ps->oom = true;
		goto out;
	}
	for (size_t i = 0; i < cfg->nsvcs; i++) {
		const struct svc_conf *s = &cfg->svcs[i];

		if (s->depends_on.n > 0 && s->depends_on_line > 0)
			check_depends(ps, cfg, s, chain, seen);
		if (s->idle_after_ms == 0)
			continue;
		/* Without its own traffic, only the services that need it say when it is idle. */
		if (traffic_of(s) == CONFIG_TRAFFIC_NONE && !depended_on(cfg, s))
			config_perr(ps, s->line, "service %s: idle_after needs traffic to measure "
			    "(balancer nginx or haproxy) or a service that depends_on it",
			    s->name);
		if (traffic_of(s) == CONFIG_TRAFFIC_LOG && cfg->nginx_access_log[0] == '\0')
			config_perr(ps, s->line, "service %s: idle_after reads nginx's access log: "
			    "set [nginx] access_log_socket (doc/traffic.md)", s->name);
	}
out:
	free(chain);
	free(seen);
}
