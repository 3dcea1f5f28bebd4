/* runtime.h: what runs a service's replicas: containers of its own (service.c and
 * replica.c) or a Swarm service's tasks (svc_swarm.c; README.md, "Running on a Swarm
 * cluster"). Each runtime fills one ops table; runtime.c lists them. A new runtime is its
 * own files plus one line in that list. */
#ifndef DOCKSCALE_RUNTIME_H
#define DOCKSCALE_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "decide.h"
#include "docker.h"
#include "service.h"

struct cJSON;

/* One label of a container's cAdvisor series (metrics_ctr.c escapes the value). */
struct runtime_label {
	const char *name, *value;
};
#define RUNTIME_LABELS_MAX 8

/* One container behind a service's cAdvisor series (README.md, "cAdvisor series") as its
 * runtime sees it: the pointers stay valid until the loop runs again. Zero: unknown. */
struct runtime_sample {
	const char *id, *name, *image;
	const struct docker_stats *st; /* the last stats sample */
	bool exported;             /* it has one, and the container is not on its way out */
	double seen_at;            /* wall clock (unix s) of that sample: container_last_seen */
	/* what inspect said: the container_spec_* series and the start time */
	double started_at, spec_memory, spec_nano_cpus, spec_cpu_quota, spec_cpu_period;
	double spec_cpu_shares;
	uint64_t oom_events;       /* "oom" events the engine sent for it */
	/* the runtime's own labels, which come before dockscale_service, id, image, name */
	struct runtime_label labels[RUNTIME_LABELS_MAX];
	size_t nlabels;
};

struct runtime_ops {
	const char *kind;
	/* Optional: a service of this runtime is made (the runtime's own state, kept in
	 * s->rt; NULL: out of memory, logged) and freed. */
	void *(*svc_init)(struct svc *s);
	void (*svc_fini)(struct svc *s);
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
	/* The containers behind the cAdvisor series (metrics_ctr.c): how many, and each
	 * with its labels. */
	size_t (*nsamples)(const struct svc *s);
	void (*sample)(const struct svc *s, size_t k, struct runtime_sample *out);
	/* The runtime's own object in the status API (NULL: none), and its key. */
	struct cJSON *(*status)(const struct svc *s);
	const char *status_key;
};

/* runtime.c */

/* The runtime a service's configuration names (NULL: the containers runtime). */
const struct runtime_ops *runtime_for(const struct svc_conf *c);
/* A replica of s as a sample: the containers runtime's, with kubelet's `container` and
 * the io.dockscale.service label as its own labels. */
void runtime_sample_replica(const struct svc *s, const struct replica *r,
    struct runtime_sample *out);

#endif
