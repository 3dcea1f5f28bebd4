/* lb.h: the balancer interface: a service's members in, "the balancer runs them" out. */
#ifndef DOCKSCALE_LB_H
#define DOCKSCALE_LB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "loop.h"

struct docker;
struct events;

/* One member of a service's pool. A draining member gets no new requests once the
 * balancer runs the generation that says so (nginx: it is left out of the upstream;
 * a runtime API balancer would set it to drain), and may be stopped after that. */
struct lb_member {
	const char *name; /* the replica's container name */
	size_t id_len;    /* its first id_len bytes are a stable server id: the name it was
	                   * created with, which a leaving replica's rename only extends */
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
	size_t servers;    /* servers the balancer has, the user's own included (a runtime API
	                    * balancer, none: the serving members; 0: not counted) */
};

/* A kind's counts across all its services (struct lb_ops' totals). */
struct lb_totals {
	uint64_t applies;  /* applies started (nginx: test + reload runs) */
	uint64_t applied;  /* applies the balancer took (nginx: reloads it runs) */
	uint64_t failed;   /* applies that failed after the test (nginx: reload failed) */
	uint64_t rejected; /* applies refused before applying (nginx: test_command said no) */
	uint64_t syncs;    /* services' syncs the applied ones carried */
};

/* One member's traffic as the balancer counts it (doc/balancers.md, "Traffic counters"):
 * keyed by its address. */
struct lb_traffic {
	char addr[64];         /* the member's host:port, as given in struct lb_member.addr */
	uint64_t requests;     /* cumulative: requests sent to it, counted as each is sent,
	                        * answered or not (HAProxy: stot; its req_tot only counts them
	                        * once answered: the sum of responses) */
	uint64_t responses[6]; /* cumulative responses by class: [1]..[5] = 1xx..5xx, [0] other
	                        * (all 0 in a tcp backend) */
	double in_flight;      /* now: current sessions (scur) + queued (qcur) */
	double queued;         /* now: qcur */
	double rtime_ms;       /* average response time over the last 1024 requests (rtime);
	                        * < 0: none (no response yet, or a tcp backend) */
};
/* ok: rows are the members the balancer has (n may be below the members'), valid during
 * the call; !ok: the read failed (logged), no rows. */
typedef void (*lb_traffic_cb)(void *arg, bool ok, const struct lb_traffic *rows, size_t n);

/* How a kind's own number (struct lb_row) is shown. */
enum lb_row_unit {
	LB_ROW_COUNT, /* an integer */
	LB_ROW_MS,    /* milliseconds: the status API says ms, /metrics seconds */
};

/* A number a balancer kind keeps of its own (doc/balancers.md, "Choosing a balancer"): a
 * key of the status API's "balancer" object and a /metrics family dockscale_<metric>,
 * shown for every service (with absent for a service whose kind lacks it). */
struct lb_row {
	const char *key;      /* in the status API's "balancer" object */
	const char *metric;   /* the family, without "dockscale_" */
	const char *type;     /* its TYPE: counter, gauge */
	const char *help;     /* its HELP */
	enum lb_row_unit unit;
	bool absent_none;     /* a kind without it: none (null, no row); else 0 */
};

/* One balancer kind. A new kind is one file defining its ops, plus a line in lb.c. */
struct lb_ops {
	const char *kind;
	/* Optional: the kind's daemon-wide counts on loop l (nginx: one reload serves every
	 * service due at once, so its reloads are no service's own). */
	void (*totals)(const struct loop *l, struct lb_totals *out);
	/* docker: the Engine, for a kind that reaches its balancer through it (nginx in a
	 * container, doc/balancers.md) */
	void *(*create)(struct loop *l, struct docker *docker, const char *service, lb_cb cb,
	    void *arg);
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
	 * behind the daemon's back (a reload of a runtime API balancer drops the servers
	 * added at run time). */
	bool every_pass;
	/* Its traffic comes as each request's line on [nginx] access_log_socket
	 * (doc/traffic.md), not through the traffic op. */
	bool access_log;
	/* Optional: where the kind records notable steps (EV_BALANCER). */
	void (*set_events)(void *impl, struct events *ev);
	/* Optional: the kind's own numbers (rows), and row i's value now (false: none yet). */
	const struct lb_row *rows;
	size_t nrows;
	bool (*row)(const void *impl, size_t i, double *v);
	/* Optional: read the members' counters now (the members of the last sync). The answer
	 * comes through cb from the loop, never from inside this call, and never after
	 * destroy. 0 = started; -1 = not now (a read in flight, or the kind has none) */
	int (*traffic)(void *impl, lb_traffic_cb cb, void *arg);
};

struct lb;
/* The balancer the service's `balancer` key names. */
struct lb *lb_new(struct loop *l, struct docker *docker, const struct config *cfg,
    const char *service, lb_cb cb, void *arg);
void lb_set_events(struct lb *b, struct events *ev);
bool lb_drains(const struct lb *b);
bool lb_every_pass(const struct lb *b);
/* Its traffic figures come from the access log (struct lb_ops.access_log). */
bool lb_reads_log(const struct lb *b);
/* The kind a `balancer` value makes (struct svc_conf's balancer; NULL: the default). */
const char *lb_kind_name(const char *balancer);
void lb_free(struct lb *b);
uint64_t lb_sync(struct lb *b, const struct config *cfg, const struct svc_conf *sc,
    const struct lb_member *m, size_t n);
bool lb_busy(const struct lb *b);
void lb_stats(const struct lb *b, struct lb_stats *out);
const char *lb_kind(const struct lb *b);
/* Read the members' traffic (struct lb_ops' traffic); -1 for a kind without it (nginx,
 * none) or when b is NULL. */
int lb_traffic(struct lb *b, lb_traffic_cb cb, void *arg);
/* The kind's daemon-wide counts on l (struct lb_ops' totals); zeros for a kind without. */
void lb_kind_totals(const struct loop *l, const char *kind, struct lb_totals *out);
/* The kind has the traffic op. */
bool lb_has_traffic(const struct lb *b);
/* The kinds' own numbers: the i-th distinct row of all kinds (NULL past the last). */
const struct lb_row *lb_row_at(size_t i);
/* Row's value for b: its kind's, or for a kind without it 0 (or none: false). */
bool lb_row_value(const struct lb *b, const struct lb_row *row, double *v);
/* Every row as row->key: value (null when none) into o, the status API's "balancer". */
struct cJSON;
void lb_rows_json(const struct lb *b, struct cJSON *o);

#endif
