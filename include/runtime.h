/* runtime.h: what runs a service's replicas: containers of its own (service.c and
 * replica.c) or a Swarm service's tasks (svc_swarm.c; README.md, "Running on a Swarm
 * cluster"). Each runtime fills one ops table; runtime.c lists them. A new runtime is its
 * own files plus one line in that list. */
#ifndef DOCKSCALE_RUNTIME_H
#define DOCKSCALE_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "decide.h"
#include "docker.h"
#include "service.h"

struct cJSON;

struct runtime_ops {
	const char *kind;
	/* Each pass, with the service's containers from the engine's list. */
	void (*observe)(struct svc *s, const struct docker_ctr *mine, size_t n);
	/* Bring what runs towards s->desired (one step at a time). */
	void (*reconcile)(struct svc *s);
	int (*count)(const struct svc *s, enum replica_state st);
	/* A count-changing decision this instance must not carry out: true, having said
	 * why (once). */
	bool (*defer)(struct svc *s, const struct decide_result *res);
	/* An alert this instance must not act on: true, with out saying why it is held. */
	bool (*refuse_alert)(struct svc *s, struct decide_result *out);
	/* The samples behind the cAdvisor series (metrics_ctr.c): how many, and each. */
	size_t (*nsamples)(const struct svc *s);
	const struct replica *(*sample)(const struct svc *s, size_t k);
	/* The runtime's own object in the status API (NULL: none), and its key. */
	struct cJSON *(*status)(const struct svc *s);
	const char *status_key;
};

/* runtime.c */

/* The runtime a service's configuration names (NULL: the containers runtime). */
const struct runtime_ops *runtime_for(const struct svc_conf *c);

#endif
