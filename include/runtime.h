/* runtime.h: what runs a service's replicas: containers of its own (service.c and
 * replica.c) or another system's (a cluster's tasks). Each runtime fills one ops table;
 * runtime.c lists them. A new runtime is its own files plus one line in that list (and
 * the include of its header there). */
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
struct dsd;

/* One label of a container's cAdvisor series (api_metrics_ctr.c escapes the value). */
struct runtime_label {
	const char *name, *value;
};
#define RUNTIME_LABELS_MAX 8

/* One container behind a service's cAdvisor series (doc/api.md, "cAdvisor series") as its
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

/* May this instance change a service's count (runtime_may_act)? */
enum runtime_act {
	RUNTIME_ACTS = 0,       /* it does */
	RUNTIME_ACT_UNKNOWN,    /* not known yet: ask again soon (503 with Retry-After) */
	RUNTIME_ACT_ELSEWHERE,  /* another instance does (409) */
};

/* What the daemon's readiness waits for (a runtime's ready_wait). */
struct runtime_wait {
	const char *waits_for;  /* "waiting for ...": systemd's STATUS, /healthz's 503 */
	const char *what;       /* what has not answered when the wait is cut short */
	const char *meanwhile;  /* what that means until it answers */
};

#define RUNTIMES_MAX 4
/* Each runtime's daemon-wide state, in runtime.c's order, kept in struct dsd: what its
 * init returned (owner: runtime.c). */
struct runtime_states {
	void *v[RUNTIMES_MAX];
};

struct runtime_ops {
	const char *kind;
	/* ---- daemon-wide, each optional ---- */
	/* Start-up, before the services are made: the runtime's own state (runtime_state;
	 * NULL: out of memory, logged). fini frees it at shutdown, the Engine gone. */
	void *(*init)(struct dsd *d);
	void (*fini)(void *state);
	/* The start of every pass, before the container list. */
	void (*pass)(struct dsd *d);
	/* What the daemon's readiness must wait for (NULL: nothing); cb runs once, when it
	 * is over. */
	const struct runtime_wait *(*ready_wait)(struct dsd *d, void (*cb)(struct dsd *d));
	/* ---- per service ---- */
	/* Optional (NULL: it always acts): may this instance change s's count now? Not:
	 * why says so, as an API error. */
	enum runtime_act (*may_act)(const struct svc *s, char *why, size_t len);
	/* Optional: a service of this runtime is made (the runtime's own state, kept in
	 * s->rt; NULL: out of memory, logged) and freed. */
	void *(*svc_init)(struct svc *s);
	void (*svc_fini)(struct svc *s);
	/* A pass with the engine's container list: the service's containers. */
	void (*observe)(struct svc *s, const struct docker_ctr *mine, size_t n);
	/* A pass without one: the event stream kept what the last list said up to date
	 * (control.c, doc/architecture.md "The loop and the pass"). */
	void (*watch)(struct svc *s);
	/* Bring what runs towards s->desired (one step at a time). */
	void (*reconcile)(struct svc *s);
	int (*count)(const struct svc *s, enum replica_state st);
	/* A count-changing decision this instance must not carry out: true, having said
	 * why (once). */
	bool (*defer)(struct svc *s, const struct decide_result *res);
	/* An alert this instance must not act on: true, with out saying why it is held. */
	bool (*refuse_alert)(struct svc *s, struct decide_result *out);
	/* The containers behind the cAdvisor series (api_metrics_ctr.c): how many, and each
	 * with its labels. */
	size_t (*nsamples)(const struct svc *s);
	void (*sample)(const struct svc *s, size_t k, struct runtime_sample *out);
	/* The runtime's own object in the status API (NULL: none), and its key. */
	struct cJSON *(*status)(const struct svc *s);
	const char *status_key;
};

/* The containers runtime (runtime_containers.c); runtime.c lists it with the others,
 * which their own files declare. */
extern const struct runtime_ops runtime_containers_ops;

/* runtime.c */

/* Each runtime's init into st (control_start); -1 when one failed. */
int runtime_init(struct dsd *d, struct runtime_states *st);
/* Each runtime's fini (control_stop, after the Engine's calls are gone). */
void runtime_fini(struct runtime_states *st);
/* Each runtime's pass hook (control_pass). */
void runtime_pass(struct dsd *d);
/* What the daemon's readiness waits for, or NULL: the first runtime that waits. */
const struct runtime_wait *runtime_ready_wait(struct dsd *d, void (*cb)(struct dsd *d));
/* The daemon-wide state of the runtime ops (its init's), NULL before it. */
void *runtime_state(const struct runtime_states *st, const struct runtime_ops *ops);
/* May this instance change s's count now (its runtime's may_act)? */
enum runtime_act runtime_may_act(const struct svc *s, char *why, size_t len);
/* The runtime a service's configuration names (NULL: the containers runtime). */
const struct runtime_ops *runtime_for(const struct svc_conf *c);

#endif
