/* ctl.h: dockscalectl, the command-line client of dockscaled's HTTP API (doc/operating.md,
 * "Operating it"). Nothing here links the daemon. */
#ifndef DOCKSCALE_CTL_H
#define DOCKSCALE_CTL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cJSON;

/* Exit codes a script can rely on (dockscalectl(1), doc/operating.md). */
#define CTL_EXIT_OK 0
#define CTL_EXIT_REFUSED 1     /* the daemon answered 4xx: unknown service, bad value, token */
#define CTL_EXIT_USAGE 2       /* bad command line, or a file named on it cannot be read */
#define CTL_EXIT_UNREACHABLE 3 /* no answer, a 5xx, or an answer that is not the API's JSON */

#define CTL_DEFAULT_LISTEN "127.0.0.1:9280" /* the daemon's default [daemon] listen */
#define CTL_FOLLOW_WAIT_S 30                /* events -f: the long poll's wait */

enum ctl_cmd {
	CTL_NONE = 0,
	CTL_STATUS,
	CTL_EXPLAIN,
	CTL_EVENTS,
	CTL_SCALE,
	CTL_PAUSE,
	CTL_RESUME,
	CTL_ROLLOUT,
	CTL_HEALTH,
	CTL_VERSION,
	CTL_HELP,
};

/* The parsed command line; strings point into argv. */
struct ctl_args {
	enum ctl_cmd cmd;
	const char *url;        /* -H; NULL = env, config, default */
	const char *token_file; /* --token-file; NULL = env, config, none */
	const char *config;     /* -c; NULL = the default path, silently skipped if unreadable */
	bool json;
	const char *service;    /* the SERVICE operand, or NULL */
	int replicas;           /* scale N, pause N; -1 = not given */
	bool follow;            /* events -f */
	long long since;        /* events --since ID; -1 = not given */
	bool restart;           /* rollout --restart */
};

/* Where and how to reach the daemon, once flags, environment and config are merged. */
struct ctl_target {
	char url[512];        /* base URL without a trailing '/' */
	char token_file[4096]; /* "" = no token */
};

/* ctl.c: argument parsing (pure; the messages go to err). Returns 0, or -1 on a usage
 * error. */
int ctl_args_parse(int argc, char **argv, struct ctl_args *a, char *err, size_t errlen);
const char *ctl_usage(void);

/* ctl.c: seconds to wait before following the events again after the n-th failure in a
 * row (0 first): 1, 2, 4 ... at most 30. */
int ctl_follow_wait_s(int n);

/* ctl_conf.c: flag > environment > config file > default. A listen address becomes a URL;
 * returns 0, or -1 with err set when a file the user named cannot be read. */
int ctl_conf_resolve(const struct ctl_args *a, struct ctl_target *t, char *err, size_t errlen);
int ctl_conf_listen_url(const char *listen, char *url, size_t len);
/* The bearer token of t (trimmed) into tok; 0 none configured, 1 read, -1 error. */
int ctl_conf_token(const struct ctl_target *t, char *tok, size_t len, char *err, size_t errlen);

/* ctl_http.c: one request. 0 when an HTTP answer came (status and body set), -1 when
 * none did (err says why). stop, when set, aborts the transfer (SIGINT in events -f). */
struct ctl_resp {
	long status;
	char *body; /* NUL-terminated, heap */
	size_t len;
};
int ctl_http(const struct ctl_target *t, const char *method, const char *path,
    const char *body, const char *token, long timeout_s, volatile sig_atomic_t *stop,
    struct ctl_resp *r, char *err, size_t errlen);
void ctl_resp_free(struct ctl_resp *r);
/* name percent-encoded into out; -1 when it does not fit. */
int ctl_http_escape(const char *name, char *out, size_t len);

/* ctl_print.c: the pure formatting of API answers. now_ms is the wall clock. */
void ctl_fmt_age(char *buf, size_t len, int64_t ms);
void ctl_fmt_decision(char *buf, size_t len, const struct cJSON *svc);
void ctl_fmt_metric(char *buf, size_t len, const struct cJSON *svc);
/* The services table; events (may be NULL) gives each service's last decision time. */
void ctl_print_table(FILE *f, const struct cJSON *list, const struct cJSON *events,
    int64_t now_ms);
void ctl_print_service(FILE *f, const struct cJSON *svc);
void ctl_print_event(FILE *f, const struct cJSON *ev);
void ctl_print_explain(FILE *f, const struct cJSON *ex);
/* The API's {"error": "..."} or a stand-in for an answer without one. */
void ctl_error_text(char *buf, size_t len, long status, const char *body);

/* ctl_cmd.c: run the parsed command; returns the exit code. */
int ctl_run(const struct ctl_args *a, const struct ctl_target *t);

#endif
