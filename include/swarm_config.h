/* swarm_config.h: the swarm runtime's own key (swarm_config.c; doc/swarm.md): what
 * config's machinery reads it into, for runtime_swarm.c. */
#ifndef DOCKSCALE_SWARM_CONFIG_H
#define DOCKSCALE_SWARM_CONFIG_H

#define SWARM_CONFIG_NAME_MAX 63 /* a Swarm service name: 63 characters at most */

/* swarm_service, in config_ext(sc->kinds, "swarm") (owner: swarm_config.c). */
struct swarm_svc_conf {
	char service[SWARM_CONFIG_NAME_MAX + 1]; /* "" = the section's name */
};

#endif
