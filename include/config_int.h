/* config_int.h: private to config.c (file reader) and config_keys.c (keys and values). */
#ifndef DOCKSCALE_CONFIG_INT_H
#define DOCKSCALE_CONFIG_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"

#define KEYS_MAX 152 /* keys in the largest section: sizes pstate.seen */
#define CTR_KEYS_MAX 40 /* config_ctr.c's keys, after svc_keys in [service] */
#define READY_KEYS_MAX 4 /* config_ready.c's keys, after CTR_KEYS_MAX more */
#define LB_KEYS_MAX 8 /* config_lb.c's [service] keys, after config_ctr.c's */
#define KINDS_KEYS_MAX 4 /* config_kinds.c's keys, after config_lb.c's */
#define KIND_KEYS_MAX 4 /* each kind's own [service] keys, after config_kinds.c's */
#define CTR_USER_MAX 256 /* each part of `user` */
#define REPLICAS_MAX 1000 /* min_replicas, max_replicas, wake_replicas ... */
#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

/* The order of SEC_DAEMON..SEC_SERVICE indexes config.c's section names and
 * config_keys.c's key tables. A kind's own section is SEC_KIND + its place in
 * config_kinds.c's list. */
enum section {
	SEC_NONE, SEC_DAEMON, SEC_DOCKER, SEC_PROM, SEC_NGINX, SEC_NOTIFY, SEC_SERVICE, SEC_BAD,
	SEC_KIND
};
#define GLOBAL_SECTIONS (SEC_SERVICE - SEC_DAEMON) /* daemon .. notify */

/* clang-format off */
enum ktype {
	K_STR, K_IMAGE, K_ABSPATH, K_SOCKET, K_LISTEN, K_URL, K_TOKEN, K_LOGLEVEL, K_DUR,
	K_INT, K_DBL, K_MEMORY, K_BOOL, K_ARGV, K_ENV, K_LIST, K_METRIC, K_POLICY,
	K_HTTPPATH, K_UPNAME, K_NETWORK, K_CONTAINER, K_HOSTS, K_CPROJECT, K_CSERVICE, K_PULL, K_REGAUTH, K_STATSSRC, K_VICTIM,
	/* config_ctr.c's values (config_ctr_set_value) */
	K_VOLUME, K_TMPFS, K_LABEL, K_ENVFILE, K_USER, K_CTRPATH, K_HOSTNAME, K_CAPS,
	K_SECOPT, K_ULIMIT, K_EXTRAHOST, K_DNS, K_NAME, K_KV, K_SIGNAL, K_RESTART,
	K_HEALTHCHECK, K_NETLIST, K_SIZE, K_SYSCTL, K_DOMAIN, K_WORD, K_GROUP,
	K_READINESS, /* the readiness table's (config_ready_set_value, config_keys.c) */
	K_SLEEP,     /* the same table's `sleep` (config_ready_set_value) */
	K_SCHEDULE, K_TZ, /* config_schedule.c's (config_schedule_set_value) */
	/* config_lb.c's values (config_lb_set_value) */
	K_WAKELISTEN, K_WAKEPAGE,
	/* config_kinds.c's: the kind `balancer` or `runtime` picks, and a value of a kind's
	 * own that its set_value parses (config_kinds_set_value) */
	K_BALANCER, K_RUNTIME, K_OWN,
	/* config_notify.c's values (config_notify_set_value) */
	K_NURL, K_NEVENTS, K_NFORMAT, K_NTOKEN,
};

#define F_OPEN_LO 1u  /* the lower bound is exclusive */
#define F_NONEMPTY 2u /* an argv must have a word */
#define F_EMPTY_OK 4u /* a path may be empty (the feature is off) */
#define F_WHOLE_S 8u  /* a duration in whole seconds */
#define F_PROGRAM 16u /* argv[0] is run by the daemon: resolved in PATH at load */
#define F_ZERO_OK 32u /* a number may be 0 (off) below its lower bound */
#define F_TMP_SIBLING 64u /* a file replaced through a temporary file beside it */
#define F_CTR 128u    /* part of the container definition (ctrdef.c builds it into the
                       * create body) */
#define F_REPEAT 256u /* may be given more than once, each line adds a value */
#define F_ROUTE 512u  /* about routing requests to the replicas: a runtime that routes
                       * its own (config_kind.foreign) refuses it */
#define F_RESERVE 1024u /* a size the host keeps for itself (doc/headroom.md): any size, not
                         * Docker's minimum; a warning when not below this host's memory */

struct keydef {
	const char *name;
	size_t off;        /* into struct config or struct svc_conf */
	double lo, hi;     /* numbers, durations in ms; hi of a string: its longest length
	                    * (0 = no bound) */
	enum ktype type;
	unsigned flags;
};
/* clang-format on */

struct pstate {
	const char *path;
	FILE *fp;
	char *buf; /* getline buffer */
	size_t cap;
	int line;       /* line most recently handed to inih */
	bool have_prev; /* inih has a key an indented line would continue */
	bool cont;      /* the current line is such a continuation */
	enum section sec;
	int global_line[GLOBAL_SECTIONS + CONFIG_KINDS_MAX]; /* first line of each global
	                         * section, then of each kind's */
	int seen[KEYS_MAX];      /* per key of this section: first line, negative if bad */
	int listen_line;         /* of [daemon] listen, for the check that needs the token */
	struct svc_conf *cur;    /* the [service] being read */
	struct svc_conf scratch; /* a rejected [service] still gets its keys checked */
	bool in_scratch;
	struct config *cfg;
	struct config_errors *errs;
	size_t errs_base; /* errs->n when we started: we only sort our own */
	int *err_lines;   /* line of each of our messages, for sorting */
	size_t nerr;
	bool oom;
	/* Labels (config_labels.c): what "line" N names instead of a line of the file, e.g.
	 * "label dockscale.max_replicas=lots"; a message reads "PATH WHERE: message". */
	const char *const *where;
	size_t nwhere;
};

/* config.c: error collection, shared so that value and cross-key checks report
 * through the same sorted list as the reader. */
__attribute__((format(printf, 3, 0))) void config_vperr(struct pstate *ps, int line,
                                                        const char *fmt, va_list ap);
/* A value that loads but has no effect: "FILE:LINE: message" into cfg->warnings. */
__attribute__((format(printf, 3, 4))) void config_pwarn(struct pstate *ps, int line,
                                                        const char *fmt, ...);
/* Record "FILE:LINE: message" (line 0: "FILE: message"). */
__attribute__((format(printf, 3, 4))) void config_perr(struct pstate *ps, int line,
                                                       const char *fmt, ...);

/* config_keys.c */

/* The key name of section sec (SEC_DAEMON..SEC_SERVICE), or NULL if there is none;
 * *idx is its index in the section, which is what pstate.seen is indexed by. */
const struct keydef *config_key_find(enum section sec, const char *name, int *idx);
/* The key table of section sec and its length; pstate.seen is indexed like it. */
const struct keydef *config_keys(enum section sec, size_t *n);
/* Find a command's program in PATH (a bare name) and store its absolute path in sv; with
 * report, a missing or bad one is an error on the current line. */
bool config_resolve_program(struct pstate *ps, const char *k, struct strv *sv, bool report);
/* Parse v into the field at p. False (after reporting) when v is rejected. */
bool config_set_value(struct pstate *ps, const struct keydef *kd, void *p, const char *v);
/* Checks across the keys of the [service] just finished (reported on its header line). */
void config_check_service(struct pstate *ps, const struct svc_conf *s);
/* Checks across services, once the whole file has been read. */
void config_check_services(struct pstate *ps, struct config *cfg);
/* The end of [nginx]: the keys [nginx] container makes moot (doc/balancers.md). */
void config_check_nginx(struct pstate *ps, const struct config *cfg);
/* Checks across the [daemon] keys, once the whole file has been read. */
void config_check_daemon(struct pstate *ps, const struct config *cfg);

/* config_hooks.c: the lifecycle hooks' checks across keys (doc/replicas.md, "Lifecycle
 * hooks"). */
void config_hooks_check(struct pstate *ps, const struct svc_conf *s);
/* config_idle.c: sleeping when idle and waking a stack (doc/sleeping.md). Checks across
 * the sleep keys of a finished [service] (on their own lines), and across services. */
void config_idle_check(struct pstate *ps, const struct svc_conf *s);
void config_idle_check_services(struct pstate *ps, const struct config *cfg);

/* config_schedule.c: scheduled bounds (doc/scaling.md, "Scheduled bounds"): a schedule
 * line and the timezone, and the checks across a finished [service]'s windows. */
bool config_schedule_set_value(struct pstate *ps, const struct keydef *kd, void *p,
    const char *v);
void config_schedule_check(struct pstate *ps, const struct svc_conf *s);
void config_schedule_free(struct svc_schedule *sc);

/* config_moot.c: the [service] keys that have no effect given the rest of their service
 * (doc/configuration.md, "Keys that do nothing"). One row per key: why (the rule: NULL
 * when the key has an effect in s, else the reason), or elsewhere (the file whose check
 * covers it), or neither (always in effect). */
struct config_moot {
	const char *key;
	const char *(*why)(const struct svc_conf *s);
	const char *elsewhere;
};
const struct config_moot *config_moot_rows(size_t *n);
/* Warn about each key of the finished [service] s set to something other than its
 * default that has no effect (on the key's line). */
void config_moot_check(struct pstate *ps, const struct svc_conf *s);

/* config.c: whether name may not name a service, with why ("bad service name 'X': ..."). */
bool config_svc_name_bad(const char *name, char *why, size_t len);
/* config.c: a [service]'s defaults (name and header line given), and its fields freed:
 * 0, or -1 when out of memory (free it anyway). */
int config_svc_defaults(struct svc_conf *s, const char *name, int line);
void config_svc_free(struct svc_conf *s);

/* config_ctr.c: the container-definition keys of [service] beyond svc_keys. */

/* config_ctr.c's table (*n keys); its key j is pstate.seen[NKEYS(svc_keys) + j]. */
const struct keydef *config_ctr_keys(size_t *n);
/* config_set_value for the K_VOLUME..K_SIZE types. */
bool config_ctr_set_value(struct pstate *ps, const struct keydef *kd, void *p, const char *v);
/* Checks across the container keys of a finished [service] (reported on its header
 * line). Every value is checked here, so ctrdef.c builds the create body from it. */
void config_ctr_check(struct pstate *ps, const struct svc_conf *s);

/* Free the fields of c. */
void config_ctr_free(struct ctr_conf *c);
/* Helpers of the config_ctr*.c files. Report on the current line; always false. */
__attribute__((format(printf, 2, 3))) bool config_ctr_bad(struct pstate *ps, const char *fmt,
                                                          ...);
/* Append a copy of v to sv; false when out of memory (ps->oom set). */
bool config_ctr_push(struct pstate *ps, struct strv *sv, const char *v);
/* Replace *dst by a copy of v; false when out of memory. */
bool config_ctr_set_str(struct pstate *ps, char **dst, const char *v);
/* Non-empty, and no whitespace or control character. */
bool config_ctr_word(const char *s);
/* The index of s in names (case-insensitive with nocase), or -1. */
int config_ctr_find_name(const char *const *names, size_t n, const char *s, bool nocase);
/* The index of the entry of sv that starts with key (keylen bytes) then sep, or -1. */
int config_ctr_find_key(const struct strv *sv, const char *key, size_t keylen, char sep);

/* config_lb.c: the wake keys of [service] (after config_ready.c's keys in pstate.seen). */
const struct keydef *config_lb_keys(size_t *n);
bool config_lb_set_value(struct pstate *ps, const struct keydef *kd, void *p, const char *v);
/* Checks across the balancer keys of a finished [service] (on its header line). */
void config_lb_check(struct pstate *ps, const struct svc_conf *s);
/* Checks across services: each wake_listen once, and not the API's. */
void config_lb_check_services(struct pstate *ps, const struct config *cfg);

/* config_ctr_proc.c: the values about the replica's process. */
bool config_ctr_user_ok(const char *v);
bool config_ctr_caps(struct pstate *ps, const char *k, struct strv *sv, const char *v);
bool config_ctr_secopt(struct pstate *ps, const char *k, struct strv *sv, const char *v);
bool config_ctr_ulimit(struct pstate *ps, const char *k, struct strv *sv, const char *v);
bool config_ctr_signal(struct pstate *ps, const char *k, char **dst, const char *v);

/* config_envfile.c: an env_file value: the file is read now, its KEY=VALUE lines go to
 * the service's file_env (a later line or file wins). */
bool config_ctr_env_file(struct pstate *ps, const struct keydef *kd, struct strv *files,
                         const char *v);

/* A balancer kind or a runtime as the configuration sees it (include/lb.h,
 * include/runtime.h): the value of `balancer` or `runtime` that
 * picks it, and the keys it brings: a [section] of its own and [service] keys, which
 * config's machinery reads, stores and checks into structs of the kind's own (struct
 * config_ext; only the kind's files read them). Each is defined in its kind's own file
 * (or here, without keys) and listed once in config_kinds.c. */
/* Where a balancer kind's traffic figures come from (doc/traffic.md). */
enum config_traffic {
	CONFIG_TRAFFIC_NONE = 0,
	CONFIG_TRAFFIC_LOG,      /* each request's line on [nginx] access_log_socket */
	CONFIG_TRAFFIC_COUNTERS, /* the balancer's own counters: an average response time */
};

struct config_kind {
	const char *name;
	enum config_role role;
	bool routes;   /* a balancer that sends requests on (waking from zero needs one) */
	enum config_traffic traffic; /* where a balancer's traffic figures come from */
	bool foreign;  /* a runtime whose replicas another system defines and routes: no
	                * image of ours, no upstream file */
	/* its own [section] (NULL: none): keys into a struct of size bytes */
	const char *section;
	const struct keydef *keys;
	size_t nkeys, size;
	/* its [service] keys (at most KIND_KEYS_MAX): into a struct of svc_size bytes */
	const struct keydef *svc_keys;
	size_t nsvc_keys, svc_size;
	/* Each optional: fill a zeroed struct (-1: out of memory), free what it holds. */
	int (*defaults)(void *conf);
	void (*free)(void *conf);
	int (*svc_defaults)(void *sconf);
	void (*svc_free)(void *sconf);
	/* config_set_value for its K_OWN keys. */
	bool (*set_value)(struct pstate *ps, const struct keydef *kd, void *p, const char *v);
	/* Optional: checks across the keys of a finished [service], of every service
	 * whatever it picked (reported on their own lines). */
	void (*check_service)(struct pstate *ps, const struct svc_conf *s);
};

/* config_kinds.c: the balancer kinds and runtimes, and the keys that pick them. */

/* The kinds, in order; NULL past the last. */
const struct config_kind *config_kind_at(size_t i);
/* The kind of role named name (NULL: the role's default, its first); NULL when none. */
const struct config_kind *config_kind_find(enum config_role role, const char *name);
/* balancer and runtime (*n keys), after config_lb.c's keys in pstate.seen. */
const struct keydef *config_kinds_keys(size_t *n);
/* config_set_value for K_BALANCER, K_RUNTIME and K_OWN. */
bool config_kinds_set_value(struct pstate *ps, const struct keydef *kd, void *p,
    const char *v);
/* The names of role's kinds joined by sep (only those that route with routing), into
 * out: for messages. */
void config_kind_names(enum config_role role, bool routing, const char *sep, char *out,
    size_t len);
/* Every kind of role's check_service. */
void config_kinds_check(struct pstate *ps, const struct svc_conf *s, enum config_role role);
/* Each kind's structs in struct config (and in a [service]'s svc_conf) made with their
 * defaults; -1 when out of memory. The free functions take what they hold. */
int config_kinds_defaults(struct config_ext *v);
void config_kinds_free(struct config_ext *v);
int config_kinds_svc_defaults(struct config_ext *v);
void config_kinds_svc_free(struct config_ext *v);
/* The kind whose section is name (its place in the list), or -1. */
int config_kind_section(const char *name);

/* config_notify.c: the [notify] section (doc/notifications.md). */
const struct keydef *config_notify_keys(size_t *n);
bool config_notify_set_value(struct pstate *ps, const struct keydef *kd, void *p,
    const char *v);
/* Keys of a finished [notify] that do nothing given the others: warnings. */
void config_notify_check(struct pstate *ps, const struct config *cfg);
int config_notify_defaults(struct notify_conf *n);
void config_notify_free(struct notify_conf *n);
/* Read the bearer token of a token_file at path into *dst (replaced); the token never
 * appears in a message. False after reporting. */
bool config_read_token(struct pstate *ps, const char *path, char **dst);

/* config_list.c */

/* The t-th [service] key table (svc_keys, the tables beside it, the kinds'), NULL past
 * the last. */
const struct keydef *config_service_table(size_t t, size_t *n);

/* The section (daemon, docker ... or a kind's) of a key no [service] takes, or NULL. */
const char *config_key_section(const char *name);
/* Where the value of key idx of the section being read goes: struct config, the
 * [service]'s svc_conf, or a kind's own struct; NULL when that could not be made. */
void *config_key_base(const struct pstate *ps, int idx);
/* The line of a key of the current [service], 0 when not given (or, unless any, bad). */
int config_key_line(const struct pstate *ps, const char *name, bool any);

/* config_keys.c: the readiness keys of [service] (doc/readiness.md); key j is
 * pstate.seen[NKEYS(svc_keys) + CTR_KEYS_MAX + j]. */
const struct keydef *config_ready_keys(size_t *n);
/* config_set_value for K_READINESS and K_SLEEP. */
bool config_ready_set_value(struct pstate *ps, const struct keydef *kd, void *p, const char *v);
/* `sleep` against the service's other keys (doc/waking.md, "Sleeping: stop or pause"). */
void config_sleep_check(struct pstate *ps, const struct svc_conf *s);

#endif
