/* haproxy_config.h: the HAProxy balancer's own keys (haproxy_config.c; doc/balancers.md,
 * "Choosing a balancer"): what config's machinery reads them into, for lb_haproxy.c. */
#ifndef DOCKSCALE_HAPROXY_CONFIG_H
#define DOCKSCALE_HAPROXY_CONFIG_H

#include <stdint.h>

#define HAPROXY_SOCKET_DEFAULT "/run/haproxy/admin.sock"
#define HAPROXY_TIMEOUT_DEFAULT_MS 2000
/* A backend name is HAProxy's identifier charset; the runtime API commands carrying it
 * ("set server B/S state maint") are built in fixed buffers (lb_haproxy.c). */
#define HAPROXY_BACKEND_MAX 100

/* [haproxy], in config_ext(cfg->kinds, "haproxy") (owner: haproxy_config.c). */
struct haproxy_conf {
	char *socket;              /* its stats socket with level admin */
	int64_t timeout_ms;        /* one runtime API command */
};
/* haproxy_backend, in config_ext(sc->kinds, "haproxy") (owner: haproxy_config.c). */
struct haproxy_svc_conf {
	char *backend;             /* "" = none (required with balancer = haproxy) */
};

#endif
