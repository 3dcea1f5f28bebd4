/* config_lb.c: the balancer keys: [haproxy], and balancer, haproxy_backend, wake_* of [service]. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "docker.h"

/* A backend name is HAProxy's identifier charset; the runtime API commands carrying it
 * ("set server B/S state maint") are built in fixed buffers (lb_haproxy.c). */
#define HABACKEND_MAX 100
#define WAKE_TIMEOUT_MAX_MS (3600.0 * 1000)

/* clang-format off */
#define KEY(n, t, o, lo, hi, f) { n, o, lo, hi, t, f }
#define C(f) offsetof(struct config, f)
#define S(f) offsetof(struct svc_conf, f)

static const struct keydef haproxy_keys[] = {
	KEY("socket", K_SOCKET, C(haproxy_socket), 0, 0, 0),
	KEY("timeout", K_DUR, C(haproxy_timeout_ms), 0, 300000, F_OPEN_LO),
};
static const struct keydef lb_svc_keys[] = {
	KEY("haproxy_backend", K_HABACKEND, S(haproxy_backend), 0, HABACKEND_MAX, 0),
	KEY("wake_listen", K_WAKELISTEN, S(wake_listen), 0, 0, 0),
	KEY("wake_queue", K_INT, S(wake_queue), 1, CONFIG_WAKE_QUEUE_MAX, 0),
	KEY("wake_timeout", K_DUR, S(wake_timeout_ms), 0, WAKE_TIMEOUT_MAX_MS, F_OPEN_LO),
};
_Static_assert(NKEYS(lb_svc_keys) <= LB_KEYS_MAX, "LB_KEYS_MAX too small");
/* clang-format on */

const struct keydef *
config_lb_keys(enum section sec, size_t *n)
{
	if (sec == SEC_HAPROXY) {
		*n = NKEYS(haproxy_keys);
		return haproxy_keys;
	}
	*n = NKEYS(lb_svc_keys);
	return lb_svc_keys;
}

/* IPv4:PORT, port 1..65535: both nginx (`server A:P;`) and HAProxy (`add server B/S A:P`)
 * take it as is, and the daemon binds it. */
static bool
valid_wake_listen(const char *v)
{
	const char *colon = strrchr(v, ':');
	char host[16], *end;
	struct in_addr a;
	unsigned long port;

	if (colon == NULL || (size_t)(colon - v) >= sizeof(host) || colon[1] == '\0' ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return false;
	memcpy(host, v, (size_t)(colon - v));
	host[colon - v] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	return errno == 0 && port >= 1 && port <= 65535 && inet_pton(AF_INET, host, &a) == 1;
}

bool
config_lb_set_value(struct pstate *ps, const struct keydef *kd, void *p, const char *v)
{
	const char *k = kd->name;

	switch (kd->type) {
	case K_HABACKEND:
		/* HAProxy's own rule for proxy names */
		if (!config_valid_chars(v, "_.:-"))
			return config_ctr_bad(ps, "%s: '%s' is not an HAProxy backend name "
			    "([A-Za-z0-9_.:-]+)", k, v);
		if (strlen(v) > (size_t)kd->hi)
			return config_ctr_bad(ps, "%s: %zu bytes long, at most %.0f", k, strlen(v),
			    kd->hi);
		return config_ctr_set_str(ps, p, v);
	case K_WAKELISTEN:
		if (*v != '\0' && !valid_wake_listen(v))
			return config_ctr_bad(ps, "%s: '%s' is not IPV4:PORT (port 1..65535)", k, v);
		return config_ctr_set_str(ps, p, v);
	default:
		return config_ctr_bad(ps, "%s: internal error: unknown value type", k);
	}
}

/* The line of one of this file's [service] keys, 0 when unset (or, unless any, bad). */
static int
key_line(const struct pstate *ps, const char *name, bool any)
{
	int idx;

	if (config_key_find(SEC_SERVICE, name, &idx) == NULL)
		return 0;
	return any ? abs(ps->seen[idx]) : ps->seen[idx] > 0 ? ps->seen[idx] : 0;
}

void
config_lb_check(struct pstate *ps, const struct svc_conf *s)
{
	int lb = key_line(ps, "balancer", false), lw = key_line(ps, "wake_listen", false);
	int lbk = key_line(ps, "haproxy_backend", true);

	const struct config_kind *kind = config_kind_find(CONFIG_BALANCER, s->balancer);
	bool haproxy = kind == config_kind_find(CONFIG_BALANCER, "haproxy");
	char names[64];

	if (haproxy && s->haproxy_backend[0] == '\0' && lbk == 0)
		config_perr(ps, lb != 0 ? lb : s->line, "service %s: balancer = haproxy needs "
		    "haproxy_backend (a backend of haproxy.cfg with a dynamic algorithm)", s->name);
	if (!haproxy && lbk != 0 && lb != 0)
		config_perr(ps, lbk, "service %s: haproxy_backend is only used with balancer = "
		    "haproxy", s->name);
	if (s->wake_listen[0] == '\0' || lw == 0)
		return;
	/* README.md, "Waking from zero": the balancer sends requests there at zero. */
	config_kind_names(CONFIG_BALANCER, true, " or ", names, sizeof(names));
	if (kind != NULL && !kind->routes)
		config_perr(ps, lw, "service %s: wake_listen needs a balancer (%s) to send "
		    "requests to it", s->name, names);
	if (s->dp.min_replicas > 0)
		config_perr(ps, lw, "service %s: wake_listen needs min_replicas = 0 (the service "
		    "never sleeps otherwise)", s->name);
}

void
config_lb_check_services(struct pstate *ps, const struct config *cfg)
{
	for (size_t i = 0; i < cfg->nsvcs; i++) {
		const struct svc_conf *s = &cfg->svcs[i];

		if (s->wake_listen[0] == '\0')
			continue;
		if (cfg->listen != NULL && strcmp(s->wake_listen, cfg->listen) == 0)
			config_perr(ps, s->line, "service %s: wake_listen %s is the API's listen "
			    "address", s->name, s->wake_listen);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(s->wake_listen, cfg->svcs[j].wake_listen) == 0) {
				config_perr(ps, s->line, "service %s: wake_listen %s is also used by "
				    "service %s; each service needs its own", s->name, s->wake_listen,
				    cfg->svcs[j].name);
				break;
			}
		}
	}
}
