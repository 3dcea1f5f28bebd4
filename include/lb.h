/* lb.h: the balancer interface: a service's members in, "the balancer runs them" out. */
#ifndef DOCKSCALE_LB_H
#define DOCKSCALE_LB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "loop.h"

struct events;

/* One member of a service's pool. A draining member gets no new requests once the
 * balancer runs the generation that says so (nginx: it is left out of the upstream;
 * a runtime API balancer would set it to drain), and may be stopped after that. */
struct lb_member {
	const char *name; /* the replica's container name: a stable server id */
	const char *addr; /* host:port */
	bool draining;
};

/* Generation gen (see lb_sync) finished. ok = the balancer now runs it, and so every
 * earlier generation too; !ok = it may still run an older one (the caller retries). */
typedef void (*lb_cb)(void *arg, uint64_t gen, bool ok);

struct lb_stats {
	uint64_t applied;  /* changes the balancer took (nginx: reloads that succeeded) */
	uint64_t failed;   /* changes it refused to apply (nginx: reloads that failed) */
	uint64_t rejected; /* changes refused before applying (nginx: test_command said no) */
	size_t serving;    /* members taking requests after the last successful sync */
	/* runtime API balancers (HAProxy) */
	size_t servers;        /* servers in the backend, the user's own included */
	uint64_t changes;      /* syncs that added or removed a server */
	int64_t last_drain_ms; /* the last drain: drain state to deletion; -1 none yet */
};

/* One balancer kind. A new kind is one file defining its ops, plus a line in lb.c. */
struct lb_ops {
	const char *kind;
	void *(*create)(struct loop *l, const char *service, lb_cb cb, void *arg);
	/* Stops what runs (no callback) and frees. What the balancer serves stays. */
	void (*destroy)(void *impl);
	/* Make the balancer serve exactly members, read settings from cfg and sc (copied:
	 * both may be freed once this returns). A generation > 0 (increasing); the result
	 * comes through the callback, from the loop, never from inside this call. Calls
	 * made while one runs may be merged: the callback then reports only the latest.
	 * 0 when the request could not be accepted (logged): nothing was queued. */
	uint64_t (*sync)(void *impl, const struct config *cfg, const struct svc_conf *sc,
	    const struct lb_member *m, size_t n);
	bool (*busy)(const void *impl);
	void (*stats)(const void *impl, struct lb_stats *out);
	/* The balancer observes the drain itself (a sync with a draining member reports
	 * only once its connections ended): the caller stops the replica at once. */
	bool drains;
	/* Sync at every pass, not only on a change: the balancer can lose its members
	 * behind the daemon's back (an HAProxy reload drops dynamic servers). */
	bool every_pass;
	/* Optional: where the kind records notable steps (EV_BALANCER). */
	void (*set_events)(void *impl, struct events *ev);
};

extern const struct lb_ops lb_nginx_ops;
extern const struct lb_ops lb_haproxy_ops;
extern const struct lb_ops lb_none_ops;

struct lb;

/* The balancer the service's `balancer` key names. */
struct lb *lb_new(struct loop *l, const struct config *cfg, const char *service, lb_cb cb,
    void *arg);
void lb_set_events(struct lb *b, struct events *ev);
bool lb_drains(const struct lb *b);
bool lb_every_pass(const struct lb *b);
/* The kind a `balancer` value makes (struct svc_conf's balancer; NULL: the default). */
const char *lb_kind_name(const char *balancer);
void lb_free(struct lb *b);
uint64_t lb_sync(struct lb *b, const struct config *cfg, const struct svc_conf *sc,
    const struct lb_member *m, size_t n);
bool lb_busy(const struct lb *b);
void lb_stats(const struct lb *b, struct lb_stats *out);
const char *lb_kind(const struct lb *b);

#endif
