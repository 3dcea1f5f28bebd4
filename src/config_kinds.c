/* config_kinds.c: the balancer kinds and runtimes the configuration knows (README.md,
 * "Choosing a balancer", "Running on a Swarm cluster"), the `balancer` and `runtime` keys
 * that pick one, and the calls into each kind's own checks. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config_int.h"

#define S(f) offsetof(struct svc_conf, f)

static const struct config_kind nginx_kind = {
	.name = "nginx", .role = CONFIG_BALANCER, .routes = true,
};
static const struct config_kind haproxy_kind = {
	.name = "haproxy", .role = CONFIG_BALANCER, .routes = true,
};
static const struct config_kind none_kind = { .name = "none", .role = CONFIG_BALANCER };
static const struct config_kind containers_kind = {
	.name = "containers", .role = CONFIG_RUNTIME,
};
static const struct config_kind swarm_kind = {
	.name = "swarm", .role = CONFIG_RUNTIME, .foreign = true,
};

/* Each role's first kind is its default. */
static const struct config_kind *const kinds[] = {
	&nginx_kind, &haproxy_kind, &none_kind, &containers_kind, &swarm_kind,
};

/* clang-format off */
static const struct keydef kind_keys[] = {
	{ "balancer", S(balancer), 0, 0, K_BALANCER, 0 },
	{ "runtime", S(runtime), 0, 0, K_RUNTIME, 0 },
};
/* clang-format on */
_Static_assert(NKEYS(kind_keys) <= KINDS_KEYS_MAX, "KINDS_KEYS_MAX too small");

const struct config_kind *
config_kind_at(size_t i)
{
	return i < NKEYS(kinds) ? kinds[i] : NULL;
}

const struct config_kind *
config_kind_find(enum config_role role, const char *name)
{
	for (size_t i = 0; i < NKEYS(kinds); i++)
		if (kinds[i]->role == role && (name == NULL || strcmp(kinds[i]->name, name) == 0))
			return kinds[i];
	return NULL;
}

void
config_kind_names(enum config_role role, bool routing, const char *sep, char *out,
    size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < NKEYS(kinds); i++) {
		int r;

		if (kinds[i]->role != role || (routing && !kinds[i]->routes))
			continue;
		r = snprintf(out + n, len - n, "%s%s", n > 0 ? sep : "", kinds[i]->name);
		if (r < 0 || (size_t)r >= len - n)
			return; /* cut: the messages' buffers fit every list */
		n += (size_t)r;
	}
}

const struct keydef *
config_kinds_keys(size_t *n)
{
	*n = NKEYS(kind_keys);
	return kind_keys;
}

bool
config_kinds_set_value(struct pstate *ps, const struct keydef *kd, void *p, const char *v)
{
	enum config_role role = kd->type == K_RUNTIME ? CONFIG_RUNTIME : CONFIG_BALANCER;
	const struct config_kind *kind = config_kind_find(role, v);
	char names[128];

	if (kind != NULL) {
		*(const char **)p = kind->name;
		return true;
	}
	config_kind_names(role, false, ", ", names, sizeof(names));
	config_perr(ps, ps->line, "%s: '%s' is not one of %s", kd->name, v, names);
	return false;
}

void
config_kinds_check(struct pstate *ps, const struct svc_conf *s, enum config_role role)
{
	for (size_t i = 0; i < NKEYS(kinds); i++)
		if (kinds[i]->role == role && kinds[i]->check_service != NULL)
			kinds[i]->check_service(ps, s);
}

const char *
config_runtime_changed(const struct config *old, const struct config *next)
{
	for (size_t i = 0; i < next->nsvcs; i++) {
		const struct svc_conf *o = config_service(old, next->svcs[i].name);

		if (o != NULL && config_kind_find(CONFIG_RUNTIME, o->runtime) !=
		    config_kind_find(CONFIG_RUNTIME, next->svcs[i].runtime))
			return next->svcs[i].name;
	}
	return NULL;
}
