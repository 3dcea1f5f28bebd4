/* dockscaled.h: the daemon's one context struct and the modules that act on it. */
#ifndef DOCKSCALE_DOCKSCALED_H
#define DOCKSCALE_DOCKSCALED_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "docker.h"
#include "events.h"
#include "http.h"
#include "httpc.h"
#include "loop.h"
#include "passtime.h"
#include "runtime.h"
#include "service.h"

struct svc;
struct cgroup_host;
struct reqstat_host;
struct wake_pool;
struct notify;
struct headroom_host;
struct labels;

#ifndef DOCKSCALE_VERSION
#define DOCKSCALE_VERSION "0.0.0"
#endif

/* Exit codes (SPEC §2). */
#define EXIT_USAGE 64
#define EXIT_CONFIG 78

enum alert_outcome {
	ALERT_STEPPED = 0, /* the service stepped in the alert's direction */
	ALERT_HELD,        /* bounds, cooldown or pending starts held it */
	ALERT_DUPLICATE,   /* the same firing alert again, inside the cooldown */
	ALERT_RESOLVED,    /* recorded, not acted on */
	ALERT_IGNORED,     /* no service or no direction */
	ALERT_OUTCOMES,
};
#define WEBHOOK_CODES 8
#define WEBHOOK_CODE_LIST { 200, 400, 401, 403, 405, 413, 415, 500 }

struct dsd_stats {
	uint64_t reloads_ok;
	uint64_t reloads_failed;
	uint64_t webhooks[WEBHOOK_CODES];
	uint64_t alerts[ALERT_OUTCOMES];
	uint64_t stats_reads[2];    /* replica samples by source: [0] stats API, [1] cgroup */
};

/* What became of one container labelled dockscale.enable=true at the last load
 * (doc/labels.md): the status API's "labels". */
struct labels_entry {
	char container[DOCKER_NAME_MAX + 1];
	char id[DOCKER_ID_MAX + 1];
	struct config_label_result r;
};
struct labels_report { /* owner: labels.c */
	struct labels_entry *v;
	size_t n;
	bool following;             /* the labelled containers' event stream is up */
};

/* Everything the daemon knows, passed explicitly to every module. */
struct dsd {
	struct loop loop;
	struct config cfg;          /* the running configuration */
	const char *config_path;
	bool dry_run;               /* from --dry-run or [daemon] dry_run */
	bool once;
	int exit_code;

	struct http *http;
	char *http_listen;          /* the address http is bound to */

	int sigfd;
	struct loop_io sig_io;
	struct loop_timer tick;     /* reconcile every [daemon] interval */
	struct loop_timer watchdog; /* WATCHDOG=1 at half of WatchdogSec */
	bool ready;                 /* READY=1 sent, /healthz 200 (owner: daemon.c) */
	const char *ready_waits_for; /* while !ready: what for, in words */
	const struct runtime_wait *ready_wait; /* what it waits for (owner: daemon.c) */
	struct loop_timer ready_timer; /* the bound on that wait */
	int64_t watchdog_ms;
	int lock_fd;

	int64_t started_ms;
	struct dsd_stats stats;
	struct events events;       /* the event history (owner: events.c) */
	struct wake_pool *wake;     /* what the wake listeners share (owner: wake.c) */
	struct headroom_host *headroom; /* host headroom, daemon-wide (owner: headroom.c) */
	struct svc_features features; /* the optional features' hooks (owner: svc.c) */
	struct runtime_states runtimes; /* each runtime's own (include/runtime.h) */
	struct cgroup_host *cgroups; /* the host's cgroups, NULL when unreadable (owner: metric.c) */
	bool cgroups_probed;
	struct reqstat_host *reqstat; /* the access log's reader (owner: reqstat.c) */
	struct notify *notify;      /* [notify]: events sent out (owner: daemon.c; its
	                             * insides notify.c's) */
	struct labels *labels;      /* the labelled containers followed (owner: labels.c) */
	struct labels_report labels_report; /* what became of them (owner: labels.c) */

	/* peers */
	struct httpc *httpc;        /* every outgoing HTTP call, on the loop */
	struct docker *docker;
	bool docker_up;             /* the last container list succeeded */
	bool list_busy;
	/* The event stream keeps the replica tables between full lists (control.c;
	 * doc/architecture.md, "The loop and the pass"). */
	bool events_up;             /* the stream is following the engine */
	bool resync_due;            /* the next pass lists: an event the tables cannot place */
	int64_t listed_ms;          /* loop time of the last container list that answered */
	bool trim_due;              /* a list's burst of answers is over by the next pass */
	uint64_t passes;            /* passes handed to the services (control.c) */
	struct passtime pass_time;  /* how long those passes took (dockscale_pass_seconds) */
	bool stopping;              /* SIGTERM: take no new work */

	/* services, in configuration order */
	struct svc **svcs;
	size_t nsvcs;
	char (*unmanaged)[DOCKER_ID_MAX + 1]; /* labelled containers of unknown services */
	size_t nunmanaged;
	struct loop_timer once_timer;
};

/* daemon.c: start-up, signals, reload, shutdown. */
int dsd_init(struct dsd *d, const char *config_path, bool dry_run, bool once);
int dsd_run(struct dsd *d);
void dsd_fini(struct dsd *d);
int dsd_reload(struct dsd *d);
void config_errors_log(const struct config_errors *errs);

/* control.c: the reconcile pass over all services. */
int control_start(struct dsd *d);
int control_apply(struct dsd *d);
void control_stop(struct dsd *d);
void control_pass(struct dsd *d);
/* --once: exit when the pass has finished everything it started. */
void control_once_check(struct dsd *d);

/* api.c: the HTTP routes. */
struct cJSON;
void api_handle(void *ctx, const struct http_req *req, struct http_resp *resp);
bool api_allowed(const struct http_req *req, struct http_resp *resp, const char *allow);
bool api_authorized(const struct dsd *d, const struct http_req *req, struct http_resp *resp);
/* Answer with o (freed), or 500 when o is NULL. */
void api_reply_json(struct http_resp *resp, int status, struct cJSON *o);

/* alerts.c: the Alertmanager webhook. */
void alerts_handle(struct dsd *d, const struct http_req *req, struct http_resp *resp);
const char *alerts_outcome_name(enum alert_outcome o);
/* Count an answer to the webhook in dockscale_webhooks_total. */
void alerts_count(struct dsd *d, int code);

/* api_metrics.c: Prometheus text exposition of the daemon's state. */
char *metrics_render(const struct dsd *d, size_t *len);
/* api_metrics_ctr.c: the cAdvisor-compatible container_* series. */
struct buf;
void metrics_render_containers(struct buf *b, const struct dsd *d);
/* api_metrics_traffic.c: the requests the balancer carried (doc/traffic.md). */
void metrics_render_traffic(struct buf *b, const struct dsd *d);

#endif
