/* replica.h: one replica of a service: its record, its states, its way in and out. */
#ifndef DOCKSCALE_REPLICA_H
#define DOCKSCALE_REPLICA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docker.h"
#include "loop.h"
#include "metric.h"
#include "probe.h"
#include "readiness.h"
#include "replica_hook.h"
#include "reqstat.h"
#include "traffic.h"

struct svc;
struct httpc_xfer;

/* Where a replica is in its life. CREATING, STARTING, READY and UNPAUSING count toward
 * the current number; DRAINING, STOPPING and GONE are on their way out; PAUSING and
 * PAUSED are asleep (sleep = pause; doc/waking.md, "Sleeping: stop or pause"): never
 * counted, never in the upstream. */
enum replica_state {
	REP_CREATING = 0, /* create or start call in flight */
	REP_STARTING,     /* running, not yet healthy: not in the upstream */
	REP_READY,        /* healthy: in the upstream */
	REP_DRAINING,     /* out of the upstream, waiting `drain` before the stop */
	REP_STOPPING,     /* stop/remove in flight */
	REP_GONE,         /* removed: freed at the end of the pass */
	REP_PAUSING,      /* drained, its pause call in flight */
	REP_PAUSED,       /* asleep: created, frozen, out of the upstream */
	REP_UNPAUSING,    /* its unpause call in flight; readiness again after it */
};
#define REP_STATES (REP_UNPAUSING + 1)

/* A service's creations: up to create_parallel creates + starts in flight, and the failed
 * starts that back the next creation off (doc/replicas.md). */
struct launch { /* owner: replica.c */
	int creating;              /* creates + starts in flight (create_parallel at most) */
	int start_failures;        /* consecutive failed starts */
	int64_t backoff_until;     /* no creation before this (loop clock) */
	char last_start_error[256]; /* why the last start failed */
	uint64_t failed_starts;    /* for /metrics and the API */
	uint64_t replaced;         /* ready replicas that exited or turned unhealthy */
};

/* One replica. Its own fields are replica.c's, and its state changes in
 * replica_set_state only; each embedded part is its own file's. */
struct replica { /* owner: replica.c */
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
	uint64_t generation;       /* io.dockscale.generation it was created with; 0 none */
	uint64_t restart;          /* io.dockscale.restart it was created with; 0 none */
	char image[256];           /* Config.Image, for the cAdvisor-style series */
	bool stopped;              /* the stop call is done (or not needed): remove next */
	bool marked;               /* renamed with REPLICA_RETIRING_MARK (or marking gave
	                            * up): on its way out even across a restart */
	bool to_sleep;             /* draining to be paused, not stopped (never marked) */
	bool woken;                /* unpaused (or adopted running under sleep = pause),
	                            * and not both ready and Docker-healthy since: its health
	                            * is stale (or the failed checks of the frozen time), so
	                            * it is judged as an image without a HEALTHCHECK is, by
	                            * the probe (doc/readiness.md, "After a pause") */
	char addr[80];             /* host:port nginx and the probe use; "" until known */
	int64_t born_ms;           /* creation (or adoption) time, loop clock */
	int64_t ready_ms;          /* when it turned healthy; 0 = never */
	struct loop_timer timer;   /* health polling while starting; drain wait */
	struct replica_traffic tr; /* its balancer membership (traffic.c) */
	struct probe_state pr;     /* its HTTP probes (probe.c) */
	struct hook_state hk;      /* its lifecycle hooks (replica_hook.c) */
	bool drained;              /* its drain wait ended while pre_stop ran: the stop
	                            * follows pre_stop's end (doc/replicas.md, "Lifecycle
	                            * hooks") */
	/* what made it ready last (doc/readiness.md); READY_BY_NONE = not yet */
	enum ready_by ready_by;
	int64_t ready_at_unix_ms;  /* wall clock of that */
	struct ctr_sample smp;     /* its load and cAdvisor sample (metric.c) */
	struct replica_reqs rq;    /* the requests the balancer sent it (reqstat.c) */
	int restart_count;         /* Docker's RestartCount at the last inspect */
	size_t net_next;           /* extra networks joined so far (replica.c) */
	/* what inspect said: the cAdvisor container_spec_* and start time (replica.c) */
	double started_at, spec_nano_cpus, spec_cpu_quota, spec_cpu_period, spec_cpu_shares;
	double spec_memory;
	uint64_t oom_events;       /* "oom" events the engine sent for it */
	/* State.Pid at the last inspect: its kernel counters are found from it (metric.c,
	 * doc/scaling.md, "Counters from the kernel"); 0 none */
	int pid;
};

/* replica.c: one replica's lifecycle. */
#define REPLICA_POLL_STARTING_MS 500 /* health polling while a replica starts */
/* A replica leaving (drain, stop) is renamed <service>-<n>.retiring-<id12> first, so a
 * daemon restarted meanwhile finishes its removal instead of adopting it (doc/replicas.md,
 * "Restart safety"). The name <service>-<n> is free again from then on. */
#define REPLICA_RETIRING_MARK ".retiring-"
void replica_free(struct replica *r);
/* A start failed (name NULL: before any replica was made, e.g. its image pull): count
 * it, remember why, and back the next creation off (1s, 2s, 4s ... 5min). */
void replica_start_failed(struct svc *s, const char *name, const char *why);
/* A record for a container of s (id "" until created), not yet in s's table. */
struct replica *replica_new(struct svc *s, const char *id, const char *name, int index);
/* Create + start a new replica named <service>-<index>: its record, with the create
 * call under way (the caller adds it to the table), or NULL. A rollout's creation
 * labels it with the count the rollout keeps (target > 0; doc/replicas.md, "Restart
 * safety"). */
struct replica *replica_launch(struct svc *s, int index, int target);
/* Adopted or observed replica: inspect it and track its health. */
void replica_refresh(struct replica *r);
/* A pass that did not inspect it: probe a ready replica whose readiness is the probe's
 * (no HEALTHCHECK, or readiness = probe or both), as the inspect would have. */
void replica_watch(struct replica *r);
/* Take it out of service: upstream, drain, stop, remove. */
void replica_retire(struct replica *r);
/* Put a ready replica to sleep (sleep = pause): out of the upstream, drained, then
 * paused, never marked (doc/waking.md, "Sleeping: stop or pause"). */
void replica_sleep(struct replica *r);
/* Wake a paused replica: unpause, then STARTING until readiness says again (the probe
 * at once, then on the fast schedule). */
void replica_wake(struct replica *r);
/* Its service left the configuration: a paused replica is removed (force) rather than
 * left frozen and unmanaged; any other is left as it is. */
void replica_abandon(struct replica *r);
/* Remove a container that is not worth stopping gracefully (never started, exited). */
void replica_discard(struct replica *r);
/* Push a leaving replica one Docker call further (mark, stop, remove). */
void replica_advance(struct replica *r);
/* A fresh record r of a container c found in the engine's list: adopted (running),
 * adopted asleep (paused), finished as a removal (running or paused with the retiring
 * mark: retiring), or removed (never started, exited, dead). */
void replica_adopt(struct replica *r, const struct docker_ctr *c, bool retiring);
/* Its container is gone from the engine's list behind our back. */
void replica_vanished(struct replica *r);
/* A Docker event about its container (health_status, die, oom, stop, destroy ...). */
void replica_event(struct replica *r, const char *action);

const char *replica_state_name(enum replica_state st);
/* The one way a replica's state changes: 0, or -1 (logged, nothing changed) when the
 * table of moves in replica.c does not allow it. Moving to the state it is in is no
 * move and always allowed. why: a few words for the debug log. */
int replica_set_state(struct replica *r, enum replica_state st, const char *why);
/* Is from -> to in that table? */
bool replica_may_move(enum replica_state from, enum replica_state to);

#endif
