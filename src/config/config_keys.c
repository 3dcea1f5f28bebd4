/* config_keys.c: the keys of dockscale.conf (SPEC §3): their tables, values and checks. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sysinfo.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "accesslog.h"
#include "cgroup.h"
#include "compose.h"
#include "config_int.h"
#include "docker.h"
#include "readiness.h"
#include "webhook.h"

#define TOKEN_MAX 4096
#define MEMORY_MIN (6LL * 1024 * 1024) /* Docker refuses less */
#define CPUS_MIN 0.01                  /* Docker refuses a NanoCpus below 10^7 */
/* The upstream file is replaced through "DIR/.NAME.dockscale.tmp" beside it. */
#define UPSTREAM_TMP_EXTRA (sizeof(".") + sizeof(".dockscale.tmp") - 2)
#define PATH_LEN_MAX (PATH_MAX - 1)
#define STOP_MAX_MS (DOCKER_STOP_MAX_S * 1000.0)
/* A hook runs at most an hour: longer is a stuck replica, not a hook. */
#define HOOK_TIMEOUT_MAX_MS (3600.0 * 1000)
/* The access log's socket is bound at that path: sun_path holds it with its NUL. */
#define ACCESS_LOG_PATH_MAX 107
/* doc/sleeping.md: a day is the longest idle time; an ignore entry longer than what the
 * access log keeps of a User-Agent or a path could never match. */
#define IDLE_AFTER_MAX_MS (86400.0 * 1000)
#define IDLE_AGENT_MAX (ACCESSLOG_AGENT_MAX - 1)
#define IDLE_PATH_MAX (ACCESSLOG_URI_MAX - 1)
_Static_assert(ACCESS_LOG_PATH_MAX < sizeof(((struct sockaddr_un *)0)->sun_path), "sun_path");

/* clang-format off */
#define KEY(n, t, o, lo, hi, f) { n, o, lo, hi, t, f }
#define C(f) offsetof(struct config, f)
#define S(f) offsetof(struct svc_conf, f)
#define INF INFINITY

static const struct keydef daemon_keys[] = {
	KEY("listen", K_LISTEN, C(listen), 0, 0, 0),
	KEY("token_file", K_TOKEN, C(token_file), 0, 0, 0),
	KEY("allowed_hosts", K_HOSTS, C(allowed_hosts), 0, 0, 0),
	KEY("interval", K_DUR, C(interval_ms), 0, INF, F_OPEN_LO),
	KEY("log_level", K_LOGLEVEL, C(log_level), 0, 0, 0),
	KEY("dry_run", K_BOOL, C(dry_run), 0, 0, 0),
	KEY("lock_file", K_ABSPATH, C(lock_file), 0, PATH_LEN_MAX, 0),
	KEY("reserve_memory", K_MEMORY, C(reserve_memory), 0, 0, F_RESERVE),
	KEY("reserve_cpus", K_DBL, C(reserve_cpus), 0, 1024, 0),
	KEY("labels", K_BOOL, C(labels), 0, 0, 0),
};
static const struct keydef docker_keys[] = {
	KEY("socket", K_SOCKET, C(docker_socket), 0, 0, 0),
	KEY("timeout", K_DUR, C(docker_timeout_ms), 0, INF, F_OPEN_LO),
	KEY("pull_timeout", K_DUR, C(pull_timeout_ms), 0, 86400000, F_OPEN_LO),
	KEY("registry_auth_file", K_REGAUTH, C(registry_auth_file), 0, PATH_LEN_MAX, 0),
	KEY("stats_source", K_STATSSRC, C(stats_source), 0, 0, 0),
};
static const struct keydef prom_keys[] = {
	KEY("url", K_URL, C(prom_url), 0, 0, 0),
	KEY("timeout", K_DUR, C(prom_timeout_ms), 0, INF, F_OPEN_LO),
};
static const struct keydef nginx_keys[] = {
	KEY("test_command", K_ARGV, C(nginx_test), 0, 0, F_NONEMPTY | F_PROGRAM),
	KEY("reload_command", K_ARGV, C(nginx_reload), 0, 0, F_NONEMPTY | F_PROGRAM),
	KEY("timeout", K_DUR, C(nginx_timeout_ms), 0, INF, F_OPEN_LO),
	KEY("pid_file", K_ABSPATH, C(nginx_pid_file), 0, PATH_LEN_MAX, F_EMPTY_OK),
	KEY("access_log_socket", K_ABSPATH, C(nginx_access_log), 0, ACCESS_LOG_PATH_MAX, F_EMPTY_OK),
	KEY("container", K_CONTAINER, C(nginx_container), 0, 128, 0),
};
static const struct keydef svc_keys[] = {
	KEY("image", K_IMAGE, S(image), 0, DOCKER_IMAGE_MAX, F_CTR),
	KEY("command", K_ARGV, S(command), 0, 0, F_CTR),
	KEY("env", K_ENV, S(env), 0, 0, F_CTR),
	KEY("port", K_INT, S(port), 1, 65535, 0),
	KEY("network", K_NETWORK, S(network), 0, DOCKER_NETWORK_MAX, 0),
	KEY("cpus", K_DBL, S(cpus), CPUS_MIN, 1024, F_ZERO_OK | F_CTR),
	KEY("memory", K_MEMORY, S(memory), 0, 0, F_CTR),
	KEY("init", K_BOOL, S(init), 0, 0, F_CTR),
	KEY("health_path", K_HTTPPATH, S(health_path), 0, CONFIG_HEALTH_PATH_MAX, 0),
	KEY("min_replicas", K_INT, S(dp.min_replicas), 0, REPLICAS_MAX, 0),
	KEY("max_replicas", K_INT, S(dp.max_replicas), 1, REPLICAS_MAX, 0),
	KEY("metric", K_METRIC, S(metrics), 0, 0, 0),
	KEY("query", K_STR, S(query), 0, 0, 0),
	KEY("policy", K_POLICY, S(dp.policy), 0, 0, 0),
	KEY("scale_up_threshold", K_DBL, S(dp.up_threshold), -INF, INF, 0),
	KEY("scale_down_threshold", K_DBL, S(dp.down_threshold), -INF, INF, 0),
	KEY("target", K_DBL, S(dp.target), 0, INF, F_OPEN_LO),
	KEY("memory_scale_up_threshold", K_DBL, S(mem_up_threshold), -INF, INF, 0),
	KEY("memory_scale_down_threshold", K_DBL, S(mem_down_threshold), -INF, INF, 0),
	KEY("memory_target", K_DBL, S(mem_target), 0, INF, F_OPEN_LO),
	KEY("requests_target", K_DBL, S(requests_target), 0, 1e9, F_OPEN_LO),
	KEY("concurrency_target", K_DBL, S(concurrency_target), 0, 1e9, F_OPEN_LO),
	KEY("latency_target", K_DUR, S(latency_target_ms), 0, 3600000, F_OPEN_LO),
	KEY("latency_percentile", K_DBL, S(latency_percentile), 0, 99.9, F_OPEN_LO),
	KEY("scale_down_victim", K_VICTIM, S(victim), 0, 0, 0),
	KEY("horizon", K_DUR, S(dp.horizon_ms), 0, INF, 0),
	KEY("predict_alpha", K_DBL, S(dp.predict_alpha), 0, 1, F_OPEN_LO),
	KEY("predict_beta", K_DBL, S(dp.predict_beta), 0, 1, F_OPEN_LO),
	KEY("scale_up_for", K_DUR, S(dp.up_for_ms), 0, INF, 0),
	KEY("scale_down_for", K_DUR, S(dp.down_for_ms), 0, INF, 0),
	KEY("scale_up_step", K_INT, S(dp.up_step), 1, REPLICAS_MAX, 0),
	KEY("scale_down_step", K_INT, S(dp.down_step), 1, REPLICAS_MAX, 0),
	KEY("scale_up_cooldown", K_DUR, S(dp.up_cooldown_ms), 0, INF, 0),
	KEY("scale_down_cooldown", K_DUR, S(dp.down_cooldown_ms), 0, INF, 0),
	KEY("smoothing", K_DBL, S(dp.smoothing), 0, 1, F_OPEN_LO),
	KEY("start_timeout", K_DUR, S(start_timeout_ms), 0, INF, F_OPEN_LO),
	KEY("drain", K_DUR, S(drain_ms), 0, INF, 0),
	KEY("stop_timeout", K_DUR, S(stop_timeout_ms), 1000, STOP_MAX_MS, F_WHOLE_S),
	/* lifecycle hooks (doc/replicas.md, "Lifecycle hooks") */
	KEY("post_start", K_ARGV, S(post_start), 0, 0, F_NONEMPTY),
	KEY("post_start_timeout", K_DUR, S(post_start_timeout_ms), 0, HOOK_TIMEOUT_MAX_MS, F_OPEN_LO),
	KEY("pre_stop", K_ARGV, S(pre_stop), 0, 0, F_NONEMPTY),
	KEY("pre_stop_http", K_HTTPPATH, S(pre_stop_http), 0, CONFIG_HEALTH_PATH_MAX, 0),
	KEY("pre_stop_timeout", K_DUR, S(pre_stop_timeout_ms), 0, HOOK_TIMEOUT_MAX_MS, F_OPEN_LO),
	KEY("create_parallel", K_INT, S(create_parallel), 1, CREATE_PARALLEL_MAX, 0),
	KEY("rollout_surge", K_INT, S(rollout_surge), 0, REPLICAS_MAX, 0),
	KEY("rollout_min_healthy", K_DUR, S(rollout_min_healthy_ms), 0, INF, 0),
	KEY("rollout_max_failures", K_INT, S(rollout_max_failures), 1, REPLICAS_MAX, 0),
	KEY("upstream_file", K_ABSPATH, S(upstream_file), 0, PATH_LEN_MAX - UPSTREAM_TMP_EXTRA,
	    F_TMP_SIBLING | F_ROUTE),
	KEY("upstream_name", K_UPNAME, S(upstream_name), 0, 0, F_ROUTE),
	KEY("scale_up_alerts", K_LIST, S(up_alerts), 0, WEBHOOK_FIELD_MAX - 1, 0),
	KEY("scale_down_alerts", K_LIST, S(down_alerts), 0, WEBHOOK_FIELD_MAX - 1, 0),
	KEY("compose_project", K_CPROJECT, S(compose_project), 0, COMPOSE_NAME_MAX, 0),
	KEY("compose_service", K_CSERVICE, S(compose_service), 0, COMPOSE_NAME_MAX, 0),
	KEY("pull", K_PULL, S(pull), 0, 0, 0),
	KEY("idle_after", K_DUR, S(idle_after_ms), 0, IDLE_AFTER_MAX_MS, 0),
	KEY("idle_cpu_below", K_DBL, S(idle_cpu_below), 0.01, 100, F_ZERO_OK),
	KEY("idle_ignore_user_agent", K_LIST, S(idle_ignore_agents), 0, IDLE_AGENT_MAX, 0),
	KEY("idle_ignore_path", K_LIST, S(idle_ignore_paths), 0, IDLE_PATH_MAX, 0),
	KEY("depends_on", K_LIST, S(depends_on), 0, CONFIG_NAME_MAX, 0),
	KEY("priority", K_INT, S(priority), -1000, 1000, 0),
	KEY("schedule", K_SCHEDULE, S(schedule), 0, 0, F_REPEAT),
	KEY("timezone", K_TZ, S(timezone), 0, CONFIG_TZ_MAX, 0),
};

_Static_assert(NKEYS(svc_keys) + CTR_KEYS_MAX + READY_KEYS_MAX + LB_KEYS_MAX +
    KINDS_KEYS_MAX + CONFIG_KINDS_MAX * KIND_KEYS_MAX <= KEYS_MAX, "KEYS_MAX too small");
/* A service name is a Docker label value and, with "-N", a container name. */
_Static_assert(sizeof(((struct docker_ctr *)0)->service) > CONFIG_NAME_MAX,
               "service name bound does not fit the container list");
_Static_assert(CONFIG_NAME_MAX + 12 <= DOCKER_NAME_MAX,
               "service name bound does not fit a replica name");

/* indexed by enum section - SEC_DAEMON */
static const struct {
	const struct keydef *keys;
	size_t n;
} sections[] = {
	{ daemon_keys, NKEYS(daemon_keys) }, { docker_keys, NKEYS(docker_keys) },
	{ prom_keys, NKEYS(prom_keys) },     { nginx_keys, NKEYS(nginx_keys) },
	{ NULL, 0 }, /* [notify]: config_notify.c's table (config_keys) */
	{ svc_keys, NKEYS(svc_keys) },
};
_Static_assert(NKEYS(sections) == SEC_SERVICE - SEC_DAEMON + 1, "a section lacks keys");

/* indexed by enum metric_kind / enum decide_policy_kind */
static const char *const policy_names[] = { "threshold", "target", "predictive" };
static const char *const pull_names[] = { "missing", "always", "never" }; /* enum pull_policy */
static const char *const victim_names[] = { "least_busy", "newest", "oldest" }; /* enum victim_rule */
#define SUN_PATH_LEN sizeof(((struct sockaddr_un *)0)->sun_path)
/* clang-format on */

/* Report a rejected value on the current line; returns false for set_value. */
__attribute__((format(printf, 2, 3))) static bool
bad(struct pstate *ps, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	config_vperr(ps, ps->line, fmt, ap);
	va_end(ap);
	return false;
}

static bool
set_str(struct pstate *ps, char **dst, const char *v)
{
	char *copy = strdup(v);
	if (!copy) {
		ps->oom = true;
		return false;
	}
	free(*dst);
	*dst = copy;
	return true;
}

static bool
has_space(const char *s)
{
	for (; *s; s++)
		if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return true;
	return false;
}

/* A string key's bound (kd->hi, 0 = none) is a lower layer's buffer or Docker's limit:
 * reported here rather than refused later. True after reporting. */
static bool
too_long(struct pstate *ps, const struct keydef *kd, const char *v)
{
	size_t n = strlen(v);

	if (kd->hi <= 0 || n <= (size_t)kd->hi)
		return false;
	config_perr(ps, ps->line, "%s: %zu bytes long, at most %.0f", kd->name, n, kd->hi);
	return true;
}

/* The daemon runs argv[0] itself (execvp, no shell): find it now, in the daemon's own
 * PATH, so that a typo is a configuration error, and run it by its absolute path. */
bool
config_resolve_program(struct pstate *ps, const char *k, struct strv *sv, bool report)
{
	const char *prog = sv->v[0];
	char *abs;

	if (strchr(prog, '/') != NULL) {
		if (prog[0] != '/')
			return report && bad(ps, "%s: %s: a program path must be absolute", k, prog);
		if (access(prog, X_OK) == 0)
			return true;
		return report && bad(ps, "%s: %s: %s", k, prog, strerror(errno));
	}
	if ((abs = config_find_program(prog, getenv("PATH"))) != NULL) {
		free(sv->v[0]);
		sv->v[0] = abs;
		return true;
	}
	if (errno == ENOMEM)
		ps->oom = true;
	else if (report && errno != ENOENT)
		return bad(ps, "%s: %s: %s", k, prog, strerror(errno));
	else if (report)
		return bad(ps, "%s: %s: not found in PATH", k, prog);
	return false;
}

/* HOST:PORT; HOST is dotted IPv4, [IPv6] or localhost; PORT 0..65535 (0 = any). */
static bool
valid_listen(const char *s)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	char *end;

	if (!colon || colon == s || !colon[1] ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return false;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (errno || port > 65535)
		return false;
	size_t hl = (size_t)(colon - s);
	if (s[0] == '[') {
		if (hl < 3 || s[hl - 1] != ']' || hl - 2 >= sizeof(host))
			return false;
		memcpy(host, s + 1, hl - 2);
		host[hl - 2] = '\0';
		struct in6_addr a6;
		return inet_pton(AF_INET6, host, &a6) == 1;
	}
	if (hl >= sizeof(host))
		return false;
	memcpy(host, s, hl);
	host[hl] = '\0';
	struct in_addr a4;
	return strcmp(host, "localhost") == 0 || inet_pton(AF_INET, host, &a4) == 1;
}

/* Read the bearer token at load time; the token itself never appears in a message. */
bool
config_read_token(struct pstate *ps, const char *path, char **dst)
{
	char buf[TOKEN_MAX + 1];
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	bool ok = false;

	if (fd < 0) {
		config_perr(ps, ps->line, "token_file %s: %s", path, strerror(errno));
		return false;
	}
	while (n < sizeof(buf)) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			config_perr(ps, ps->line, "token_file %s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > TOKEN_MAX) {
		config_perr(ps, ps->line, "token_file %s: longer than %d bytes", path,
		            TOKEN_MAX);
		goto out;
	}
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		n--;
	buf[n] = '\0';
	size_t skip = strspn(buf, " \t\r\n");
	if (n == skip) {
		config_perr(ps, ps->line, "token_file %s: empty token", path);
	} else if (strlen(buf) != n || has_space(buf + skip)) {
		config_perr(ps, ps->line,
		            "token_file %s: the token must be one line without spaces", path);
	} else {
		if (*dst != NULL) {
			explicit_bzero(*dst, strlen(*dst));
			free(*dst);
		}
		*dst = strdup(buf + skip);
		ok = *dst != NULL;
		ps->oom |= !ok;
	}
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return ok;
}

/* One word: a name, a path, an image reference. */
static bool
set_word(struct pstate *ps, const struct keydef *kd, void *p, const char *v)
{
	const char *k = kd->name;

	switch (kd->type) {
	case K_STR:
		return set_str(ps, p, v);
	case K_IMAGE:
		if (!*v || has_space(v))
			return bad(ps, "%s: must be one non-empty word", k);
		if (!config_valid_image(v))
			return bad(ps, "%s: '%s' is not a Docker image reference "
			           "([HOST[:PORT]/]name[:tag][@digest], name in lower case)",
			           k, v);
		return !too_long(ps, kd, v) && set_str(ps, p, v);
	case K_NETWORK:
		/* Docker's rule for network names; "" publishes on 127.0.0.1 instead. */
		if (*v && (!config_valid_chars(v, "_.-") || !isalnum((unsigned char)v[0])))
			return bad(ps,
			           "%s: '%s' is not a Docker network name "
			           "([A-Za-z0-9][A-Za-z0-9_.-]*)",
			           k, v);
		return !too_long(ps, kd, v) && set_str(ps, p, v);
	case K_CONTAINER:
		/* The Engine's rule for names (a 64-hex id passes too); "" = off. */
		if (*v && (!config_valid_chars(v, "_.-") || !isalnum((unsigned char)v[0])))
			return bad(ps, "%s: '%s' is not a container name or id "
			           "([A-Za-z0-9][A-Za-z0-9_.-]*)", k, v);
		return !too_long(ps, kd, v) && set_str(ps, p, v);
	case K_ABSPATH:
	case K_SOCKET: {
		if (kd->flags & F_EMPTY_OK && v[0] == '\0')
			return set_str(ps, p, v);
		if (v[0] != '/' || has_space(v))
			return bad(ps, "%s: '%s' is not an absolute path", k, v);
		if (kd->type == K_SOCKET && strlen(v) >= SUN_PATH_LEN)
			return bad(ps, "%s: path longer than %zu bytes", k, SUN_PATH_LEN - 1);
		const char *base = strrchr(v, '/') + 1;
		if ((kd->flags & F_TMP_SIBLING) && strlen(base) > NAME_MAX - UPSTREAM_TMP_EXTRA)
			return bad(ps,
			           "%s: file name longer than %zu bytes (its temporary file "
			           "adds %zu)",
			           k, NAME_MAX - UPSTREAM_TMP_EXTRA, UPSTREAM_TMP_EXTRA);
		return !too_long(ps, kd, v) && set_str(ps, p, v);
	}
	case K_HTTPPATH:
		if (v[0] != '/' || has_space(v) || strpbrk(v, "#") != NULL)
			return bad(ps, "%s: '%s' must start with '/' and contain no spaces or '#'",
			           k, v);
		for (const char *c = v; *c; c++)
			if ((unsigned char)*c >= 0x7F)
				return bad(ps, "%s: only ASCII (percent-encode other bytes)", k);
		return !too_long(ps, kd, v) && set_str(ps, p, v);
	case K_CPROJECT: /* compose's own rules: a project name is lower case (v1 folds it) */
	case K_CSERVICE:
		if (!isalnum((unsigned char)v[0]) ||
		    !config_valid_chars(v, kd->type == K_CPROJECT ? "_-" : "_.-") ||
		    (kd->type == K_CPROJECT && strpbrk(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")))
			return bad(ps, "%s: '%s' is not a docker-compose %s name (%s)", k, v,
			           kd->type == K_CPROJECT ? "project" : "service",
			           kd->type == K_CPROJECT ? "[a-z0-9][a-z0-9_-]*"
			                                  : "[A-Za-z0-9][A-Za-z0-9_.-]*");
		return !too_long(ps, kd, v) && set_str(ps, p, v);
	case K_UPNAME:
		if (!config_valid_chars(v, "_.-"))
			return bad(ps, "%s: '%s' must match [A-Za-z0-9_.-]+", k, v);
		return set_str(ps, p, v);
	default:
		return false;
	}
}

/* Where to listen or call, and the secrets read at load (token, registry auth). */
static bool
set_address(struct pstate *ps, const struct keydef *kd, void *p, const char *v)
{
	const char *k = kd->name;

	switch (kd->type) {
	case K_LISTEN:
		if (!valid_listen(v))
			return bad(ps,
			           "%s: '%s' is not HOST:PORT (IPv4, [IPv6] or localhost; port "
			           "0..65535)",
			           k, v);
		ps->listen_line = ps->line;
		return set_str(ps, p, v);
	case K_URL: {
		size_t pre = strncasecmp(v, "http://", 7) == 0    ? 7
		             : strncasecmp(v, "https://", 8) == 0 ? 8
		                                                  : 0;
		if (!pre || !v[pre] || v[pre] == '/' || has_space(v))
			return bad(ps, "%s: '%s' is not an http:// or https:// URL", k, v);
		if (!set_str(ps, p, v))
			return false;
		char *u = *(char **)p; /* drop trailing slashes: API paths are appended to it */
		for (size_t n = strlen(u); n > pre + 1 && u[n - 1] == '/'; n--)
			u[n - 1] = '\0';
		return true;
	}
	case K_TOKEN:
		return set_str(ps, p, v) && (!*v || config_read_token(ps, v, &ps->cfg->token));
	case K_REGAUTH: {
		/* Read now, like token_file: a broken file is an error at load, not at a pull. */
		char why[256];
		struct regauth *ra = &ps->cfg->regauth;
		if (*v && v[0] != '/')
			return bad(ps, "%s: '%s' is not an absolute path", k, v);
		if (too_long(ps, kd, v))
			return false;
		regauth_free(ra);
		if (*v && regauth_load(v, ra, why, sizeof(why)) == -1)
			return bad(ps, "%s %s: %s", k, v, why);
		return set_str(ps, p, v);
	}
	default:
		return false;
	}
}

/* doc/headroom.md: a reserve as large as the host's memory would refuse every start.
 * A warning, not an error: the file may be checked on another host than the one it
 * runs on (--check-config in CI). */
static void
reserve_vs_host(struct pstate *ps, const char *k, int64_t b)
{
	struct sysinfo si;
	double total;

	if (b == 0 || sysinfo(&si) != 0)
		return;
	total = (double)si.totalram * si.mem_unit;
	if ((double)b >= total)
		config_pwarn(ps, ps->line, "%s: %.0f MiB is not below this host's memory (%.0f "
		    "MiB): no replica could be started here", k, (double)b / 1048576.0,
		    total / 1048576.0);
}

/* A number, a duration, a size, a boolean, within the key's bounds. */
static bool
set_number(struct pstate *ps, const struct keydef *kd, void *p, const char *v)
{
	const char *k = kd->name;
	const char *ge = (kd->flags & F_OPEN_LO) ? ">" : ">=";
	char *end;

	switch (kd->type) {
	case K_DUR: {
		int64_t ms;
		if (config_parse_duration(v, &ms) < 0)
			return bad(ps,
			           "%s: '%s' is not a duration (e.g. 500ms, 15s, 2m, 1h; at "
			           "most 366 days)",
			           k, v);
		if ((kd->flags & F_OPEN_LO) ? ms <= kd->lo : ms < kd->lo)
			return kd->lo > 0
			           ? bad(ps, "%s: must be at least %gs", k, kd->lo / 1000)
			           : bad(ps, "%s: must be greater than 0", k);
		if (ms > kd->hi)
			return bad(ps, "%s: must be at most %gs", k, kd->hi / 1000);
		if ((kd->flags & F_WHOLE_S) && ms % 1000)
			return bad(ps, "%s: must be a whole number of seconds", k);
		*(int64_t *)p = ms;
		return true;
	}
	case K_INT: {
		errno = 0;
		long x = strtol(v, &end, 10);
		if (!(isdigit((unsigned char)v[0]) ||
		      (v[0] == '-' && isdigit((unsigned char)v[1]))) ||
		    *end || errno || x < kd->lo || x > kd->hi)
			return bad(ps, "%s: '%s' is not an integer in %.0f..%.0f", k, v, kd->lo,
			           kd->hi);
		*(int *)p = (int)x;
		return true;
	}
	case K_DBL: {
		errno = 0;
		double x = strtod(v, &end);
		if (!*v || v[strspn(v, "0123456789.eE+-")] || *end || errno || !isfinite(x))
			return bad(ps, "%s: '%s' is not a number", k, v);
		if ((kd->flags & F_ZERO_OK) && x == 0) {
			*(double *)p = x;
			return true;
		}
		if (((kd->flags & F_OPEN_LO) ? x <= kd->lo : x < kd->lo) || x > kd->hi)
			return isfinite(kd->hi) ? bad(ps, "%s: must be %s%s %g and <= %g", k,
			                              (kd->flags & F_ZERO_OK) ? "0 or " : "",
			                              ge, kd->lo, kd->hi)
			                        : bad(ps, "%s: must be %s %g", k, ge, kd->lo);
		*(double *)p = x;
		return true;
	}
	case K_MEMORY: {
		int64_t b;
		if (config_parse_size(v, &b) < 0)
			return bad(ps, "%s: '%s' is not a size (e.g. 512M, 1G; 0 = unlimited)",
			           k, v);
		if (kd->flags & F_RESERVE) {
			*(int64_t *)p = b;
			reserve_vs_host(ps, k, b);
			return true;
		}
		if (b > 0 && b < MEMORY_MIN)
			return bad(
			    ps, "%s: must be 0 (unlimited) or at least 6M (Docker's minimum)",
			    k);
		*(int64_t *)p = b;
		return true;
	}
	case K_BOOL:
		if (config_parse_bool(v, p) < 0)
			return bad(
			    ps, "%s: '%s' is not a boolean (true/false, yes/no, on/off, 1/0)",
			    k, v);
		return true;
	default:
		return false;
	}
}

/* A repeatable or list value: argv, NAME=value, names. */
static bool
set_list(struct pstate *ps, const struct keydef *kd, void *p, const char *v)
{
	const char *k = kd->name;

	switch (kd->type) {
	case K_ARGV: {
		struct strv sv;
		if (config_split_argv(v, &sv) < 0) {
			if (errno != ENOMEM)
				return bad(ps, "%s: unterminated double quote", k);
			ps->oom = true;
			return false;
		}
		if ((kd->flags & F_NONEMPTY) && sv.n == 0) {
			strv_free(&sv);
			return bad(ps, "%s: must not be empty", k);
		}
		if ((kd->flags & F_PROGRAM) && !config_resolve_program(ps, k, &sv, true)) {
			strv_free(&sv);
			return false;
		}
		strv_free(p);
		*(struct strv *)p = sv;
		return true;
	}
	case K_ENV: {
		struct strv *sv = p;
		const char *eq = strchr(v, '=');
		size_t kl = eq ? (size_t)(eq - v) : 0;
		if (kl == 0 || strcspn(v, " \t") < kl)
			return bad(ps, "%s: '%s' is not NAME=value", k, v);
		for (size_t i = 0; i < sv->n; i++)
			if (strncmp(sv->v[i], v, kl + 1) == 0)
				return bad(ps, "%s: %.*s is set twice", k, (int)kl, v);
		ps->oom |= strv_push(sv, v) < 0;
		return !ps->oom;
	}
	case K_LIST: {
		struct strv *sv = p;
		char *copy = strdup(v), *save = NULL;
		ps->oom |= !copy;
		bool ok = true;
		for (char *t = copy ? strtok_r(copy, ", \t", &save) : NULL; t;
		     t = strtok_r(NULL, ", \t", &save)) {
			/* a longer alertname could never arrive: the webhook cuts it */
			if (too_long(ps, kd, t))
				ok = false;
			else
				ps->oom |= strv_push(sv, t) < 0;
		}
		free(copy);
		return ok && !ps->oom;
	}
	case K_HOSTS: {
		/* Names only: address literals and localhost are always accepted. */
		struct strv sv = {0};
		char *copy = strdup(v), *save = NULL;
		bool ok = copy != NULL;
		ps->oom |= !copy;
		for (char *t = copy ? strtok_r(copy, ", \t", &save) : NULL; t && ok;
		     t = strtok_r(NULL, ", \t", &save)) {
			size_t len = strlen(t);
			if (len > 253 || strspn(t, "abcdefghijklmnopqrstuvwxyz"
			                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != len ||
			    t[0] == '.' || t[0] == '-' || t[len - 1] == '.') {
				ok = bad(ps, "%s: '%s' is not a host name (letters, digits, '.', '-')", k,
				         t);
				break;
			}
			ps->oom |= strv_push(&sv, t) < 0;
		}
		free(copy);
		if (!ok || ps->oom) {
			strv_free(&sv);
			return false;
		}
		strv_free(p);
		*(struct strv *)p = sv;
		return true;
	}
	default:
		return false;
	}
}

/* One of a fixed set of names. */
static bool
set_choice(struct pstate *ps, const struct keydef *kd, void *p, const char *v)
{
	const char *k = kd->name;

	switch (kd->type) {
	case K_LOGLEVEL: {
		static const char *const names[] = {"debug", "info", "notice", "warning",
		                                    "err"};
		static const int prios[] = {LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING,
		                            LOG_ERR};
		for (size_t i = 0; i < NKEYS(names); i++) {
			if (strcmp(v, names[i]) == 0) {
				*(int *)p = prios[i];
				return true;
			}
		}
		return bad(ps, "%s: '%s' is not one of debug, info, notice, warning, err", k,
		           v);
	}
	case K_METRIC: {
		char why[160];
		if (config_parse_metrics(v, p, why, sizeof why) == -1)
			return bad(ps, "%s: %s", k, why);
		return true;
	}
	case K_POLICY:
		for (int i = 0; i < (int)NKEYS(policy_names); i++) {
			if (strcmp(v, policy_names[i]) == 0) {
				*(enum decide_policy_kind *)p = (enum decide_policy_kind)i;
				return true;
			}
		}
		return bad(ps, "%s: '%s' is not one of threshold, target, predictive", k, v);
	case K_PULL:
		for (int i = 0; i < (int)NKEYS(pull_names); i++) {
			if (strcmp(v, pull_names[i]) == 0) {
				*(enum pull_policy *)p = (enum pull_policy)i;
				return true;
			}
		}
		return bad(ps, "%s: '%s' is not one of missing, always, never", k, v);
	case K_STATSSRC:
		return cgroup_source_parse(v, p) == 0 ||
		    bad(ps, "%s: '%s' is not one of auto, cgroup, api", k, v);
	case K_VICTIM:
		for (int i = 0; i < (int)NKEYS(victim_names); i++) {
			if (strcmp(v, victim_names[i]) == 0) {
				*(enum victim_rule *)p = (enum victim_rule)i;
				return true;
			}
		}
		return bad(ps, "%s: '%s' is not one of least_busy, newest, oldest", k, v);
	default:
		return false;
	}
}

bool
config_set_value(struct pstate *ps, const struct keydef *kd, void *p, const char *v)
{
	switch (kd->type) {
	case K_STR:
	case K_IMAGE:
	case K_NETWORK:
	case K_CONTAINER:
	case K_ABSPATH:
	case K_SOCKET:
	case K_HTTPPATH:
	case K_CPROJECT:
	case K_CSERVICE:
	case K_UPNAME:
		return set_word(ps, kd, p, v);
	case K_LISTEN:
	case K_URL:
	case K_TOKEN:
	case K_REGAUTH:
		return set_address(ps, kd, p, v);
	case K_DUR:
	case K_INT:
	case K_DBL:
	case K_MEMORY:
	case K_BOOL:
		return set_number(ps, kd, p, v);
	case K_ARGV:
	case K_ENV:
	case K_LIST:
	case K_HOSTS:
		return set_list(ps, kd, p, v);
	case K_LOGLEVEL:
	case K_VICTIM:
	case K_METRIC:
	case K_POLICY:
	case K_PULL:
	case K_STATSSRC:
		return set_choice(ps, kd, p, v);
	case K_SCHEDULE:
	case K_TZ:
		return config_schedule_set_value(ps, kd, p, v);
	default:
		if (kd->type >= K_NURL)
			return config_notify_set_value(ps, kd, p, v);
		if (kd->type >= K_BALANCER)
			return config_kinds_set_value(ps, kd, p, v);
		if (kd->type == K_READINESS || kd->type == K_SLEEP)
			return config_ready_set_value(ps, kd, p, v);
		return kd->type >= K_WAKELISTEN ? config_lb_set_value(ps, kd, p, v)
		                                : config_ctr_set_value(ps, kd, p, v);
	}
}

const struct keydef *
config_keys(enum section sec, size_t *n)
{
	const struct config_kind *k;

	if (sec == SEC_NOTIFY)
		return config_notify_keys(n);
	if (sec >= SEC_DAEMON && sec <= SEC_SERVICE) {
		*n = sections[sec - SEC_DAEMON].n;
		return sections[sec - SEC_DAEMON].keys;
	}
	k = sec >= SEC_KIND ? config_kind_at(sec - SEC_KIND) : NULL;
	*n = k != NULL ? k->nkeys : 0;
	return k != NULL ? k->keys : NULL;
}

/* ---- the keys about a replica's readiness (doc/readiness.md) and its sleep at zero
 * (doc/waking.md): a third table beside svc_keys and config_ctr.c's, searched by
 * config_key_find -------------------------------------------------------------------- */


static const struct keydef ready_keys[] = {
	KEY("readiness", K_READINESS, S(readiness), 0, 0, 0),
	KEY("sleep", K_SLEEP, S(sleep), 0, 0, 0),
};
/* clang-format on */
_Static_assert(sizeof(ready_keys) / sizeof(ready_keys[0]) <= READY_KEYS_MAX,
    "READY_KEYS_MAX too small");

const struct keydef *
config_ready_keys(size_t *n)
{
	*n = NKEYS(ready_keys);
	return ready_keys;
}

bool
config_ready_set_value(struct pstate *ps, const struct keydef *kd, void *p, const char *v)
{
	int m;

	if (kd->type == K_SLEEP) {
		if (strcmp(v, "stop") == 0 || strcmp(v, "pause") == 0) {
			*(enum sleep_mode *)p = v[0] == 'p' ? SLEEP_PAUSE : SLEEP_STOP;
			return true;
		}
		config_perr(ps, ps->line, "%s: '%s' is not one of stop, pause", kd->name, v);
		return false;
	}
	if (kd->type != K_READINESS)
		return false;
	if ((m = readiness_mode_parse(v)) < 0) {
		config_perr(ps, ps->line, "%s: '%s' is not one of auto, probe, health, both",
		    kd->name, v);
		return false;
	}
	*(enum readiness_mode *)p = (enum readiness_mode)m;
	return true;
}

void
config_sleep_check(struct pstate *ps, const struct svc_conf *s)
{
	const struct config_kind *rt = config_kind_find(CONFIG_RUNTIME, s->runtime);
	int l = config_key_line(ps, "sleep", false);

	if (l == 0 || s->sleep != SLEEP_PAUSE)
		return;
	/* Paused containers are the containers runtime's own records; another runtime
	 * (Swarm) defines and runs its replicas itself. */
	if (rt != NULL && rt->foreign) {
		config_perr(ps, l, "service %s: sleep = pause needs replicas of the daemon's "
		    "own (runtime = %s has none to pause)", s->name, s->runtime);
		return;
	}
	/* Every route to a count (policy, alert, API, idle timer) is held at min_replicas:
	 * such a service never reaches zero, so nothing is ever paused. */
	if (s->dp.min_replicas > 0)
		config_pwarn(ps, l, "service %s: sleep = pause has no effect with min_replicas = "
		    "%d%s: the service never goes to zero", s->name, s->dp.min_replicas,
		    config_key_line(ps, "min_replicas", true) != 0 ? "" : " (the default)");
}
