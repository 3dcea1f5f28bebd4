/* wake.h: waking a service from zero: the daemon holds requests until a replica serves. */
#ifndef DOCKSCALE_WAKE_H
#define DOCKSCALE_WAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docker.h"
#include "loop.h"
#include "wake_http.h"

/* doc/waking.md: the limits of the wake listeners (the framing's own are in
 * wake_http.h). */
#define WAKE_RETRY_AFTER_S 5
#define WAKE_CONN_LIMIT 1024           /* connections, all listeners; fewer when the fd
                                        * limit is low (wake_conn_cap) */
#define WAKE_CONN_PER_ADDR 512         /* from one client address (a balancer is one) */
#define WAKE_MEM_BUDGET ((size_t)64 * 1024 * 1024) /* request and answer buffers, all */
#define WAKE_ANSWER_BUF ((size_t)64 * 1024) /* an answer in flight, per connection */
#define WAKE_HEAD_MS 10000     /* connection -> whole head */
#define WAKE_BODY_MS 30000     /* head -> whole body */
#define WAKE_CONNECT_MS 5000   /* connect to the replica and hand it the request */
#define WAKE_ANSWER_MS 60000   /* the replica's answer: its first byte, and each next */
#define WAKE_SEND_MS 30000     /* the client takes some of the answer waiting for it */
#define WAKE_LINGER_MS 2000    /* after the answer: the client's end */
#define WAKE_PAGE_RETRY_S 2    /* wake_page's Retry-After and Refresh */
#define WAKE_WHO_MAX 120       /* each part of who woke a service, escaped, "..." beyond */

struct svc;
struct dsd;
struct wake_conn;
struct buf;

/* Why a wake connection ended without the replica's answer (doc/waking.md, "Waking from
 * zero"): dockscale_wake_refused_total{reason}. */
enum wake_refusal {
	WAKE_R_QUEUE = 0,   /* 503: wake_queue full */
	WAKE_R_TIMEOUT,     /* 503: no replica ready within wake_timeout */
	WAKE_R_MEMORY,      /* 503: the buffers' byte budget is spent */
	WAKE_R_ADDRESS,     /* 503 at accept: too many connections from one address */
	WAKE_R_BAD,         /* 400, 417, 505 */
	WAKE_R_TOO_LARGE,   /* 413, 431 */
	WAKE_R_LENGTH,      /* 411 */
	WAKE_R_SLOW,        /* 408: the request did not arrive in time */
	WAKE_R_UPSTREAM,    /* 502, 504: the replica refused, failed or was silent */
	WAKE_R_SEND,        /* the client did not take the answer in time */
	WAKE_R_GONE,        /* the client left before its answer */
	WAKE_REFUSALS,
};
const char *wake_refusal_name(enum wake_refusal r);

/* What all wake listeners share (struct dsd.wake). */
struct wake_addr { /* owner: wake.c */
	uint32_t ip;               /* network order; 0 = free slot */
	uint32_t n;
};

struct wake_pool { /* owner: wake.c */
	size_t conns;              /* open wake connections */
	size_t cap;                /* the cap at the last accept (wake_conn_cap) */
	size_t mem;                /* bytes of buffers held */
	size_t mem_peak;
	struct wake_addr addrs[2 * WAKE_CONN_LIMIT]; /* connections per address */
	uint32_t seed;             /* of the address hash */
	bool out_of_fds;           /* accept said EMFILE/ENFILE: paused, said once */
	struct loop_timer retry;   /* accepting again after that */
	uint64_t paused_total;     /* times accepting was paused (cap or fds) */
};

/* Who woke a service: the first request held at zero (doc/waking.md, "Who woke it"),
 * each part escaped (log_escape) and cut with "..." beyond WAKE_WHO_MAX. */
struct wake_who { /* owner: wake.c */
	int64_t at_unix_ms;         /* wall clock; 0: no wake yet */
	char method[WAKE_WHO_MAX + 1];
	char path[WAKE_WHO_MAX + 1];       /* the request target */
	char user_agent[WAKE_WHO_MAX + 1]; /* "" none */
	char peer[16];                     /* the address that connected (a balancer's) */
	char forwarded_for[WAKE_WHO_MAX + 1]; /* X-Forwarded-For; "" none */
	char real_ip[WAKE_WHO_MAX + 1];    /* X-Real-IP; "" none */
	/* the peer, then "(X-Forwarded-For: ..., X-Real-IP: ...)" of those present */
	char client[16 + 2 * WAKE_WHO_MAX + 40];
};

/* What one replica was handed of a wake's requests (wake_share.c's rule). */
struct wake_share_ent {
	char id[DOCKER_ID_MAX + 1];
	size_t n;
};

/* A service's wake listener (the wake feature's state for a service, svc_ext). */
struct wake { /* owners: wake.c wake_relay.c */
	int fd;                     /* listening; -1 off */
	struct loop_io io;
	bool paused;                /* not accepting: the pool is at its cap */
	char addr[64];              /* what fd is bound to */
	struct wake_conn *conns;    /* clients, held or being answered */
	size_t nconns;
	size_t held;                /* requests complete and waiting for a replica */
	size_t relaying;            /* requests at a replica, or its answer going out */
	struct loop_timer tick;     /* while requests wait: replica ready? a deadline? */
	int64_t woke_us;            /* the wake in progress began (loop_clock_us); 0 none */
	bool woken;                 /* a wake at zero is under way: from its first request
	                             * until a replica turns ready (or nothing is coming) */
	size_t rr;                  /* round robin over READY replicas */
	/* A wake's requests spread over the replicas it starts (doc/waking.md, "Spreading a
	 * wake's requests"): from the first request held at zero until none is held. */
	bool spreading;
	size_t wake_requests;       /* H: this wake's requests so far */
	struct wake_share_ent *share; /* per replica, in the order first handed; kept as
	                             * the last wake's spread until the next wake */
	size_t nshare, capshare;
	struct wake_who who;        /* who woke it last */
	uint64_t paged;             /* browsers answered wake_page */
	uint64_t ignored;           /* idle_ignore_* requests answered asleep, not woken by */
	uint64_t wakes, served;
	uint64_t refused[WAKE_REFUSALS];
	int64_t last_latency_ms;    /* first held request to its answer; -1 none yet */
};

int wake_pool_init(struct dsd *d);
void wake_pool_fini(struct dsd *d);
/* Connections the wake listeners may hold now: WAKE_CONN_LIMIT, or fewer so that they
 * leave the API, the engine and the balancers their descriptors (two a relay). */
size_t wake_conn_cap(void);

/* wake.c's hooks (featureset.c registers them): a service's listener made, moved on a
 * reload (wake_listen) and closed with it; the "wake" status object. */
struct svc_feature;
extern const struct svc_feature wake_feature;
/* /metrics lines and the status object of all services. */
void wake_metrics(struct buf *b, const struct dsd *d);
struct cJSON;
struct cJSON *wake_status(const struct svc *s);
/* Who woke s last (at_unix_ms 0: no wake yet), or NULL when s has no wake state; for
 * explaining a service's state (read-only). */
const struct wake_who *wake_last(const struct svc *s);
/* Requests held or being relayed by s's wake listener now (0 without one). */
size_t wake_in_flight(const struct svc *s);

#endif
