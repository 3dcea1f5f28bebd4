/* haproxy_config.c: the keys of the HAProxy balancer (doc/balancers.md, "Choosing a
 * balancer"): its [haproxy] section and haproxy_backend of [service], read by config's
 * machinery into struct haproxy_conf and struct haproxy_svc_conf. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "haproxy_config.h"

/* clang-format off */
#define KEY(n, t, o, lo, hi, f) { n, o, lo, hi, t, f }
#define H(f) offsetof(struct haproxy_conf, f)
#define HS(f) offsetof(struct haproxy_svc_conf, f)

static const struct keydef haproxy_keys[] = {
	KEY("socket", K_SOCKET, H(socket), 0, 0, 0),
	KEY("timeout", K_DUR, H(timeout_ms), 0, 300000, F_OPEN_LO),
};
static const struct keydef haproxy_svc_keys[] = {
	KEY("haproxy_backend", K_OWN, HS(backend), 0, HAPROXY_BACKEND_MAX, F_ROUTE),
};
/* clang-format on */
_Static_assert(NKEYS(haproxy_svc_keys) <= KIND_KEYS_MAX, "KIND_KEYS_MAX too small");

extern const struct config_kind haproxy_config_kind;

static int
defaults(void *p)
{
	struct haproxy_conf *c = p;

	c->socket = strdup(HAPROXY_SOCKET_DEFAULT);
	c->timeout_ms = HAPROXY_TIMEOUT_DEFAULT_MS;
	return c->socket != NULL ? 0 : -1;
}

static void
conf_free(void *p)
{
	free(((struct haproxy_conf *)p)->socket);
}

static int
svc_defaults(void *p)
{
	struct haproxy_svc_conf *c = p;

	c->backend = strdup("");
	return c->backend != NULL ? 0 : -1;
}

static void
svc_free(void *p)
{
	free(((struct haproxy_svc_conf *)p)->backend);
}

static bool
set_value(struct pstate *ps, const struct keydef *kd, void *p, const char *v)
{
	const char *k = kd->name;

	/* HAProxy's own rule for proxy names */
	if (!config_valid_chars(v, "_.:-"))
		return config_ctr_bad(ps, "%s: '%s' is not an HAProxy backend name "
		    "([A-Za-z0-9_.:-]+)", k, v);
	if (strlen(v) > (size_t)kd->hi)
		return config_ctr_bad(ps, "%s: %zu bytes long, at most %.0f", k, strlen(v), kd->hi);
	return config_ctr_set_str(ps, p, v);
}

static void
check_service(struct pstate *ps, const struct svc_conf *s)
{
	const struct haproxy_svc_conf *hs = config_ext(s->kinds, haproxy_config_kind.name);
	bool mine = config_kind_find(CONFIG_BALANCER, s->balancer) == &haproxy_config_kind;
	int lb = config_key_line(ps, "balancer", false);
	int lbk = config_key_line(ps, "haproxy_backend", true);

	if (mine && hs != NULL && hs->backend[0] == '\0' && lbk == 0)
		config_perr(ps, lb != 0 ? lb : s->line, "service %s: balancer = haproxy needs "
		    "haproxy_backend (a backend of haproxy.cfg with a dynamic algorithm)", s->name);
	if (!mine && lbk != 0 && lb != 0)
		config_perr(ps, lbk, "service %s: haproxy_backend is only used with balancer = "
		    "haproxy", s->name);
}

const struct config_kind haproxy_config_kind = {
	.name = "haproxy",
	.role = CONFIG_BALANCER,
	.routes = true,
	.traffic = CONFIG_TRAFFIC_COUNTERS,
	.section = "haproxy",
	.keys = haproxy_keys,
	.nkeys = NKEYS(haproxy_keys),
	.size = sizeof(struct haproxy_conf),
	.svc_keys = haproxy_svc_keys,
	.nsvc_keys = NKEYS(haproxy_svc_keys),
	.svc_size = sizeof(struct haproxy_svc_conf),
	.defaults = defaults,
	.free = conf_free,
	.svc_defaults = svc_defaults,
	.svc_free = svc_free,
	.set_value = set_value,
	.check_service = check_service,
};
