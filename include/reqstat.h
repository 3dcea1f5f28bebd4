/* reqstat.h: requests as the balancer saw them: rate, in flight and latency, per replica
 * and per service (doc/traffic.md). */
#ifndef DOCKSCALE_REQSTAT_H
#define DOCKSCALE_REQSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reqwin.h"

struct dsd;
struct svc;
struct replica;
struct accesslog;

/* The /metrics histogram of upstream response time: these upper bounds in seconds, then
 * +Inf (doc/traffic.md, "What it exports"). */
#define REQSTAT_HIST_BOUNDS { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 }
#define REQSTAT_HIST_N 12
/* Response classes: [1]..[5] = 1xx..5xx, [0] none or another. */
#define REQSTAT_CLASSES 6

/* One pass's figures. */
struct reqstat_figures {
	bool have;                 /* data flows: zero is a real zero */
	double rate;               /* requests per second */
	double in_flight;          /* requests being served at once, on average or now */
	double latency_ms;         /* the percentile (an access log) or the average (a
	                            * balancer's counters); < 0 none in the window; with
	                            * !have, nothing (a new replica's record is zeroed) */
};

/* A replica's requests. */
struct replica_reqs { /* owner: reqstat.c */
	uint64_t requests;         /* counted here since it joined */
	uint64_t classes[REQSTAT_CLASSES];
	uint64_t hist[REQSTAT_HIST_N]; /* upstream times, per bucket (not cumulative) */
	double hist_sum_s;
	struct reqwin win;
	struct reqstat_figures fig; /* the last pass's */
	/* a balancer's cumulative counters at its last read (their deltas count) */
	bool lb_seen;
	uint64_t lb_requests;
	uint64_t lb_classes[REQSTAT_CLASSES];
};

/* A service's requests: what its replicas' sum to, and requests to its wake listener. */
struct svc_reqs { /* owner: reqstat.c */
	bool flowing;              /* data came for the service since the daemon started */
	struct reqwin win; /* every request of the service since the last pass */
	int64_t win_start_ms;      /* loop clock the window opened at */
	struct reqstat_figures fig; /* the last pass's, per ready replica */
	double rate_total, in_flight_total; /* the same for the whole service */
	int64_t fig_at;            /* loop clock of fig */
	char why[96];              /* when !fig.have: why there is no data */
	const char *source;        /* "access_log", "counters"; NULL: none */
	bool percentile;           /* fig.latency_ms is latency_percentile (an access log's),
	                            * else an average (a balancer's counters) */
	uint64_t classes[REQSTAT_CLASSES]; /* responses, all replicas, since start */
	bool lb_busy;              /* a balancer read is in flight */
	int64_t lb_read_ms;        /* loop clock of the last balancer read answered */
	uint64_t lb_failed;        /* balancer reads that failed */
	/* what says whether it is idle (doc/sleeping.md): the last request that counts
	 * (idle_ignore_* leave some out), loop clock, 0 none since start; its path and
	 * User-Agent when an access log said them (escaped for printing), "" otherwise */
	int64_t last_req_ms;
	char last_path[96], last_agent[96];
	uint64_t ignored;          /* requests idle_ignore_* left out */
};

/* Has the access log's reader received a line at all since it opened (then nginx sends
 * it, and a service without a line has had no request)? */
bool reqstat_log_heard(const struct dsd *d);

/* What the daemon's access log reader counted (the status API, /metrics). */
struct reqstat_log_stats {
	bool open;
	uint64_t lines, bad, unmatched; /* valid lines, dropped ones, no replica of ours */
};

/* reqstat.c */
void reqstat_svc_init(struct svc *s);
/* Each pass, before the policy: close the window into figures (an access log's), and
 * ask the balancer for its counters (their answer is the next pass's figures). */
void reqstat_pass(struct svc *s);
/* The figures of metric k (METRIC_REQUESTS, _CONCURRENCY, _LATENCY) per ready replica:
 * true with *v, or false with why (no data: it holds scale-downs). */
bool reqstat_value(const struct svc *s, int k, double *v, const char **why);
/* (Re)open or close the access log's socket as d->cfg says (start-up, reload); -1 when it
 * cannot be opened (logged; the services read no log until the next reload). */
int reqstat_apply(struct dsd *d);
void reqstat_stop(struct dsd *d);
void reqstat_log_stats(const struct dsd *d, struct reqstat_log_stats *out);
/* The service's figures in words, "R req/s, F in flight, p95 L ms" (or "average L ms"):
 * 0, or -1 when it has none (or len is too small). */
int reqstat_words(const struct svc *s, char *buf, size_t len);
/* Response class c's label: "1xx" ... "5xx", "other". */
const char *reqstat_class_name(int c);

#endif
