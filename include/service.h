/* service.h: one managed service at run time: its replicas and their lifecycle. */
#ifndef DOCKSCALE_SERVICE_H
#define DOCKSCALE_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "compose.h"
#include "config.h"
#include "decide.h"
#include "docker.h"
#include "loop.h"
#include "rollout.h"
#include "wake.h"

struct dsd;
struct prom_query;
struct lb;
struct svc;
struct cJSON;
struct cgroup_ctr;
struct runtime_ops;

/* Where a replica is in its life. Only STARTING and READY count toward the current
 * number; DRAINING onwards are on their way out. */
enum replica_state {
	REP_CREATING = 0, /* create or start call in flight */
	REP_STARTING,     /* running, not yet healthy: not in the upstream */
	REP_READY,        /* healthy: in the upstream */
	REP_DRAINING,     /* out of the upstream, waiting `drain` before the stop */
	REP_STOPPING,     /* stop/remove in flight */
	REP_GONE,         /* removed: freed at the end of the pass */
};

/* A replica's readiness (README.md "Readiness"): probe.c's fast probes while it starts
 * and what made it ready (owner: replica.c). */
struct replica_ready {
	struct loop_timer timer;   /* the next fast probe while starting (owner: probe.c) */
	int64_t probe_ok_ms;       /* loop clock of the last passed probe, 0 none (owner: probe.c) */
	uint64_t probes;           /* probes sent while starting (owner: probe.c) */
	enum ready_by by;          /* what made it ready last; READY_BY_NONE = not yet */
	int64_t at_unix_ms;        /* wall clock of that */
};

/* One replica (owner: replica.c; the fields that name another file are that file's). */
struct replica {
	struct svc *svc;
	char id[DOCKER_ID_MAX + 1];
	char name[DOCKER_NAME_MAX + 1];
	int index;                 /* n of <service>-<n> */
	enum replica_state state;
	enum docker_health health; /* last known Docker health */
	bool has_healthcheck;      /* else probed over HTTP */
	bool busy;                 /* a Docker call or probe for it is in flight */
	bool adopted;              /* found running at start-up */
	bool inspected;            /* one inspect answered */
	bool stats_busy;           /* a stats call is in flight */
	uint64_t generation;       /* io.dockscale.generation it was created with; 0 none */
	uint64_t restart;          /* io.dockscale.restart it was created with; 0 none */
	char image[256];           /* Config.Image, for the cAdvisor-style series */
	bool stopped;              /* the stop call is done (or not needed): remove next */
	bool marked;               /* renamed with REPLICA_RETIRING_MARK (or marking gave
	                            * up): on its way out even across a restart */
	char addr[80];             /* host:port nginx and the probe use; "" until known */
	int64_t born_ms;           /* creation (or adoption) time, loop clock */
	int64_t ready_ms;          /* when it turned healthy; 0 = never */
	int probe_failures;        /* consecutive failed probes of a READY replica */
	struct loop_timer timer;   /* health polling while starting; drain wait */
	uint64_t drain_gen;        /* the upstream generation that took it out */
	uint64_t join_gen;         /* the upstream generation that first listed it */
	int64_t trigger_us;        /* the scale-up request it answers (0 = none) */
	struct httpc_xfer *probe;
	struct replica_ready rd;   /* readiness (probe.c, replica.c) */
	/* CPU accounting for docker_cpu and the cAdvisor-style series (owner: metric.c) */
	double cpu_total_ns, system_prev_ns; /* last sample: the next rate's base */
	bool have_cpu_sample;
	double cpu_pct;            /* last rate, percent of the replica's limit; <0 unknown */
	int restart_count;         /* Docker's RestartCount at the last inspect (owner: replica.c) */
	size_t net_next;           /* extra networks joined so far (owner: replica_net.c) */
	double mem_pct;            /* working set in percent of the memory limit; <0 unknown */
	struct docker_stats st;    /* the last stats sample, for /metrics */
	double seen_at;            /* wall clock (unix s) of that sample: container_last_seen */
	int64_t create_us;         /* loop clock of its create call; 0 once it served (owner: replica.c) */
	/* what inspect said: the cAdvisor container_spec_* and start time (replica.c) */
	double started_at, spec_nano_cpus, spec_cpu_quota, spec_cpu_period, spec_cpu_shares;
	double spec_memory;
	uint64_t oom_events;       /* "oom" events the engine sent for it (owner: service.c) */
	/* the kernel's counters (owner: metric.c; README.md "Counters from the kernel") */
	int pid;                   /* State.Pid at the last inspect (owner: replica.c); 0 none */
	struct cgroup_ctr *cg;     /* its cgroup, found from pid; NULL: not (yet) */
	bool kernel_sample;        /* the last sample came from it (else the stats API) */
	bool cg_warned;            /* stats_source = cgroup could not read it: said once */
};

/* The last value of one metric of a service (metric.c). */
struct metric_sample {
	bool have;
	double value;
	int64_t at;                /* loop clock */
	char why[96];              /* when !have: why there is no value */
};

/* Create call to serving of the service's recent replicas: the predictive horizon
 * (scale.c keeps it; traffic.c reports each replica as it starts serving). */
#define SCALE_STARTS 16
struct scale_starts {
	int64_t ms[SCALE_STARTS];
	size_t n, next;
};

/* A service's balancer membership (owner: traffic.c). */
struct traffic {
	struct lb *lb;
	bool changed;            /* the members changed since the last sync request */
	bool failing;            /* the last sync failed: the balancer may run old members */
	int failures_in_row;     /* consecutive failed syncs: the retry backoff */
	uint64_t failures;       /* failed syncs, total */
	uint64_t requested;      /* generation of the latest sync request */
	uint64_t applied;        /* generation of the latest sync the balancer applied */
	int64_t retry_at;        /* loop clock: when a failed sync is retried */
	struct loop_timer retry;
};

/* Where a compose service's definition comes from (README.md, "A docker-compose service
 * as the source"). */
enum compose_state {
	CS_OFF = 0,   /* the service's definition is its [service] section */
	CS_LOOKING,   /* no answer yet */
	CS_FOUND,     /* s->def is the compose container's */
	CS_MISSING,   /* no compose container: no replica can be created */
	CS_UNUSABLE,  /* its definition cannot be used (why says so) */
};

/* A service's compose source (owner: compose_source.c). */
struct compose_source {
	struct svc *svc;
	enum compose_state state;
	char project[COMPOSE_NAME_MAX + 1];
	char service[COMPOSE_NAME_MAX + 1];
	bool busy;                     /* a list or inspect call in flight */
	bool again;                    /* asked to look again meanwhile */
	struct compose_ctr pending;    /* the container being inspected */
	char id[DOCKER_ID_MAX + 1];    /* the container the definition came from */
	char name[DOCKER_NAME_MAX + 1];
	char network[DOCKER_NETWORK_MAX + 1]; /* replicas join it and are reached on it;
	                                       * kept while the source is missing */
	char why[256];                 /* MISSING, UNUSABLE: what the status API says */
	uint64_t generation;           /* definitions taken so far */
	int64_t since_ms;              /* loop clock: when the current one was taken */
};

/* Where a service's image stands (README.md, "Images from a registry"). */
enum pull_phase { PULL_IDLE = 0, PULL_CHECKING, PULL_PULLING };

/* A service's image and its pulls (owner: pull.c). */
struct pull {
	struct svc *svc;
	enum pull_phase phase;
	char image[DOCKER_IMAGE_MAX + 1]; /* the reference everything below is about */
	bool present;              /* the engine has it (checked or pulled): create freely */
	bool resolving;            /* the check in flight follows a pull: learn its id */
	bool eager;                /* the check in flight only learns the id (pull_resolve) */
	bool checked;              /* a check of this reference answered (present or not) */
	char image_id[80];         /* "sha256:...": what the reference resolved to; "" unknown */
	bool have_last;            /* a pull has ended */
	bool last_ok;
	char last_error[256];      /* the registry's message of the last failed pull */
	int64_t last_end_unix;     /* wall clock of the last pull's end */
	int64_t last_ms;           /* how long it took */
	int64_t started_ms;        /* loop clock: the pull in flight began */
	uint64_t ok_total, failed_total;
};

/* Pause and the manual-scale guard (owner: pause.c; README.md, "Pause and manual
 * scale"). */
struct pause {
	bool paused;               /* the policy and alerts leave the service alone */
	int replicas;              /* the count it is held at while paused */
	int64_t since_unix_ms;     /* wall clock of the pause */
	bool manual;               /* a manual scale is settling: the policy waits */
	int manual_n;              /* the count asked for */
	int64_t manual_ready;      /* loop clock when its replicas were all ready; 0 = not yet */
	uint64_t manual_failed;    /* failed_starts when it was asked: a new failure ends it */
};

/* One point of a service's recent past for the status page's chart (README.md, "Status
 * page"); the points and the ring are history.c's. */
#define HISTORY_POINTS 240
#define HISTORY_STEP_MS 15000
struct history_point { /* owner: history.c */
	int64_t unix_ms;
	int ready, desired;
	double metric;             /* NaN: none */
};

struct history { /* owner: history.c */
	struct history_point p[HISTORY_POINTS];
	size_t n, next;
	int64_t last_ms;           /* loop clock of the newest point */
};

#define SVC_FINGERPRINTS 32

/* A firing alert that stepped a service, to recognise its re-sends. */
struct svc_fp {
	char fp[128];
	enum decide_dir dir;
	int64_t at;
};

/* One managed service at run time (owner: service.c; the fields that name another file,
 * and the embedded structs with an owner of their own, are theirs). */
struct svc {
	struct dsd *d;
	char name[CONFIG_NAME_MAX + 1];
	const struct svc_conf *conf;   /* points into d->cfg; refreshed on reload */
	struct cJSON *def;             /* what every replica is created from (ctrdef.c or
	                                * compose.c); NULL: none can be created now */
	struct compose_source cs;      /* compose_project/compose_service (compose_source.c) */
	struct replica **reps;
	size_t nreps, capreps;
	int desired;
	bool desired_set;              /* adopted or requested; else min_replicas */
	bool observed;                 /* a container list has been merged once */
	int dry_said;                  /* --dry-run: the desired count last reported */
	int *taken;                    /* indices whose name a foreign container holds */
	size_t ntaken;
	bool op_busy;                  /* one create or one removal at a time */
	int start_failures;            /* consecutive failed starts */
	int64_t backoff_until;         /* no creation before this (loop clock) */
	struct loop_timer kick;        /* a reconcile soon (events, API, backoff end) */
	/* decisions */
	struct decide_state ds;        /* the first metric's (and the cooldown stamps) */
	struct decide_state ds_more[METRIC_KINDS - 1]; /* the other metrics', in order */
	unsigned ds_metrics;           /* the metric set ds and ds_more were kept for */
	struct decide_result last;     /* last decision */
	struct metric_sample samples[METRIC_KINDS]; /* latest value of each metric */
	struct scale_starts starts;
	bool have_decision;
	double metric;                 /* last raw metric value, NaN if missing */
	bool evaluated;                /* the policy ran at least once */
	int stats_pending;             /* stats calls of this round in flight */
	bool once_resampled;           /* --once: the second CPU sample was taken */
	struct loop_timer resample;
	int64_t sampled_ms;            /* loop clock of the last metric_sample */
	struct loop_timer refresh;     /* an alert's refresh, coalesced (metric_refresh) */
	struct prom_query *prom_q;     /* query in flight */
	/* reaction of the last scale-up, from the request (policy, alert, API) */
	int64_t up_trigger_us;         /* a scale-up waiting for its create call */
	int64_t react_create_us;       /* request -> Docker create call issued */
	int64_t react_ready_us;        /* request -> replica healthy */
	int64_t react_serving_us;      /* request -> nginx reloaded with it */
	struct traffic tr;             /* its balancer membership (traffic.c) */
	struct rollout ro;             /* its rolling update (rollout.c) */
	struct pull pl;                /* its image pulls (pull.c) */
	struct wake wk;                /* its wake listener (wake.c) */
	void *rt;                      /* its runtime's own state, made by the runtime's
	                                * svc_init (include/runtime.h); NULL: none */
	char last_start_error[256];    /* why the last start failed (owner: replica.c) */
	struct svc_fp fps[SVC_FINGERPRINTS]; /* ring of recent stepping alerts */
	size_t nfp;
	struct pause pz;               /* pause and the manual-scale guard (pause.c) */
	struct history hist;           /* the status page's chart (history.c) */
	/* counters for /metrics and the API */
	uint64_t failed_starts, replaced;
	uint64_t scale_up_events, scale_down_events, metric_missing;
};

struct svc *svc_new(struct dsd *d, const struct svc_conf *conf);
void svc_free(struct svc *s);
/* Apply a (re)loaded configuration entry: new limits take effect at once. */
void svc_set_conf(struct svc *s, const struct svc_conf *conf);

/* Merge a fresh container list into the replica table (adopt, forget, clean up). */
void svc_observe(struct svc *s, const struct docker_ctr *ctrs, size_t n);
/* Compare desired with what exists and start at most one Docker operation. */
void svc_reconcile(struct svc *s);
/* Reconcile soon (coalesces bursts of events). */
void svc_kick(struct svc *s);
/* A Docker event about one of this service's containers. */
void svc_event(struct svc *s, const struct docker_event *ev);
/* Set desired (manual scale, decisions); clamps to [min,max]. */
void svc_set_desired(struct svc *s, int n, const char *why);

/* For a runtime that reads what runs elsewhere: it has been read once. */
void svc_mark_observed(struct svc *s);
/* Desired is n as found elsewhere: taken as it is (no bounds, no event). */
void svc_adopt_desired(struct svc *s, int n);

/* Replace the definition new replicas are created from; takes def (NULL: none). */
void svc_set_def(struct svc *s, struct cJSON *def);

/* compose_source.c: a compose service's definition, kept in step with docker-compose's
 * container. */
bool compose_source_wanted(const struct svc_conf *c);
/* Start-up and reload: follow the service's compose keys and look the container up. */
void compose_source_apply(struct svc *s);
/* Look the compose container up again (each pass; coalesced while one is running). */
void compose_source_lookup(struct svc *s);
void compose_source_fini(struct svc *s);
/* The network replicas are reached on: `network`, else the compose container's. */
const char *compose_source_network(const struct svc *s);
/* Replicas are reached at their container IP (on `network`, or, for a compose service,
 * on the network they joined: known even before the compose container is found). */
bool compose_source_by_ip(const struct svc *s);
/* Why no replica can be created now (no definition), or NULL. */
const char *compose_source_blocked(const struct svc *s);
/* The first lookup has not answered yet. */
bool compose_source_pending(const struct svc *s);
/* The "definition" object of the status API. */
struct cJSON *compose_source_status(const struct svc *s, int64_t now);

/* Counts by state, for the API and /metrics. */
int svc_count(const struct svc *s, enum replica_state st);
/* Replicas that count as present now: STARTING + READY + CREATING. */
int svc_current(const struct svc *s);
const char *replica_state_name(enum replica_state st);

/* metric.c: load sampling. */
void metric_init(struct svc *s);
void metric_fini(struct svc *s);
void metric_collect(struct dsd *d);
/* Sample one service now. */
void metric_sample(struct svc *s);
/* Sample it soon (after an alert): at most one round in flight, and not more often
 * than every METRIC_REFRESH_MIN_MS (README.md, "Counters from the kernel"). */
#define METRIC_REFRESH_MIN_MS 1000
void metric_refresh(struct svc *s);
void metric_docker_down(struct dsd *d);

/* scale.c: decisions into desired counts. */
/* Weigh the latest sample of each of the service's metrics (s->samples). */
void scale_evaluate(struct svc *s);
/* A replica started serving ms after its create call (the predictive horizon). */
void scale_started(struct svc *s, int64_t ms);
/* The horizon the predictive policy uses now: `horizon`, else the p90 of recent
 * create-to-serving times, at least one interval. */
int64_t scale_horizon_ms(const struct svc *s);
int scale_alert(struct svc *s, enum decide_dir dir, const char *why,
    struct decide_result *out);
/* A reload: forget the value and decision of metrics the service no longer has. */
void scale_conf(struct svc *s);

/* pause.c: pause, resume and the manual-scale guard (README.md, "Pause and manual
 * scale"). */
/* Hold the service at n (n < 0: its current desired count). -1 when n is outside the
 * bounds (err says why; nothing changed). */
int pause_set(struct svc *s, int n, char *err, size_t errlen);
void pause_resume(struct svc *s);
/* A manual scale to n: the policy waits for its replicas and a fresh window. */
void pause_manual(struct svc *s, int n);
/* Must the policy hold now? why says so (into out->reason by the caller). */
bool pause_holds_policy(struct svc *s, int64_t now, char *why, size_t n);
/* A reload: the held count follows new bounds. */
void pause_conf(struct svc *s);

/* history.c: the recent past of ready/desired/metric for the status page's chart. A
 * point is added when step_ms has passed since the last one, or when the counts
 * changed (then a point younger than a second is replaced, so bursts cost one). */
void history_add(struct history *h, int64_t now, int64_t unix_ms, int ready, int desired,
    double metric, int64_t step_ms);
/* Points oldest first: the i-th of h->n. */
const struct history_point *history_at(const struct history *h, size_t i);
int64_t history_wall_ms(void);
/* {"service": name, "step_ms": .., "points": [{"t": unix_ms, "ready", "desired",
 * "metric"}]} */
struct cJSON *history_json(const struct history *h, const char *name, int64_t step_ms);

/* traffic.c: the service's balancer membership. */
int traffic_init(struct svc *s);
void traffic_fini(struct svc *s);
/* The members changed (or the settings did): the next pass syncs. */
void traffic_changed(struct svc *s);
/* Every pass: sync a change at once, and a failed sync when its retry is due. */
void traffic_pass(struct svc *s);
void traffic_sync(struct svc *s);

/* pull.c: the service's image, pulled from its registry (README.md, "Images from a
 * registry"). */
void pull_init(struct svc *s);
void pull_fini(struct svc *s);
/* The definition was (re)built at load or reload: `always` pulls now. */
void pull_conf(struct svc *s);
/* May a replica be created now? False while the image is checked or pulled (the
 * service is kicked when that ends) or when it cannot be had (a failed start, counted). */
bool pull_ready(struct svc *s);
/* Pull the image now unless a pull is in flight (a reload with pull = always; a
 * rollout). 0 when one is under way, -1 when none could start. */
int pull_request(struct svc *s);
/* A create answered "No such image": check (and pull) again before the next one. */
void pull_forget(struct svc *s);
/* Learn what the reference is on the engine now, without pulling or failing: at load
 * and for a rollout request (README.md, "Rolling updates": the generation hashes the
 * image ID). A changed ID makes a new generation. */
void pull_resolve(struct svc *s);
/* The check of the current reference has answered: pull_image_id is the truth ("" when
 * the engine lacks the image). */
bool pull_resolved(const struct svc *s);
/* The image ID the reference resolved to on the engine (checked, or inspected after a
 * pull), "" while unknown: the rollout generation's image part (README.md, "Rolling updates"). */
const char *pull_image_id(const struct svc *s);
struct cJSON *pull_status(const struct svc *s, int64_t now);
const char *pull_policy_name(enum pull_policy p);

/* status.c: JSON for the status API (a cJSON object, caller frees). */
struct cJSON;
struct cJSON *status_service(const struct svc *s, int64_t now);

/* replica.c: one replica's lifecycle. */
#define REPLICA_POLL_STARTING_MS 500 /* health polling while a replica starts */
/* A replica leaving (drain, stop) is renamed <service>-<n>.retiring-<id12> first, so a
 * daemon restarted meanwhile finishes its removal instead of adopting it (README.md,
 * Restart safety). The name <service>-<n> is free again from then on. */
#define REPLICA_RETIRING_MARK ".retiring-"
struct replica *replica_new(struct svc *s, const char *id, const char *name, int index);
void replica_free(struct replica *r);
/* A start failed (name NULL: before any replica was made, e.g. its image pull): count
 * it, remember why, and back the next creation off (1s, 2s, 4s ... 5min). */
void replica_start_failed(struct svc *s, const char *name, const char *why);
/* Create + start a new replica named <service>-<index>; 0 when under way. A rollout's
 * creation labels it with the count the rollout keeps (target > 0; README.md, "Restart
 * safety"). */
int replica_launch(struct svc *s, int index, int target);
/* Adopted or observed replica: inspect it and track its health. */
void replica_refresh(struct replica *r);
/* Take it out of service: upstream, drain, stop, remove. */
void replica_retire(struct replica *r);
/* Remove a container that is not worth stopping gracefully (never started, exited). */
void replica_discard(struct replica *r);
/* Push a leaving replica one Docker call further (mark, stop, remove). */
void replica_advance(struct replica *r);
/* A running container found at start-up with the retiring mark: drain and remove it. */
void replica_adopt_retiring(struct replica *r);
/* retire.c: a drained replica's stop (then its removal). */
void replica_stop(struct replica *r);
/* Start a created replica (its networks joined). */
void replica_start(struct replica *r);
/* The service's readiness mode (auto while it has no configuration). */
enum readiness_mode replica_readiness_mode(const struct replica *r);
/* A starting replica joins when its readiness mode says the signals so far suffice
 * (README.md "Readiness"). */
void replica_check_ready(struct replica *r);
/* r did not end healthy: replica_start_failed, and a rollout failure when r is of the
 * generation being rolled out (rollout.c). */
void replica_failed(struct replica *r, const char *why);

/* replica_net.c: a created replica joins the definition's other networks, then
 * replica_start. */
void replica_join_networks(struct replica *r);

/* replica_restart.c: Docker's restart policy (restart = on-failure) at work on r, seen
 * in an inspect: a READY one leaves the upstream and is health-gated again, never
 * counted as failed or replaced. True while Docker is restarting it (nothing else to
 * judge in this inspect). */
bool replica_docker_restart(struct replica *r, const struct docker_inspect *in);

/* The runtime the service's configuration names (`runtime`; a reload cannot change it):
 * its ops (include/runtime.h). */
const struct runtime_ops *svc_runtime(const struct svc *s);

/* service.c helpers for replica.c */
int svc_add_replica(struct svc *s, struct replica *r);
/* The set of READY replicas changed: the upstream must follow. */
void svc_membership_changed(struct svc *s);
/* <service>-<index> belongs to a container we do not own. */
void svc_name_taken(struct svc *s, int index);

#endif
