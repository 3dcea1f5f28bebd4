/* config.h: the parsed and validated configuration file (SPEC §3). */
#ifndef DOCKSCALE_CONFIG_H
#define DOCKSCALE_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decide.h"
#include "notify_msg.h"
#include "readiness.h"
#include "regauth.h"
#include "schedule_calc.h"

#define CONFIG_DEFAULT_PATH "/etc/dockscale/dockscale.conf"
#define CONFIG_NAME_MAX 48
#define CREATE_PARALLEL_MAX 64 /* create_parallel: creates in flight per service */
#define CONFIG_TZ_MAX 64 /* an IANA zone name, e.g. America/Argentina/Buenos_Aires */
/* wake_queue: at most what the wake listeners take from one address (a balancer is
 * one; doc/waking.md). */
#define CONFIG_WAKE_QUEUE_MAX 512
/* wake_page: the most of a page read at load (doc/waking.md). */
#define CONFIG_WAKE_PAGE_MAX (64 * 1024)
/* replica.c builds "http://ADDR" + health_path in a 256-byte buffer (asserted there). */
#define CONFIG_HEALTH_PATH_MAX 160

/* wake_page (config_lb.c): its file and the bytes read from it at load, so that a reload
 * that fails keeps the page of the configuration in force. */
struct config_page {
	char *path;               /* "" = off */
	char *html;               /* len bytes; NULL when off */
	size_t len;
};

/* A NULL-terminated, heap-owned vector of strings. */
struct strv {
	char **v;
	size_t n;
};

/* A service's metrics, in the order they are evaluated (doc/scaling.md, "The metric"). */
enum metric_kind {
	METRIC_DOCKER_CPU = 0,
	METRIC_DOCKER_MEMORY = 1,
	METRIC_PROMETHEUS = 2,
	/* traffic read from the balancer (doc/traffic.md) */
	METRIC_REQUESTS = 3,
	METRIC_CONCURRENCY = 4,
	METRIC_LATENCY = 5,
	METRIC_KINDS = 6,
};
#define METRIC_TRAFFIC (METRIC_BIT(METRIC_REQUESTS) | METRIC_BIT(METRIC_CONCURRENCY) | \
	METRIC_BIT(METRIC_LATENCY))
/* Which replica a scale-down retires first (doc/traffic.md, "Which replica leaves"). */
enum victim_rule { VICTIM_LEAST_BUSY = 0, VICTIM_NEWEST = 1, VICTIM_OLDEST = 2 };
/* What going to zero does to the replicas (doc/waking.md, "Sleeping: stop or pause"). */
enum sleep_mode { SLEEP_STOP = 0, SLEEP_PAUSE = 1 };
#define METRIC_BIT(k) (1u << (k))
/* What `balancer` and `runtime` pick (doc/balancers.md, "Choosing a balancer"; include/lb.h,
 * include/runtime.h): one of config_kinds.c's kinds of that role, by its name. */
enum config_role { CONFIG_BALANCER, CONFIG_RUNTIME };
/* What a balancer kind or runtime brings of its own keys, one per kind: its name and its
 * own struct, which only its own files read (owner: config_kinds.c). */
struct config_ext {
	const char *kind;         /* NULL: an unused slot */
	void *conf;               /* NULL: the kind has no keys here */
};
#define CONFIG_KINDS_MAX 8
/* [service] pull (doc/registry.md). */
enum pull_policy { PULL_MISSING = 0, PULL_ALWAYS = 1, PULL_NEVER = 2 };
/* Where replica counters come from (doc/scaling.md, "Counters from the kernel"). */
enum stats_source { STATS_AUTO = 0, STATS_CGROUP = 1, STATS_API = 2 };

/* The container-definition keys of config_ctr.c (dockscale.conf(5); doc/definition.md, "Coming
 * from docker-compose"). Zero/empty = unset: the image's or Docker's default. */
struct ctr_conf {
	struct strv volumes;      /* Binds: SRC:DST[:ro|rw] */
	struct strv tmpfs;        /* PATH or PATH:size=BYTES */
	struct strv labels;       /* KEY=VALUE */
	struct strv env_files;    /* absolute paths, in order */
	struct strv file_env;     /* KEY=VALUE from the env files, a later file's key wins */
	char *user;
	char *working_dir;
	struct strv entrypoint;   /* argv; empty = the image's */
	char *hostname;
	bool read_only;
	struct strv cap_add;
	struct strv cap_drop;
	struct strv security_opt;
	bool no_new_privileges;
	int pids_limit;           /* 0 = Docker's default */
	int64_t shm_size;         /* bytes; 0 = Docker's default */
	struct strv ulimits;      /* NAME=SOFT:HARD (HARD filled in) */
	struct strv extra_hosts;  /* NAME:IP */
	struct strv dns;
	struct strv dns_search;   /* domains */
	struct strv dns_opts;     /* resolv.conf options */
	char *domainname;
	struct strv sysctls;      /* KEY=VALUE, namespaced ones only */
	struct strv group_add;    /* supplementary groups */
	int oom_score_adj;        /* -1000..1000; 0 = Docker's default */
	char *log_driver;
	struct strv log_opts;     /* KEY=VALUE */
	char *stop_signal;
	bool restart_on_failure;  /* restart = on-failure[:N]; false = "no" */
	int restart_max;          /* N of on-failure:N; 0 = no limit */
	struct strv healthcheck;  /* Engine Healthcheck.Test; empty = the image's */
	int64_t hc_interval_ms;   /* 0 = the image's */
	int64_t hc_timeout_ms;
	int64_t hc_start_period_ms;
	int hc_retries;           /* 0 = the image's */
	struct strv networks;     /* connected after create, besides `network` */
};

/* A service's scheduled bounds (config_schedule.c; doc/scaling.md, "Scheduled bounds"). */
struct svc_schedule {
	struct sched_window *w;   /* in the order given, each with its line */
	size_t n;
};

struct svc_conf {
	char name[CONFIG_NAME_MAX + 1];
	int line;                 /* line of the [service NAME] header */
	char *image;
	struct strv command;      /* argv; empty = image default */
	struct strv env;          /* KEY=value, one per `env` line */
	int port;
	char *network;            /* "" = publish on 127.0.0.1 */
	double cpus;              /* 0 = unlimited */
	int64_t memory;           /* bytes; 0 = unlimited */
	bool init;
	char *health_path;
	unsigned metrics;         /* METRIC_BIT()s; 0 = metric none (alerts only) */
	char *query;
	struct decide_params dp;  /* policy, thresholds, windows, steps, bounds; the
	                           * thresholds and target of docker_cpu and prometheus */
	/* docker_memory's own: memory_scale_up_threshold, ..._down_threshold, memory_target */
	double mem_up_threshold, mem_down_threshold, mem_target;
	/* the traffic metrics' targets (doc/traffic.md): requests per second and requests in
	 * flight per ready replica, and the latency percentile's, in ms */
	double requests_target, concurrency_target;
	int64_t latency_target_ms;
	double latency_percentile; /* (0, 100) */
	enum victim_rule victim;  /* scale_down_victim */
	int64_t start_timeout_ms;
	int64_t drain_ms;
	int64_t stop_timeout_ms;
	/* lifecycle hooks (doc/replicas.md, "Lifecycle hooks"; config_hooks.c) */
	struct strv post_start;   /* argv run in a started replica; empty = none */
	int64_t post_start_timeout_ms;
	struct strv pre_stop;     /* argv run as a replica starts draining; empty = none */
	char *pre_stop_http;      /* or a POST of this path at it; "" = none */
	int64_t pre_stop_timeout_ms;
	int create_parallel;      /* creates + starts in flight at once, 1..CREATE_PARALLEL_MAX
	                           * (doc/replicas.md) */
	int rollout_surge;        /* new replicas beyond desired while rolling; 0 stop-first */
	int64_t rollout_min_healthy_ms; /* a new replica serves this long before an old leaves */
	int rollout_max_failures; /* failed new replicas before the rollout rolls back */
	char *upstream_file;
	char *upstream_name;
	struct strv up_alerts;
	struct strv down_alerts;
	/* the definition from docker-compose's container (compose_source.c); NULL = off */
	char *compose_project;
	char *compose_service;
	struct ctr_conf ctr;      /* the rest of the container definition (config_ctr.c) */
	enum pull_policy pull;
	enum readiness_mode readiness; /* when a replica joins (doc/readiness.md) */
	enum sleep_mode sleep;    /* at zero: stop and remove, or pause (doc/waking.md) */
	/* the balancer and waking from zero (config_lb.c; doc/balancers.md, "Choosing a balancer",
	 * "Waking from zero") */
	const char *balancer;     /* its balancer kind's name (static; NULL: the default) */
	char *wake_listen;        /* IPv4:PORT; "" = no waking from zero */
	int wake_queue;           /* requests held at most while waking */
	int64_t wake_timeout_ms;  /* a held request waits at most this long */
	int wake_replicas;        /* a wake raises desired to at least this */
	struct config_page wake_page; /* answered to a browser at once while waking */
	/* sleeping when idle (config_check.c; doc/sleeping.md) */
	int64_t idle_after_ms;    /* no counted request for this long: to zero; 0 = never */
	double idle_cpu_below;    /* and the replicas' CPU below this percent; 0 = not asked */
	struct strv idle_ignore_agents; /* User-Agent substrings whose requests do not count */
	struct strv idle_ignore_paths;  /* paths (PREFIX* a prefix) whose requests do not count */
	struct strv depends_on;   /* services woken first and kept awake while this one is */
	int depends_on_line;      /* the line of depends_on (0: none), for the checks across
	                           * services */
	int priority;             /* host headroom: higher starts first (doc/headroom.md) */
	struct svc_schedule schedule; /* `schedule` lines: bounds by time of the week */
	char *timezone;           /* their IANA zone; "" = the host's local time */
	const char *runtime;      /* its runtime's name (static; NULL: the default, containers
	                           * of our own) */
	struct config_ext kinds[CONFIG_KINDS_MAX]; /* each kind's own [service] keys */
};

/* [notify] (config_notify.c; doc/notifications.md). */
struct notify_conf {
	struct strv urls;         /* http:// or https://, one per url line; none = off */
	struct notify_select sel; /* events */
	enum notify_format format;
	char *token_file;         /* "" = no Authorization header */
	char *token;              /* read from token_file at load time; NULL = none */
	int64_t timeout_ms;       /* one request, connection included */
	int queue;                /* waiting notifications per url at most */
	int retries;              /* after the first attempt */
};

struct config {
	char *path;
	/* [daemon] */
	char *listen;             /* host:port */
	char *token_file;         /* "" = no auth */
	char *token;              /* read from token_file at load time; NULL = none */
	struct strv allowed_hosts; /* Host names the API answers besides literals/localhost */
	int64_t interval_ms;
	int log_level;            /* syslog priority: LOG_DEBUG .. LOG_ERR */
	bool dry_run;
	char *lock_file;
	int64_t reserve_memory;   /* bytes the host keeps for itself; 0 = no memory check
	                           * (doc/headroom.md) */
	double reserve_cpus;      /* cores the host keeps; 0 = no CPU check */
	bool labels;              /* services declared by containers' dockscale.* labels
	                           * (doc/labels.md) */
	/* [docker] */
	char *docker_socket;
	int64_t docker_timeout_ms;
	int64_t pull_timeout_ms;  /* one image pull, start to end */
	char *registry_auth_file; /* "" = pull anonymously */
	enum stats_source stats_source;
	struct regauth regauth;   /* read from registry_auth_file at load time */
	/* [prometheus] */
	char *prom_url;
	int64_t prom_timeout_ms;
	/* [nginx] */
	struct strv nginx_test;   /* argv */
	struct strv nginx_reload;
	int64_t nginx_timeout_ms; /* per command; a hung nginx is killed after it */
	char *nginx_pid_file;     /* the master's pid file: confirms a reload landed; "" off */
	char *nginx_access_log;   /* the access log's datagram socket (doc/traffic.md); "" off */
	char *nginx_container;    /* nginx's container, driven through the Engine API
	                           * (doc/balancers.md, "nginx in a container"); "" off */
	struct config_ext kinds[CONFIG_KINDS_MAX]; /* each kind's own [section] */
	struct notify_conf notify; /* [notify] */
	/* [service NAME] ... */
	struct svc_conf *svcs;
	size_t nsvcs;
	/* "FILE:LINE: message" for what loads but has no effect (a key another makes
	 * moot): the daemon logs them at each load */
	struct strv warnings;
};

/* Problems found while loading, each "FILE:LINE: message" (or "FILE: message"). */
struct config_errors {
	char **msg;
	size_t n;
};

/* Parse and validate path into *out. Returns 0 when the file is valid, -1 otherwise;
 * every problem found (not just the first) is appended to *errs. On failure *out is
 * left empty (config_free-safe). Warnings (e.g. no service) are not errors. */
/* Every key as "SECTION KEY" lines (dockscaled --list-keys; config_list.c). */
void config_list_keys(FILE *f);
int config_load(const char *path, struct config *out, struct config_errors *errs);
/* config_load of an open stream (read to its end, not closed); path names it in the
 * messages. */
int config_load_stream(FILE *fp, const char *path, struct config *out,
    struct config_errors *errs);
void config_free(struct config *cfg);
void config_errors_free(struct config_errors *errs);

const struct svc_conf *config_service(const struct config *cfg, const char *name);

/* config_labels.c: services declared by containers' dockscale.* labels (doc/labels.md). */
struct label_src;
enum config_label_state {
	CONFIG_LABEL_MANAGED = 0, /* a service of the configuration */
	CONFIG_LABEL_BAD,         /* a label (or the labels together) refused: not managed */
	CONFIG_LABEL_SHADOWED,    /* the file has a service of that name: the file's wins */
	CONFIG_LABEL_DUPLICATE,   /* an earlier container declares another of that name */
};
/* What became of one source. */
struct config_label_result {
	char service[CONFIG_NAME_MAX + 1]; /* the name it declares (cut when too long) */
	enum config_label_state state;
	struct strv msgs;         /* why it is not managed: "container NAME (ID) label
	                           * dockscale.KEY=VALUE: reason", or the conflict */
};
/* Add to cfg (a loaded file) a service for each of the n sources, in order: its
 * dockscale.* labels read as the keys of a [service] section by the same tables and
 * checks as the file's, its definition the container's compose service; res[i] (n of
 * them; free with config_labels_results_free) says what became of src[i]. Moot keys are
 * warnings in cfg->warnings. 0, or -1 when out of memory. */
int config_labels_merge(struct config *cfg, const struct label_src *src, size_t n,
    struct config_label_result *res);
void config_labels_results_free(struct config_label_result *res, size_t n);
/* "managed", "error", "shadowed", "duplicate". */
const char *config_label_state_name(enum config_label_state st);

/* config_kinds.c */

/* The struct of kind's own keys in v (struct config's or struct svc_conf's kinds), or
 * NULL (none; a configuration made by hand). Inline: a kind's files read their keys
 * without linking the configuration's reader. */
static inline const void *
config_ext(const struct config_ext *v, const char *kind)
{
	for (size_t i = 0; i < CONFIG_KINDS_MAX; i++)
		if (v[i].kind != NULL && strcmp(v[i].kind, kind) == 0)
			return v[i].conf;
	return NULL;
}

/* The name of a service in both whose runtime differs (a reload cannot move replicas
 * between runtimes), or NULL. */
const char *config_runtime_changed(const struct config *old, const struct config *next);

/* Units. Durations: "500ms", "15s", "2m", "1h", bare number = seconds. Sizes: "512",
 * "512K", "512M", "1G" (powers of 1024). Return 0 or -1 on a malformed or
 * out-of-range value. */
int config_parse_duration(const char *s, int64_t *ms);
int config_parse_size(const char *s, int64_t *bytes);
int config_parse_bool(const char *s, bool *b);
/* `metric`: one or more of docker_cpu, docker_memory, prometheus, requests, concurrency,
 * latency separated by commas
 * and/or spaces, each once, or none alone. 0 with *mask set (0 = none), or -1 with
 * the reason in err. */
int config_parse_metrics(const char *s, unsigned *mask, char *err, size_t errlen);
/* "docker_cpu", ... ; "none" for anything else. */
const char *config_metric_name(enum metric_kind k);
/* Split a command line into argv: whitespace separates, double quotes group, a
 * backslash escapes the next character inside quotes. -1 on an unterminated quote. */
int config_split_argv(const char *s, struct strv *out);
void strv_free(struct strv *sv);
/* Non-empty, and only ASCII letters, digits and the characters in extra. */
bool config_valid_chars(const char *s, const char *extra);
int strv_push(struct strv *sv, const char *s);
/* The absolute path of the executable prog (a bare name) in path (':'-separated; NULL
 * or empty: /usr/local/sbin:...:/bin). Relative entries are skipped. Malloc'd; NULL with
 * errno ENOENT when not found, EACCES and the like when found but not executable. */
char *config_find_program(const char *prog, const char *path);
/* A reference Docker accepts: [HOST[:PORT]/]path[:tag][@algo:hex], path components
 * in lower case [a-z0-9] joined by '.', '_', '__' or '-' runs, tag [A-Za-z0-9_][A-Za-z0-9_.-]
 * up to 128 characters. */
bool config_valid_image(const char *ref);

#endif
