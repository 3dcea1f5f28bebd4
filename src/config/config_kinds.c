/* config_kinds.c: the balancer kinds and runtimes the configuration knows (include/lb.h,
 * include/runtime.h), the `balancer` and `runtime` keys that pick one, and each kind's
 * own keys: their structs, values and checks. A new kind is one entry in kinds[] (with
 * keys of its own, declared on the line above it: config includes no kind's header). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

#define S(f) offsetof(struct svc_conf, f)

static const struct config_kind nginx_kind = {
	.name = "nginx", .role = CONFIG_BALANCER, .routes = true, .traffic = CONFIG_TRAFFIC_LOG,
};
static const struct config_kind none_kind = { .name = "none", .role = CONFIG_BALANCER };
static const struct config_kind containers_kind = {
	.name = "containers", .role = CONFIG_RUNTIME,
};

/* The kinds with keys of their own are defined in their own files. */
extern const struct config_kind haproxy_config_kind, swarm_config_kind;

/* Each role's first kind is its default. */
static const struct config_kind *const kinds[] = {
	&nginx_kind, &haproxy_config_kind, &none_kind, &containers_kind, &swarm_config_kind,
};
_Static_assert(NKEYS(kinds) <= CONFIG_KINDS_MAX, "CONFIG_KINDS_MAX too small");

/* clang-format off */
static const struct keydef kind_keys[] = {
	{ "balancer", S(balancer), 0, 0, K_BALANCER, F_ROUTE },
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

/* The kind a K_OWN key belongs to (its tables are static: kd points into one). */
static const struct config_kind *
owner(const struct keydef *kd)
{
	for (size_t i = 0; i < NKEYS(kinds); i++) {
		const struct config_kind *k = kinds[i];

		if ((k->keys != NULL && kd >= k->keys && kd < k->keys + k->nkeys) ||
		    (k->svc_keys != NULL && kd >= k->svc_keys && kd < k->svc_keys + k->nsvc_keys))
			return k;
	}
	return NULL;
}

bool
config_kinds_set_value(struct pstate *ps, const struct keydef *kd, void *p, const char *v)
{
	enum config_role role = kd->type == K_RUNTIME ? CONFIG_RUNTIME : CONFIG_BALANCER;
	const struct config_kind *kind;
	char names[128];

	if (kd->type == K_OWN) {
		kind = owner(kd);
		if (kind != NULL && kind->set_value != NULL)
			return kind->set_value(ps, kd, p, v);
		config_perr(ps, ps->line, "%s: internal error: no parser", kd->name);
		return false;
	}
	if ((kind = config_kind_find(role, v)) != NULL) {
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

int
config_kind_section(const char *name)
{
	for (size_t i = 0; i < NKEYS(kinds); i++)
		if (kinds[i]->section != NULL && strcmp(kinds[i]->section, name) == 0)
			return (int)i;
	return -1;
}

/* One kind's struct of size bytes, made with its defaults. */
static int
make(struct config_ext *e, const char *kind, size_t size, int (*defaults)(void *))
{
	e->kind = kind;
	if (size == 0)
		return 0;
	if ((e->conf = calloc(1, size)) == NULL)
		return -1;
	return defaults != NULL ? defaults(e->conf) : 0;
}

int
config_kinds_defaults(struct config_ext *v)
{
	int rc = 0;

	for (size_t i = 0; i < NKEYS(kinds); i++)
		if (make(&v[i], kinds[i]->name, kinds[i]->size, kinds[i]->defaults) == -1)
			rc = -1;
	return rc;
}

int
config_kinds_svc_defaults(struct config_ext *v)
{
	int rc = 0;

	for (size_t i = 0; i < NKEYS(kinds); i++)
		if (make(&v[i], kinds[i]->name, kinds[i]->svc_size, kinds[i]->svc_defaults) == -1)
			rc = -1;
	return rc;
}

static void
unmake(struct config_ext *e, void (*fn)(void *))
{
	if (e->conf != NULL && fn != NULL)
		fn(e->conf);
	free(e->conf);
	e->conf = NULL;
	e->kind = NULL;
}

void
config_kinds_free(struct config_ext *v)
{
	for (size_t i = 0; i < NKEYS(kinds); i++)
		unmake(&v[i], kinds[i]->free);
}

void
config_kinds_svc_free(struct config_ext *v)
{
	for (size_t i = 0; i < NKEYS(kinds); i++)
		unmake(&v[i], kinds[i]->svc_free);
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
