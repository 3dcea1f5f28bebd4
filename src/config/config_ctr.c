/* config_ctr.c: the container-definition keys of [service] (dockscale.conf(5);
 * doc/definition.md, "Coming from docker-compose"): their table, values and checks. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "config_int.h"
#include "docker.h"

#define HOSTNAME_MAX 64            /* the kernel's HOST_NAME_MAX */
#define RETRIES_MAX 10000
#define RESERVED_LABEL "io.dockscale."

/* clang-format off */
#define KEY(n, t, o, lo, hi, f) { n, o, lo, hi, t, (f) | F_CTR }
#define S(f) offsetof(struct svc_conf, ctr.f)
#define R F_REPEAT
#define INF INFINITY

static const struct keydef ctr_keys[] = {
	KEY("volume", K_VOLUME, S(volumes), 0, 0, R),
	KEY("tmpfs", K_TMPFS, S(tmpfs), 0, 0, R),
	KEY("label", K_LABEL, S(labels), 0, 0, R),
	KEY("env_file", K_ENVFILE, S(env_files), 0, PATH_MAX - 1, R),
	KEY("user", K_USER, S(user), 0, 0, 0),
	KEY("working_dir", K_CTRPATH, S(working_dir), 0, PATH_MAX - 1, 0),
	KEY("entrypoint", K_ARGV, S(entrypoint), 0, 0, 0),
	KEY("hostname", K_HOSTNAME, S(hostname), 0, HOSTNAME_MAX, 0),
	KEY("read_only", K_BOOL, S(read_only), 0, 0, 0),
	KEY("cap_add", K_CAPS, S(cap_add), 0, 0, R),
	KEY("cap_drop", K_CAPS, S(cap_drop), 0, 0, R),
	KEY("security_opt", K_SECOPT, S(security_opt), 0, 0, R),
	KEY("no_new_privileges", K_BOOL, S(no_new_privileges), 0, 0, 0),
	KEY("pids_limit", K_INT, S(pids_limit), 0, INT_MAX, 0),
	KEY("shm_size", K_SIZE, S(shm_size), 0, 0, 0),
	KEY("ulimit", K_ULIMIT, S(ulimits), 0, 0, R),
	KEY("extra_host", K_EXTRAHOST, S(extra_hosts), 0, 0, R),
	KEY("dns", K_DNS, S(dns), 0, 0, R),
	KEY("dns_search", K_DOMAIN, S(dns_search), 0, 253, R),
	KEY("dns_opt", K_WORD, S(dns_opts), 0, 0, R),
	KEY("domainname", K_HOSTNAME, S(domainname), 0, 253, 0),
	KEY("sysctl", K_SYSCTL, S(sysctls), 0, 0, R),
	KEY("group_add", K_GROUP, S(group_add), 0, 0, R),
	KEY("oom_score_adj", K_INT, S(oom_score_adj), -1000, 1000, 0),
	KEY("log_driver", K_NAME, S(log_driver), 0, 64, 0),
	KEY("log_opt", K_KV, S(log_opts), 0, 0, R),
	KEY("stop_signal", K_SIGNAL, S(stop_signal), 0, 0, 0),
	KEY("restart", K_RESTART, S(restart_on_failure), 0, 0, 0),
	KEY("healthcheck", K_HEALTHCHECK, S(healthcheck), 0, 0, 0),
	KEY("healthcheck_interval", K_DUR, S(hc_interval_ms), 0, INF, F_OPEN_LO),
	KEY("healthcheck_timeout", K_DUR, S(hc_timeout_ms), 0, INF, F_OPEN_LO),
	KEY("healthcheck_start_period", K_DUR, S(hc_start_period_ms), 0, INF, F_OPEN_LO),
	KEY("healthcheck_retries", K_INT, S(hc_retries), 1, RETRIES_MAX, 0),
	KEY("networks", K_NETLIST, S(networks), 0, DOCKER_NETWORK_MAX, R),
};
_Static_assert(NKEYS(ctr_keys) <= CTR_KEYS_MAX, "CTR_KEYS_MAX too small");

/* clang-format on */

__attribute__((format(printf, 2, 3))) bool
config_ctr_bad(struct pstate *ps, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	config_vperr(ps, ps->line, fmt, ap);
	va_end(ap);
	return false;
}

bool
config_ctr_push(struct pstate *ps, struct strv *sv, const char *v)
{
	ps->oom |= strv_push(sv, v) < 0;
	return !ps->oom;
}

bool
config_ctr_set_str(struct pstate *ps, char **dst, const char *v)
{
	char *copy = strdup(v);

	if (copy == NULL) {
		ps->oom = true;
		return false;
	}
	free(*dst);
	*dst = copy;
	return true;
}

/* Non-empty, and no whitespace or control character. */
bool
config_ctr_word(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return false;
	return true;
}

int
config_ctr_find_name(const char *const *names, size_t n, const char *s, bool nocase)
{
	for (size_t i = 0; i < n; i++)
		if ((nocase ? strcasecmp(names[i], s) : strcmp(names[i], s)) == 0)
			return (int)i;
	return -1;
}

/* The index of the entry of sv whose text up to sep equals key's (keylen bytes). */
int
config_ctr_find_key(const struct strv *sv, const char *key, size_t keylen, char sep)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strncmp(sv->v[i], key, keylen) == 0 && sv->v[i][keylen] == sep)
			return (int)i;
	return -1;
}

/* An absolute path without ':' (Docker's separator in Binds and Tmpfs) or controls. */
static bool
ctr_path(const char *s)
{
	if (s[0] != '/' || strchr(s, ':') != NULL || strlen(s) >= PATH_MAX)
		return false;
	for (; *s; s++)
		if (iscntrl((unsigned char)*s))
			return false;
	return true;
}

/* A host name: letters, digits, '-' and '.', neither first nor last. */
static bool
host_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n > 0 && n <= max && config_valid_chars(s, "-.") && s[0] != '-' &&
	    s[0] != '.' && s[n - 1] != '-' && s[n - 1] != '.';
}

static bool
ip_addr(const char *s)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, s, &a4) == 1 || inet_pton(AF_INET6, s, &a6) == 1;
}

/* Docker's volume names: [A-Za-z0-9][A-Za-z0-9_.-]+. */
static bool
volume_name(const char *s)
{
	return strlen(s) >= 2 && isalnum((unsigned char)s[0]) && config_valid_chars(s, "_.-");
}

static bool
set_volume(struct pstate *ps, const char *k, struct strv *sv, const char *v)
{
	char buf[2 * PATH_MAX], *dst, *mode;

	if (strlen(v) >= sizeof(buf))
		return config_ctr_bad(ps, "%s: %zu bytes long, at most %zu", k, strlen(v), sizeof(buf) - 1);
	memcpy(buf, v, strlen(v) + 1);
	if ((dst = strchr(buf, ':')) == NULL)
		return config_ctr_bad(ps, "%s: '%s' is not SRC:DST[:ro|rw]", k, v);
	*dst++ = '\0';
	if ((mode = strchr(dst, ':')) != NULL)
		*mode++ = '\0';
	if (buf[0] == '/' ? !ctr_path(buf) : !volume_name(buf))
		return config_ctr_bad(ps, "%s: '%s' is neither an absolute host path nor a volume name "
		    "([A-Za-z0-9][A-Za-z0-9_.-]+)", k, buf);
	if (!ctr_path(dst) || strcmp(dst, "/") == 0)
		return config_ctr_bad(ps, "%s: '%s' is not an absolute path in the container", k, dst);
	if (mode != NULL && strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
		return config_ctr_bad(ps, "%s: mode '%s' is not ro or rw", k, mode);
	return config_ctr_push(ps, sv, v);
}

static bool
set_tmpfs(struct pstate *ps, const char *k, struct strv *sv, const char *v)
{
	const char *opt = strchr(v, ':');
	char path[PATH_MAX], out[PATH_MAX + 32];
	size_t pl = opt != NULL ? (size_t)(opt - v) : strlen(v);
	int64_t size = 0;

	if (pl >= sizeof(path))
		return config_ctr_bad(ps, "%s: path longer than %zu bytes", k, sizeof(path) - 1);
	memcpy(path, v, pl);
	path[pl] = '\0';
	if (!ctr_path(path) || strcmp(path, "/") == 0)
		return config_ctr_bad(ps, "%s: '%s' is not an absolute path in the container", k, path);
	if (opt != NULL && (strncmp(opt + 1, "size=", 5) != 0 ||
	    config_parse_size(opt + 6, &size) < 0 || size <= 0))
		return config_ctr_bad(ps, "%s: '%s' is not size=N (a size above 0, e.g. 64M)", k, opt + 1);
	/* Bytes: the Engine parses the option itself, our units need not match its own. */
	if (size > 0)
		snprintf(out, sizeof(out), "%s:size=%lld", path, (long long)size);
	else
		snprintf(out, sizeof(out), "%s", path);
	return config_ctr_push(ps, sv, out);
}

/* KEY=VALUE into sv; KEY one word of [A-Za-z0-9_.-/] or any word (labels), once. */
static bool
set_kv(struct pstate *ps, const struct keydef *kd, struct strv *sv, const char *v)
{
	const char *eq = strchr(v, '=');
	size_t kl = eq != NULL ? (size_t)(eq - v) : 0;
	char key[256];

	if (kl == 0 || kl >= sizeof(key))
		return config_ctr_bad(ps, "%s: '%s' is not KEY=VALUE", kd->name, v);
	memcpy(key, v, kl);
	key[kl] = '\0';
	if (kd->type == K_LABEL ? !config_ctr_word(key) : !config_valid_chars(key, "_.-/"))
		return config_ctr_bad(ps, "%s: '%s' is not a valid key", kd->name, key);
	if (kd->type == K_LABEL && strncasecmp(key, RESERVED_LABEL, strlen(RESERVED_LABEL)) == 0)
		return config_ctr_bad(ps, "%s: %s: keys under %s are dockscale's own", kd->name, key,
		    RESERVED_LABEL);
	for (const char *c = eq + 1; *c; c++)
		if (iscntrl((unsigned char)*c))
			return config_ctr_bad(ps, "%s: %s: control character in the value", kd->name, key);
	if (config_ctr_find_key(sv, key, kl, '=') >= 0)
		return config_ctr_bad(ps, "%s: %s is set twice", kd->name, key);
	return config_ctr_push(ps, sv, v);
}

static bool
set_extra_host(struct pstate *ps, const char *k, struct strv *sv, const char *v)
{
	const char *colon = strchr(v, ':');
	char name[256];
	size_t nl = colon != NULL ? (size_t)(colon - v) : 0;

	if (nl == 0 || nl >= sizeof(name))
		return config_ctr_bad(ps, "%s: '%s' is not NAME:IP", k, v);
	memcpy(name, v, nl);
	name[nl] = '\0';
	if (!host_name(name, 253))
		return config_ctr_bad(ps, "%s: '%s' is not a host name", k, name);
	if (!ip_addr(colon + 1) && strcmp(colon + 1, "host-gateway") != 0)
		return config_ctr_bad(ps, "%s: '%s' is not an IP address (or host-gateway)", k, colon + 1);
	return config_ctr_push(ps, sv, v);
}

/* no | on-failure | on-failure:N. Docker's always/unless-stopped would restart replicas
 * behind dockscale's back (doc/definition.md, "Restart policy"). */
static bool
set_restart(struct pstate *ps, const char *k, struct ctr_conf *c, const char *v)
{
	char *end;
	long n = 0;

	if (strcmp(v, "no") == 0) {
		c->restart_on_failure = false;
		c->restart_max = 0;
		return true;
	}
	if (strcmp(v, "always") == 0 || strcmp(v, "unless-stopped") == 0)
		return config_ctr_bad(ps, "%s: %s would fight dockscale, which replaces dead replicas "
		    "itself; use no or on-failure[:N]", k, v);
	if (strncmp(v, "on-failure", 10) != 0 || (v[10] != '\0' && v[10] != ':'))
		return config_ctr_bad(ps, "%s: '%s' is not no or on-failure[:N]", k, v);
	if (v[10] == ':') {
		errno = 0;
		n = strtol(v + 11, &end, 10);
		if (!isdigit((unsigned char)v[11]) || *end != '\0' || errno || n < 1 ||
		    n > RETRIES_MAX)
			return config_ctr_bad(ps, "%s: on-failure:N needs N in 1..%d", k, RETRIES_MAX);
	}
	c->restart_on_failure = true;
	c->restart_max = (int)n;
	return true;
}

/* CMD ARGS... | CMD-SHELL COMMAND | none, into the Engine's Healthcheck.Test. */
static bool
set_healthcheck(struct pstate *ps, const char *k, struct strv *sv, const char *v)
{
	struct strv test = { 0 }, args = { 0 };
	size_t wl = strcspn(v, " \t");
	const char *rest = v + wl + strspn(v + wl, " \t");
	bool ok = false;

	if (strcasecmp(v, "none") == 0) {
		ok = config_ctr_push(ps, &test, "NONE");
	} else if (wl == 9 && strncmp(v, "CMD-SHELL", 9) == 0) {
		if (*rest == '\0')
			return config_ctr_bad(ps, "%s: CMD-SHELL needs a command", k);
		ok = config_ctr_push(ps, &test, "CMD-SHELL") && config_ctr_push(ps, &test, rest);
	} else if (wl == 3 && strncmp(v, "CMD", 3) == 0) {
		if (config_split_argv(rest, &args) < 0) {
			ps->oom |= errno == ENOMEM;
			return errno == ENOMEM ? false : config_ctr_bad(ps, "%s: unterminated double quote", k);
		}
		if (args.n == 0) {
			strv_free(&args);
			return config_ctr_bad(ps, "%s: CMD needs a program", k);
		}
		ok = config_ctr_push(ps, &test, "CMD");
		for (size_t i = 0; ok && i < args.n; i++)
			ok = config_ctr_push(ps, &test, args.v[i]);
		strv_free(&args);
	} else {
		return config_ctr_bad(ps, "%s: '%s' is not CMD ARGS..., CMD-SHELL COMMAND or none", k, v);
	}
	if (!ok) {
		strv_free(&test);
		return false;
	}
	strv_free(sv);
	*sv = test;
	return true;
}

static bool
set_netlist(struct pstate *ps, const struct keydef *kd, struct strv *sv, const char *v)
{
	char *copy = strdup(v), *save = NULL;
	bool ok = copy != NULL;

	ps->oom |= copy == NULL;
	for (char *t = copy != NULL ? strtok_r(copy, ", \t", &save) : NULL; t != NULL && ok;
	     t = strtok_r(NULL, ", \t", &save)) {
		if (!isalnum((unsigned char)t[0]) || !config_valid_chars(t, "_.-") ||
		    strlen(t) > (size_t)kd->hi)
			ok = config_ctr_bad(ps, "%s: '%s' is not a Docker network name "
			    "([A-Za-z0-9][A-Za-z0-9_.-]*, at most %.0f bytes)", kd->name, t, kd->hi);
		else if (config_ctr_find_name((const char *const *)sv->v, sv->n, t, false) >= 0)
			ok = config_ctr_bad(ps, "%s: %s is listed twice", kd->name, t);
		else
			ok = config_ctr_push(ps, sv, t);
	}
	free(copy);
	return ok && copy != NULL;
}

bool
config_ctr_set_value(struct pstate *ps, const struct keydef *kd, void *p, const char *v)
{
	const char *k = kd->name;
	int64_t b;

	switch (kd->type) {
	case K_VOLUME:
		return set_volume(ps, k, p, v);
	case K_TMPFS:
		return set_tmpfs(ps, k, p, v);
	case K_LABEL:
	case K_KV:
		return set_kv(ps, kd, p, v);
	case K_ENVFILE:
		return config_ctr_env_file(ps, kd, p, v);
	case K_USER:
		if (!config_ctr_user_ok(v))
			return config_ctr_bad(ps, "%s: '%s' is not USER[:GROUP] (names or ids)", k, v);
		return config_ctr_set_str(ps, p, v);
	case K_CTRPATH:
		if (!ctr_path(v))
			return config_ctr_bad(ps, "%s: '%s' is not an absolute path", k, v);
		return config_ctr_set_str(ps, p, v);
	case K_HOSTNAME:
		if (!host_name(v, (size_t)kd->hi))
			return config_ctr_bad(ps, "%s: '%s' is not a host name (letters, digits, "
			    "'-', '.'; at most %.0f)", k, v, kd->hi);
		return config_ctr_set_str(ps, p, v);
	case K_CAPS:
		return config_ctr_caps(ps, k, p, v);
	case K_SECOPT:
		return config_ctr_secopt(ps, k, p, v);
	case K_ULIMIT:
		return config_ctr_ulimit(ps, k, p, v);
	case K_EXTRAHOST:
		return set_extra_host(ps, k, p, v);
	case K_DNS:
		if (!ip_addr(v))
			return config_ctr_bad(ps, "%s: '%s' is not an IP address", k, v);
		return config_ctr_push(ps, p, v);
	case K_DOMAIN:
		if (!host_name(v, (size_t)kd->hi))
			return config_ctr_bad(ps, "%s: '%s' is not a domain name", k, v);
		return config_ctr_push(ps, p, v);
	case K_WORD:
		if (!config_ctr_word(v))
			return config_ctr_bad(ps, "%s: '%s' must be one word", k, v);
		return config_ctr_push(ps, p, v);
	case K_GROUP:
		if (!config_valid_chars(v, "_.-"))
			return config_ctr_bad(ps, "%s: '%s' is not a group name or id", k, v);
		return config_ctr_push(ps, p, v);
	case K_SYSCTL:
		/* Docker refuses the others: they are not namespaced, the host would change. */
		if (strncmp(v, "net.", 4) != 0 && strncmp(v, "kernel.shm", 10) != 0 &&
		    strncmp(v, "kernel.msg", 10) != 0 && strncmp(v, "kernel.sem=", 11) != 0 &&
		    strncmp(v, "fs.mqueue.", 10) != 0)
			return config_ctr_bad(ps, "%s: '%s' is not a namespaced sysctl (net.*, "
			    "kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*)", k, v);
		return set_kv(ps, kd, p, v);
	case K_NAME:
		if (!isalnum((unsigned char)v[0]) || !config_valid_chars(v, "_.-/:") ||
		    strlen(v) > (size_t)kd->hi)
			return config_ctr_bad(ps, "%s: '%s' is not a driver name", k, v);
		return config_ctr_set_str(ps, p, v);
	case K_SIGNAL:
		return config_ctr_signal(ps, k, p, v);
	case K_RESTART:
		return set_restart(ps, k, (struct ctr_conf *)((char *)p -
		    offsetof(struct ctr_conf, restart_on_failure)), v);
	case K_HEALTHCHECK:
		return set_healthcheck(ps, k, p, v);
	case K_NETLIST:
		return set_netlist(ps, kd, p, v);
	case K_SIZE:
		if (config_parse_size(v, &b) < 0)
			return config_ctr_bad(ps, "%s: '%s' is not a size (e.g. 64M, 1G; 0 = Docker's default)",
			    k, v);
		*(int64_t *)p = b;
		return true;
	default:
		return false;
	}
}

const struct keydef *
config_ctr_keys(size_t *n)
{
	*n = NKEYS(ctr_keys);
	return ctr_keys;
}

/* The container path of a volume (SRC:DST[:MODE]) or tmpfs (PATH[:OPTS]) entry. */
static size_t
mount_dst(const char *e, bool volume, const char **dst)
{
	*dst = volume ? strchr(e, ':') + 1 : e;
	return strcspn(*dst, ":");
}

void
config_ctr_check(struct pstate *ps, const struct svc_conf *s)
{
	const struct ctr_conf *c = &s->ctr;
	size_t nm = c->volumes.n + c->tmpfs.n;
	int l = s->line;

	if (c->healthcheck.n == 1 && strcmp(c->healthcheck.v[0], "NONE") == 0 &&
	    (c->hc_interval_ms || c->hc_timeout_ms || c->hc_start_period_ms || c->hc_retries))
		config_perr(ps, l, "service %s: healthcheck = none takes no healthcheck_* keys",
		    s->name);
	for (size_t i = 0; s->network != NULL && i < c->networks.n; i++)
		if (strcmp(c->networks.v[i], s->network) == 0)
			config_perr(ps, l, "service %s: networks lists %s, which is already the "
			    "network", s->name, s->network);
	/* Docker refuses a create with two mounts on one path: say it now. */
	for (size_t i = 0; i < nm; i++) {
		const char *a, *b;
		size_t al = mount_dst(i < c->volumes.n ? c->volumes.v[i] :
		    c->tmpfs.v[i - c->volumes.n], i < c->volumes.n, &a);

		for (size_t j = i + 1; j < nm; j++) {
			size_t bl = mount_dst(j < c->volumes.n ? c->volumes.v[j] :
			    c->tmpfs.v[j - c->volumes.n], j < c->volumes.n, &b);
			if (al == bl && strncmp(a, b, al) == 0) {
				config_perr(ps, l, "service %s: two mounts on %.*s", s->name,
				    (int)al, a);
				break;
			}
		}
	}
}

void
config_ctr_free(struct ctr_conf *c)
{
	struct strv *vs[] = { &c->volumes, &c->tmpfs, &c->labels, &c->env_files, &c->file_env,
		&c->entrypoint, &c->cap_add, &c->cap_drop, &c->security_opt, &c->ulimits,
		&c->extra_hosts, &c->dns, &c->dns_search, &c->dns_opts, &c->sysctls, &c->group_add,
		&c->log_opts, &c->healthcheck, &c->networks };

	for (size_t i = 0; i < NKEYS(vs); i++)
		strv_free(vs[i]);
	free(c->user);
	free(c->working_dir);
	free(c->hostname);
	free(c->domainname);
	free(c->log_driver);
	free(c->stop_signal);
	memset(c, 0, sizeof(*c));
}
