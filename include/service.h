/* service.h: one managed service at run time: its replicas and their lifecycle. */
#ifndef DOCKSCALE_SERVICE_H
#define DOCKSCALE_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "decide.h"
#include "docker.h"
#include "loop.h"

/* The parts of a service embedded in struct svc, one header each (their own files
 * write them). */
#include "history.h"
#include "metric.h"
#include "replica.h"
#include "scale.h"
#include "traffic.h"

struct dsd;
struct prom_query;
struct lb;
struct svc;
struct cJSON;
struct cgroup_ctr;
struct runtime_ops;

/* The reaction of the last scale-up, from its request (policy, alert, API) to each
 * milestone (doc/api.md, "Routes": last_scale_up_ms): loop clock, us. */
struct reaction { /* owner: svc.c */
	int64_t trigger_us;        /* a scale-up waiting for its create call; 0 none */
	int64_t create_us;         /* request -> Docker create call issued */
	int64_t ready_us;          /* request -> replica healthy */
	int64_t serving_us;        /* request -> the balancer runs it */
};

#define SVC_FINGERPRINTS 32

/* A firing alert that stepped a service, to recognise its re-sends. */
struct svc_fp { /* owner: alerts.c */
	char fp[128];
	enum decide_dir dir;
	int64_t at;
};

#define SVC_FEATURES_MAX 12
struct svc_feature;
/* The optional features' hooks, in registration order: the order they run in (owner:
 * svc.c; featureset.c registers them at start-up, in struct dsd). */
struct svc_features {
	const struct svc_feature *v[SVC_FEATURES_MAX];
	size_t n;
};

/* A managed service: its identity, configuration and definition are service.c's; its
 * replica table the containers runtime's; the fields marked svc.c the shared verbs';
 * each embedded part is its own file's (its struct says which). */
struct svc { /* owner: service.c */
	struct dsd *d;
	char name[CONFIG_NAME_MAX + 1];
	const struct svc_conf *conf;   /* points into d->cfg; refreshed on reload */
	struct cJSON *def;             /* what every replica is created from (ctrdef.c or
	                                * compose.c); NULL: none can be created now */
	void *ext[SVC_FEATURES_MAX];   /* each feature's own state (svc_ext) */
	struct replica **reps;         /* owner: runtime_containers.c; the replica table */
	size_t nreps;                  /* owner: runtime_containers.c */
	size_t capreps;                /* owner: runtime_containers.c */
	int desired;                   /* owner: svc.c */
	bool desired_set;              /* owner: svc.c; adopted or requested; else min_replicas */
	bool observed;                 /* owner: svc.c; a container list has been merged once */
	int dry_said;                  /* owner: svc.c; --dry-run: the desired count last said */
	int *taken;                    /* owner: svc.c; indices a foreign container's name holds */
	size_t ntaken;                 /* owner: svc.c */
	struct loop_timer kick;        /* owner: svc.c; a reconcile soon (events, API, backoff end) */
	struct reaction react;         /* the last scale-up's, from its request (svc.c) */
	struct launch launch;          /* creations, failed starts, backoff (replica.c) */
	struct hook_counts hooks;      /* lifecycle hook runs (replica_hook.c) */
	struct policy pol;             /* decisions into the desired count (scale.c) */
	struct sampling sampling;      /* load samples (metric.c) */
	struct svc_reqs rq;            /* its requests, from the balancer (reqstat.c) */
	struct traffic tr;             /* its balancer membership (traffic.c) */
	void *rt;                      /* its runtime's own state, made by the runtime's
	                                * svc_init (include/runtime.h); NULL: none */
	struct svc_fp fps[SVC_FINGERPRINTS]; /* ring of recent stepping alerts; owner: alerts.c */
	size_t nfp;                    /* owner: alerts.c */
	struct history hist;           /* the status page's chart (history.c) */
};

/* ---- service.c: a service's life ---------------------------------------------------- */

struct svc *svc_new(struct dsd *d, const struct svc_conf *conf);
/* The service of that name in d's table, or NULL. */
struct svc *svc_find(const struct dsd *d, const char *name);
void svc_free(struct svc *s);
/* Apply a (re)loaded configuration entry: new limits take effect at once. */
void svc_set_conf(struct svc *s, const struct svc_conf *conf);
/* A Docker event about one of this service's containers. */
/* A Docker event about one of s's containers; false when the replica table has no place
 * for it (a container s did not create and has not listed yet). */
bool svc_event(struct svc *s, const struct docker_event *ev);
/* Replace the definition new replicas are created from; takes def (NULL: none). */
void svc_set_def(struct svc *s, struct cJSON *def);

/* ---- svc.c: what every part of a service calls ------------------------------------ */

/* Compare desired with what exists and start at most one Docker operation. */
void svc_reconcile(struct svc *s);
/* Reconcile soon (coalesces bursts of events). */
void svc_kick(struct svc *s);
/* The same, without the 20 ms that coalesces bursts of Docker events: for a replica that
 * turned ready, whose balancer sync is the reaction's last step (doc/balancers.md,
 * "Reaction"). */
void svc_kick_now(struct svc *s);
/* Reconcile at loop time at (the planner's wake_at; 0: no need), unless sooner. */
void svc_wake_at(struct svc *s, int64_t at, int64_t now);
/* A reconcile is due (kicked or waiting for a wake_at). */
bool svc_kick_pending(const struct svc *s);
/* The bounds in force: the service's min_replicas/max_replicas unless a feature's bounds
 * hook replaces them (the first that does). */
void svc_bounds(const struct svc *s, int *min, int *max);
/* Set desired (manual scale, decisions); clamps to svc_bounds. */
void svc_set_desired(struct svc *s, int n, const char *why);
/* For a runtime that reads what runs elsewhere: it has been read once. */
void svc_mark_observed(struct svc *s);
/* Desired is n as found elsewhere: taken as it is (no bounds, no event). */
void svc_adopt_desired(struct svc *s, int n);
/* --dry-run: has desired changed since this was last asked (so worth saying)? */
bool svc_dry_news(struct svc *s);
/* A create call for the scale-up waiting (react.trigger_us) went out: time it, and
 * stop waiting once the creations match desired. */
void svc_react_created(struct svc *s);
/* A replica created for the scale-up requested at trigger_us is healthy, or serving. */
enum react_step { REACT_READY, REACT_SERVING };
void svc_react(struct svc *s, enum react_step step, int64_t trigger_us);
/* Counts by state, for the API and /metrics. */
int svc_count(const struct svc *s, enum replica_state st);
/* Replicas that count as present now: STARTING + READY + CREATING. */
int svc_current(const struct svc *s);
/* The service's readiness mode (auto while it has no configuration). */
enum readiness_mode svc_readiness_mode(const struct svc *s);
/* <service>-<index> belongs to a container we do not own; svc_names_free forgets them
 * (a reload). */
void svc_name_taken(struct svc *s, int index);
void svc_names_free(struct svc *s);
/* The state of these verbs (the kick timer, the names taken): with the service. */
void svc_base_init(struct svc *s);
void svc_base_fini(struct svc *s);

/* ---- svc.c: the hooks of the optional features --------------------------------------
 * A feature (rollout, pull, compose_source, pause, wake) registers one table of hooks
 * at start-up (featureset.c); the core runs them in registration order wherever it must
 * ask one, and never names a feature (doc/architecture.md). Every member may be
 * NULL. */
struct plan_input;
struct plan_replica;

/* What a new replica is labelled with (doc/rollouts.md). */
struct replica_labels {
	uint64_t generation;       /* io.dockscale.generation; 0 none */
	uint64_t restart;          /* io.dockscale.restart; 0 none */
};

struct svc_feature {
	const char *name;
	/* A new service: the feature's own state for it (svc_ext finds it); NULL: out of
	 * memory. fini frees it (calls in flight abandoned). */
	void *(*init)(struct svc *s);
	void (*fini)(struct svc *s, void *state);
	/* The service's configuration was loaded (first) or reloaded. */
	void (*conf)(struct svc *s, bool first);
	/* The feature supplies the definition: the core does not build it from c. */
	bool (*owns_def)(const struct svc_conf *c);
	/* s->def was replaced (svc_set_def). */
	void (*def_changed)(struct svc *s);
	/* The image behind the definition's reference resolved to another ID. */
	void (*image_changed)(struct svc *s);
	/* Each pass of the containers runtime, before the engine's list is merged. */
	void (*observe)(struct svc *s);
	/* Each pass, before the planner: the feature's inputs, and each replica's
	 * generation in view (s->reps' order). */
	void (*plan)(struct svc *s, struct plan_input *in, struct plan_replica *view);
	/* No definition to create from: why (NULL: not the feature's doing). */
	const char *(*blocked)(const struct svc *s);
	/* Right before a creation: may it go now? false: not yet (the feature kicks the
	 * service when it may, or counts a failed start). */
	bool (*may_create)(struct svc *s);
	/* Right before a paused replica is unpaused (sleep = pause): may it go now? false:
	 * not yet (the feature kicks the service when it may). */
	bool (*may_unpause)(struct svc *s);
	/* The labels of a replica created now. */
	void (*labels)(const struct svc *s, struct replica_labels *lab);
	/* A create call answered "No such image". */
	void (*no_image)(struct svc *s);
	/* Replicas are reached at their container IP (on a network they joined). */
	bool (*by_ip)(const struct svc *s);
	/* r failed to start, or left (exited, unhealthy) while serving. */
	void (*replica_lost)(struct replica *r, const char *why);
	/* r has just entered REP_READY (replica_set_state): at once, not at the next pass
	 * (the wake listener's held requests go to it; doc/waking.md). */
	void (*replica_ready)(struct replica *r);
	/* The balancer runs a newer membership. */
	void (*serving)(struct svc *s);
	/* The replica count the policy weighs, from current. */
	int (*policy_count)(const struct svc *s, int current);
	/* Must the policy hold now? why says so. */
	bool (*policy_hold)(struct svc *s, int64_t now, char *why, size_t len);
	/* Must an alert (why: its name) be held? out says so. */
	bool (*alert_hold)(struct svc *s, const char *why, struct decide_result *out);
	/* The bounds in force now, when not the service's min_replicas/max_replicas (e.g.
	 * a scheduled window, doc/scaling.md "Scheduled bounds"): true and *min, *max set.
	 * svc_bounds runs it for the policy's parameters (scale.c), desired's clamp
	 * (svc_set_desired), the planner's max and explain. */
	bool (*bounds)(const struct svc *s, int *min, int *max);
	/* The feature's part of the status API's service object. */
	void (*status)(const struct svc *s, struct cJSON *o, int64_t now);
};

/* Register f (once; again is a no-op); -1 when SVC_FEATURES_MAX are registered. */
int svc_feature_add(struct dsd *d, const struct svc_feature *f);
size_t svc_features(const struct dsd *d);
const struct svc_feature *svc_feature_at(const struct dsd *d, size_t i);
/* f's state for s (its init's), NULL when f is not registered. */
void *svc_ext(const struct svc *s, const struct svc_feature *f);
/* The hooks, for the core: each runs every feature's in order. */
bool svc_owns_def(const struct dsd *d, const struct svc_conf *c);
void svc_conf_changed(struct svc *s, bool first);
void svc_def_changed(struct svc *s);
void svc_image_changed(struct svc *s);
void svc_observe_hooks(struct svc *s);
void svc_plan_hooks(struct svc *s, struct plan_input *in, struct plan_replica *view);
/* Why no replica can be created now (no definition), or NULL. */
const char *svc_create_blocked(const struct svc *s);
bool svc_may_create(struct svc *s);
bool svc_may_unpause(struct svc *s);
void svc_replica_labels(const struct svc *s, struct replica_labels *lab);
void svc_no_image(struct svc *s);
/* Replicas are reached at their container IP: `network` is set, or a feature says so. */
bool svc_by_ip(const struct svc *s);
void svc_replica_lost(struct replica *r, const char *why);
void svc_replica_ready(struct replica *r);
void svc_serving(struct svc *s);
/* The replica count the policy weighs (svc_current, as the features see it). */
int svc_policy_count(const struct svc *s);
bool svc_policy_hold(struct svc *s, int64_t now, char *why, size_t len);
bool svc_alert_hold(struct svc *s, const char *why, struct decide_result *out);
void svc_status_hooks(const struct svc *s, struct cJSON *o, int64_t now);

/* The runtime the service's configuration names (`runtime`; a reload cannot change it):
 * its ops (include/runtime.h). */
const struct runtime_ops *svc_runtime(const struct svc *s);

#endif
