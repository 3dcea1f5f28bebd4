/* plan.h: the pure reconcile planner: a replica table and a desired count in, actions out. */
#ifndef DOCKSCALE_PLAN_H
#define DOCKSCALE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PLAN_MAX_INDEX 4096 /* replica names run <service>-1 .. <service>-4096 */

/* Where a replica is, as the planner sees it (the caller maps its own states). */
enum plan_state {
	PLAN_CREATING = 0, /* create or start call in flight */
	PLAN_STARTING,     /* running, not yet healthy */
	PLAN_READY,        /* healthy, serving */
	PLAN_DRAINING,     /* on its way out: out of the balancer, waiting before the stop */
	PLAN_STOPPING,     /* on its way out: stop/remove calls */
	PLAN_GONE,         /* removed; still listed while a call for it is in flight */
	PLAN_PAUSED,       /* asleep: paused, out of the balancer, not counted; holds its
	                    * name and counts toward max_replicas (doc/waking.md, "Sleeping:
	                    * stop or pause"); busy while its pause call is in flight */
};

/* One replica of the table, by value: no pointers into the caller's records. */
struct plan_replica {
	enum plan_state state;
	int index;           /* n of the name <service>-<n> it holds; 0 = holds none (its
	                      * name carries the retiring mark, or is not ours in form) */
	int64_t born_ms;     /* creation or adoption time, the caller's clock */
	bool busy;           /* a call for it is in flight: advancing it now does nothing */
	uint64_t generation; /* the definition it runs (doc/rollouts.md) */
	bool serving;        /* READY and the balancer runs a configuration listing it */
	int64_t ready_ms;    /* when it turned healthy; 0 = not (yet) */
	/* its traffic as the balancer saw it (doc/traffic.md): least_busy weighs it */
	bool have_load;
	double in_flight;    /* requests being served */
	double rate;         /* requests per second, recently */
};

/* Which replica a scale-down retires first, among equals in readiness and generation. */
enum plan_victim {
	PLAN_VICTIM_NEWEST = 0,  /* the newest (the default: the least warmed up) */
	PLAN_VICTIM_OLDEST,
	PLAN_VICTIM_LEAST_BUSY,  /* fewest in flight, then fewest recent requests, between
	                          * replicas with traffic figures; else the newest */
};

struct plan_input {
	const struct plan_replica *reps;
	size_t nreps;
	int desired;            /* already within [min, max] */
	int max_replicas;       /* containers of the service at once, leaving ones included */
	int creating;           /* creates + starts in flight */
	int create_parallel;    /* at most this many at once (doc/replicas.md); 0 = 1 */
	int64_t now_ms;         /* the caller's clock; the planner has none */
	int64_t backoff_until;  /* no creation before this (after failed starts); 0 = none */
	const int *taken;       /* indices whose name a container we do not own holds */
	size_t ntaken;
	uint64_t generation;    /* the current definition (replicas of another are outdated) */
	/* Rolling updates (doc/rollouts.md). */
	int surge;              /* new replicas beyond desired while outdated ones remain;
	                         * 0 = stop-first */
	int64_t min_healthy_ms; /* a new replica must serve this long before an old leaves */
	bool rollback;          /* the current generation failed to roll out: its replicas
	                         * leave, the outdated ones stay, nothing is created */
	const char *create_blocked; /* no creation now, for this reason (no definition to
	                             * create from); NULL = none */
	const char *down_blocked;   /* no scale-down now, for this reason (which replicas
	                             * are a rollout's surge is not known yet); NULL = none */
	enum plan_victim victim;    /* which replica leaves first */
	bool sleep_pause;           /* sleep = pause: going to 0 pauses the ready replicas
	                             * of the current generation; else paused ones are
	                             * removed (a reload to sleep = stop) */
};

enum plan_kind {
	PLAN_HOLD = 0, /* nothing to do now; the reason says why */
	PLAN_CREATE,   /* create + start <service>-<index> */
	PLAN_RETIRE,   /* take reps[rep] out of service (drain, stop, remove) */
	PLAN_ADVANCE,  /* push the leaving reps[rep] one Docker call further */
	PLAN_PAUSE,    /* put reps[rep] to sleep: out of the balancer, drained, paused */
	PLAN_UNPAUSE,  /* wake the paused reps[rep]: unpaused, then readiness again */
};

struct plan_action {
	enum plan_kind kind;
	size_t rep;        /* RETIRE, ADVANCE: position in plan_input.reps */
	int index;         /* CREATE: the name's n */
	int target;        /* CREATE by a rollout: the count it keeps (desired, without the
	                    * surge), for the replica's label; 0 = not a rollout's */
	char reason[128];  /* one line */
};

struct plan_result {
	size_t nacts;      /* actions written, in the order to carry them out; >= 1 */
	bool truncated;    /* out had no room for every action (cap < nreps + 1) */
	int current;       /* replicas counted as present: creating + starting + ready */
	int total;         /* containers that exist or may: not gone, or a call in flight */
	int64_t wake_at;   /* plan again at this time (a backoff ends, a new replica has
	                    * served rollout_min_healthy); 0 = no need */
	int outdated;      /* present replicas of another generation */
	int updated;       /* present replicas of the current generation */
	int stable;        /* of those, serving for min_healthy_ms */
	int paused;        /* paused replicas (not counted in current) */
};

/* One pass: what to do now to move the table toward in->desired. Writes at most cap
 * actions into out (nreps + 1 always suffice): advances of leaving replicas first,
 * then either retirements (newest first, not-ready before ready, outdated before
 * current) or at most one creation at the lowest free index, or one HOLD. Never plans
 * a creation that would put more than max_replicas containers on the host.
 * While outdated replicas are present it rolls: up to surge new replicas beyond
 * desired (and beyond max_replicas by as many), an outdated one retired for each new
 * one that has served min_healthy_ms; with surge 0, one outdated replica leaves before
 * each new one is created. With rollback, replicas of the current generation leave
 * and nothing is created.
 * Paused replicas (doc/waking.md, "Sleeping: stop or pause"): a scale-up unpauses those
 * of the current generation before it creates (as many at once as are missing); those
 * of another generation, and all of them without sleep_pause, are retired; spare ones
 * stay paused while the service is awake. With sleep_pause, a scale-down to 0 pauses
 * the ready replicas of the current generation and retires the rest. */
void plan_reconcile(const struct plan_input *in, struct plan_action *out, size_t cap,
    struct plan_result *res);

const char *plan_kind_name(enum plan_kind k);

/* A labelled container of the service found by the first container list after a start
 * (doc/replicas.md, "Restart safety"). */
struct plan_found {
	uint64_t generation; /* io.dockscale.generation; 0 = none */
	int target;          /* io.dockscale.rollout-target; 0 = none */
	int64_t created;     /* Docker's Created, unix seconds */
	bool counted;        /* adopted as a replica (running, not marked as leaving) */
};

/* The desired count after a start, before the bounds: what runs (the counted ones),
 * except when the last creation before the stop was a rollout's (the newest container
 * carries a target) and the rollout was unfinished (the containers are of two
 * generations or more): then the count that rollout kept, so its surge never becomes
 * desired. v is in the engine's order, newest first (GET /containers/json; its `limit`
 * returns "the most recently created"): it orders creations within Created's second.
 * why (NULL: not wanted) says which, in one line. */
int plan_adopt_desired(const struct plan_found *v, size_t n, char *why, size_t len);

#endif
