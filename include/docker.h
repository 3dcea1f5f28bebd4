/* docker.h: the Docker Engine API client (unix socket, asynchronous, API 1.41). */
#ifndef DOCKSCALE_DOCKER_H
#define DOCKSCALE_DOCKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "httpc.h"

#define DOCKER_LABEL "io.dockscale.service"
/* The definition a replica was created from, and a restart request's salt (doc/rollouts.md,
 * "Rolling updates"): 16 lower-case hex digits each. */
#define DOCKER_LABEL_GENERATION "io.dockscale.generation"
#define DOCKER_LABEL_RESTART "io.dockscale.restart"
/* The count a rollout keeps (desired, without its surge), on each replica it creates:
 * a restart mid-rollout reads it back (doc/replicas.md, "Restart safety"). Decimal. */
#define DOCKER_LABEL_ROLLOUT_TARGET "io.dockscale.rollout-target"
#define DOCKER_TARGET_MAX 1000000 /* a larger io.dockscale.rollout-target is malformed */
#define DOCKER_ID_MAX 64
#define DOCKER_NAME_MAX 128
#define DOCKER_NETWORK_MAX 127   /* longest network name docker_inspect takes */
#define DOCKER_IMAGE_MAX 255     /* Docker's longest image reference name */
#define DOCKER_STOP_MAX_S 86400  /* longest stop timeout docker_stop sends */

enum docker_health {
	HEALTH_NONE = 0,       /* image has no HEALTHCHECK */
	HEALTH_STARTING,
	HEALTH_HEALTHY,
	HEALTH_UNHEALTHY,
};

/* One entry of GET /containers/json. */
struct docker_ctr {
	char id[DOCKER_ID_MAX + 1];
	char name[DOCKER_NAME_MAX + 1]; /* without the leading '/' */
	char service[64];               /* value of the io.dockscale.service label */
	char state[16];                 /* created|running|paused|restarting|removing|exited|dead */
	int64_t created;                /* unix seconds */
	uint64_t generation;            /* io.dockscale.generation; 0 = absent or malformed */
	uint64_t restart;               /* io.dockscale.restart; 0 = absent or malformed */
	int rollout_target;             /* io.dockscale.rollout-target; 0 = absent or
	                                 * malformed */
};

/* What GET /containers/{id}/json tells about a replica. */
struct docker_inspect {
	char id[DOCKER_ID_MAX + 1];
	char name[DOCKER_NAME_MAX + 1];
	char state[16];
	bool running;
	bool restarting;                /* State.Restarting: its restart policy restarts it */
	int restart_count;              /* RestartCount: restarts by that policy */
	int exit_code;
	enum docker_health health;
	bool has_healthcheck;           /* Config.Healthcheck.Test is set and not NONE */
	int host_port;                  /* published 127.0.0.1 port of `port`/tcp, 0 if none */
	char ip[64];                    /* IP on `network` (none given: on its own
	                                 * HostConfig.NetworkMode), "" if none */
	char image[256];                /* Config.Image */
	double started_at;              /* State.StartedAt, unix seconds; 0 if unknown */
	int pid;                        /* State.Pid, its init process; 0 if none */
	double nano_cpus;               /* HostConfig.NanoCpus (0 = no limit) */
	double cpu_quota, cpu_period;   /* HostConfig.CpuQuota / CpuPeriod, microseconds */
	double cpu_shares;              /* HostConfig.CpuShares (0 = default 1024) */
	double memory_limit;            /* HostConfig.Memory, bytes (0 = no limit) */
};

/* One network interface of a stats sample (the "networks" object). */
#define DOCKER_NETIFS 4                 /* interfaces kept per sample; more are dropped */
struct docker_netif {
	char name[16];                  /* "eth0" */
	double rx_bytes, tx_bytes, rx_packets, tx_packets;
	double rx_errors, tx_errors, rx_dropped, tx_dropped;
};

/* One sample of GET /containers/{id}/stats?stream=false&one-shot=true. Counters absent
 * from the answer are 0 (the engine leaves out what its cgroup version lacks). */
struct docker_stats {
	double cpu_total_ns;            /* cpu_stats.cpu_usage.total_usage */
	double system_ns;               /* cpu_stats.system_cpu_usage */
	int online_cpus;                /* online_cpus or len(percpu_usage) */
	double cpu_user_ns;             /* cpu_usage.usage_in_usermode */
	double cpu_kernel_ns;           /* cpu_usage.usage_in_kernelmode */
	double cfs_periods;             /* throttling_data.periods */
	double cfs_throttled_periods;   /* throttling_data.throttled_periods */
	double cfs_throttled_ns;        /* throttling_data.throttled_time */
	double mem_usage;               /* memory_stats.usage (bytes) */
	double mem_limit;               /* memory_stats.limit (the host's memory when none) */
	double mem_cache;               /* stats.cache (v1), file (v2) or inactive_file, 0 if absent */
	double mem_rss;                 /* stats.total_rss / rss (v1) or anon (v2) */
	double mem_inactive_file;       /* stats.total_inactive_file (v1) or inactive_file (v2) */
	double mem_failcnt;             /* memory_stats.failcnt (v1) */
	size_t nnet;
	struct docker_netif net[DOCKER_NETIFS];
};

/* An event from GET /events. */
struct docker_event {
	char id[DOCKER_ID_MAX + 1];
	char action[64];                /* "start", "die", "health_status: healthy", ... */
	char service[64];               /* label value from Actor.Attributes */
	char name[DOCKER_NAME_MAX + 1];
};

/* ---- pure JSON handling (unit-tested; no I/O) ------------------------------------ */

/* Parse a /containers/json array. Returns the number of entries written into out
 * (at most max; entries without our label are skipped), or -1 if body is not an
 * array. Entries with fields of the wrong type are skipped. */
int docker_parse_list(const char *body, struct docker_ctr *out, size_t max);
/* Parse inspect output; port/network say which port and network to report. */
int docker_parse_inspect(const char *body, int port, const char *network,
    struct docker_inspect *out);
int docker_parse_stats(const char *body, struct docker_stats *out);
/* An RFC 3339 time as Docker writes it ("2026-11-30T17:59:50.834413486Z", or with a
 * +hh:mm offset) in unix seconds; -1 when malformed or before 1970 (Go's zero time). */
double docker_parse_time(const char *s);
/* Memory in use as `docker stats` shows it (and cAdvisor's working set): usage minus
 * inactive file cache, which the kernel reclaims first. */
double docker_mem_working_set(const struct docker_stats *st);
/* Parse one event line. 0 on a container event, -1 otherwise. */
int docker_parse_event(const char *line, size_t len, struct docker_event *out);
/* A label value of 16 lower-case hex digits as a number; 0 when it is anything else. */
uint64_t docker_parse_hex64(const char *s);
/* A label value of 1 to DOCKER_TARGET_MAX in decimal digits (no sign, no leading zero) as
 * a number; 0 when it is anything else. */
int docker_parse_count(const char *s);
/* Id from a create answer {"Id": ...}. */
int docker_parse_create(const char *body, char *id, size_t idlen);
/* The "message" of an error body, or a placeholder; never NULL. */
void docker_error_message(const char *body, char *out, size_t outlen);
/* Negotiated version: min(1.41, the engine's ApiVersion from /version). -1 on error
 * or when the engine is older than 1.25. */
int docker_parse_version(const char *body, char *out, size_t outlen);
/* "health_status: healthy" -> HEALTH_HEALTHY etc.; "none"/absent -> HEALTH_NONE */
enum docker_health docker_health_parse(const char *s);
/* CPU use between two stats samples in percent of cpus_limit cores (of one core when
 * 0). -1 when the pair gives no rate (no elapsed system time, counter went back). */
double docker_cpu_percent(double prev_cpu, double prev_sys, double cpu, double sys,
    int online, double cpus_limit);
const char *docker_health_name(enum docker_health h);

/* ---- asynchronous calls ----------------------------------------------------------- */

struct docker;

struct docker_reply {
	bool ok;                        /* the call did what it asked (2xx, or 304/404 where
	                                 * noted) */
	long status;                    /* HTTP status, 0 on transport failure */
	char error[256];                /* Docker's message or the transport error */
};

typedef void (*docker_cb)(void *arg, const struct docker_reply *r);
typedef void (*docker_list_cb)(void *arg, const struct docker_reply *r,
    const struct docker_ctr *ctrs, size_t n);
typedef void (*docker_inspect_cb)(void *arg, const struct docker_reply *r,
    const struct docker_inspect *in);
typedef void (*docker_create_cb)(void *arg, const struct docker_reply *r, const char *id);
typedef void (*docker_stats_cb)(void *arg, const struct docker_reply *r,
    const struct docker_stats *st);
typedef void (*docker_event_cb)(void *arg, const struct docker_event *ev);
/* The answer's body as sent (NULL, 0 unless r->ok); valid only during the callback. */
typedef void (*docker_body_cb)(void *arg, const struct docker_reply *r, const char *body,
    size_t len);
/* The event stream connected (up = true) or dropped (up = false). */
typedef void (*docker_stream_cb)(void *arg, bool up);

struct docker *docker_new(struct loop *l, struct httpc *hc, const char *socket_path,
    int64_t timeout_ms);
void docker_free(struct docker *d);
void docker_set_timeout(struct docker *d, int64_t timeout_ms);
/* The Engine's socket, and a new one for the calls started from now on (the event
 * stream is the caller's to restart). -1 (logged) when the path does not fit. */
const char *docker_socket(const struct docker *d);
int docker_set_socket(struct docker *d, const char *socket_path);
/* Errors counted since start (transport failures and 5xx). */
uint64_t docker_errors(const struct docker *d);
/* The API version in use ("1.41" until negotiated). */
const char *docker_api_version(const struct docker *d);

/* Every call returns 0 when started (the callback will run exactly once), -1 when it
 * could not be started (callback not called). `arg` is passed back. Calls in flight
 * are cancelled silently by docker_free. */
int docker_negotiate(struct docker *d, docker_cb cb, void *arg);
int docker_list(struct docker *d, docker_list_cb cb, void *arg);     /* all, our label */
/* POST /containers/create?name=NAME with a ready body (ctrdef_replica_body). */
int docker_create(struct docker *d, const char *name, const char *body, docker_create_cb cb,
    void *arg);
int docker_start(struct docker *d, const char *id, docker_cb cb, void *arg);   /* 304 ok */
int docker_inspect(struct docker *d, const char *id, int port, const char *network,
    docker_inspect_cb cb, void *arg);
int docker_stop(struct docker *d, const char *id, int64_t stop_timeout_ms,
    docker_cb cb, void *arg);                                        /* 304 ok */
int docker_remove(struct docker *d, const char *id, docker_cb cb, void *arg); /* 404 ok */
/* POST /containers/{id}/pause (unpause = false) or /unpause: 204; 404 no such container,
 * 409 not running (or already in that state). */
int docker_pause(struct docker *d, const char *id, bool unpause, docker_cb cb, void *arg);
/* POST /containers/{id}/rename?name=: 204; 404 no such container, 409 name in use. */
/* POST /networks/{network}/connect of container id (a created one joins more networks
 * before its start: API 1.41 takes one at create). */
int docker_connect(struct docker *d, const char *network, const char *id, docker_cb cb,
    void *arg);
int docker_rename(struct docker *d, const char *id, const char *name, docker_cb cb,
    void *arg);
int docker_stats(struct docker *d, const char *id, docker_stats_cb cb, void *arg);
/* POST /containers/{id}/kill?signal=SIG (SIG: letters, e.g. HUP): 204; 404 no such
 * container, 409 not running. */
int docker_kill(struct docker *d, const char *id, const char *sig, docker_cb cb, void *arg);
/* GET /containers/{id}/top: the processes as the host's ps lists them (the body is
 * nginx_top_parse's input). */
int docker_top(struct docker *d, const char *id, docker_body_cb cb, void *arg);
/* Follow /events for our label; reconnects with since= after a drop, every
 * retry_ms at most. */
/* Cancel, silently, every call in flight whose callback argument is arg (its owner is
 * going away). */
void docker_cancel_arg(struct docker *d, const void *arg);
int docker_events_start(struct docker *d, docker_event_cb ev, docker_stream_cb st,
    void *arg, int64_t retry_ms);
void docker_events_stop(struct docker *d);
/* The stream's filters from the next docker_events_start on: a JSON object for the
 * filters= parameter (static, at most ~400 bytes); NULL: the lifecycle events of
 * dockscale's own containers (the default). */
void docker_events_filter(struct docker *d, const char *filter);

/* docker_exec.c: a command run inside a running container through the exec API (the
 * lifecycle hooks; doc/replicas.md, "Lifecycle hooks"). */
#define DOCKER_EXEC_OUT_MAX 4096 /* output kept of a command; the rest is counted */
/* A command's output as it streams in (stdout and stderr frames of the engine's
 * multiplexed stream, headers taken out): the first DOCKER_EXEC_OUT_MAX bytes. */
struct docker_exec_out {
	char buf[DOCKER_EXEC_OUT_MAX + 1]; /* NUL-terminated */
	size_t len;
	uint64_t total;                    /* every output byte, kept or not */
	unsigned char hdr[8];              /* a frame header cut between two chunks */
	size_t hdr_have;
	uint32_t frame_left;               /* payload bytes left of the current frame */
};
/* Pure: take one chunk of the multiplexed stream (8-byte headers: stream, 0, 0, 0,
 * big-endian size; then the payload) into o. */
void docker_exec_demux(struct docker_exec_out *o, const char *data, size_t len);
/* Pure: GET /exec/{id}/json's Running and ExitCode; -1 when malformed (wrong types). */
int docker_parse_exec_inspect(const char *body, size_t len, bool *running, int *exit_code);
/* The end of a command's output stream: out is valid only during the callback. */
typedef void (*docker_exec_cb)(void *arg, const struct docker_reply *r,
    const struct docker_exec_out *out);
/* POST /containers/{id}/exec of argv (stdout and stderr attached): the exec's id. */
int docker_exec_create(struct docker *d, const char *id, char *const *argv, size_t argc,
    docker_create_cb cb, void *arg);
/* POST /exec/{id}/start, attached: the answer streams the output until the command
 * ends (or timeout_ms passes: r->ok false, the command may still run). */
int docker_exec_start(struct docker *d, const char *exec_id, int64_t timeout_ms,
    docker_exec_cb cb, void *arg);
/* GET /exec/{id}/json: the answer's body (docker_parse_exec_inspect's input). */
int docker_exec_inspect(struct docker *d, const char *exec_id, docker_body_cb cb, void *arg);

/* dockercompose.c: a compose service's containers (doc/compose.md, "A docker-compose service
 * as the source"). */
/* GET /containers/json?all=1 of the containers labelled project and service by
 * docker-compose; the body is compose_pick's input. */
int docker_compose_list(struct docker *d, const char *project, const char *service,
    docker_body_cb cb, void *arg);
/* GET /containers/json?all=1 of the containers carrying label (KEY=VALUE, a literal
 * needing no escaping in JSON): the body is compose_label_sources' input (doc/labels.md). */
int docker_label_list(struct docker *d, const char *label, docker_body_cb cb, void *arg);
/* GET /containers/{id}/json, the whole answer (compose_def's input). */
int docker_inspect_body(struct docker *d, const char *id, docker_body_cb cb, void *arg);

#endif
