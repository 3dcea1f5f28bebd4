/* config_ctr.c: the container-definition keys of [service] (README.md "Configuration",
 * "Coming from docker-compose"): their table, values and checks. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "config_int.h"
#include "ctrdef.h"
#include "docker.h"

#define ENV_FILE_MAX (1024 * 1024) /* bytes of one env file */
#define HOSTNAME_MAX 64            /* the kernel's HOST_NAME_MAX */
#define RETRIES_MAX 10000
#define USER_MAX 256
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
	KEY("user", K_USER, S(user), 0, USER_MAX, 0),
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

/* Linux capabilities Docker 20.10 knows, without CAP_ (README "Configuration"). */
static const char *const cap_names[] = {
	"ALL", "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF",
	"CHECKPOINT_RESTORE", "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID",
	"IPC_LOCK", "IPC_OWNER", "KILL", "LEASE", "LINUX_IMMUTABLE", "MAC_ADMIN",
	"MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW",
	"PERFMON", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_ADMIN", "SYS_BOOT",
	"SYS_CHROOT", "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO",
	"SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "SYSLOG", "WAKE_ALARM",
};
static const char *const ulimit_names[] = {
	"core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile",
	"nproc", "rss", "rtprio", "rttime", "sigpending", "stack",
};
static const char *const signal_names[] = {
	"HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV",
	"USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN",
	"TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
};
static const char *const secopt_keys[] = {
	"no-new-privileges", "seccomp", "apparmor", "label", "systempaths",
};
/* clang-format on */

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
push(struct pstate *ps, struct strv *sv, const char *v)
{
	ps->oom |= strv_push(sv, v) < 0;
	return !ps->oom;
}

static bool
set_str(struct pstate *ps, char **dst, const char *v)
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
static bool
one_word(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return false;
	return true;
}

static int
find_name(const char *const *names, size_t n, const char *s, bool nocase)
{
	for (size_t i = 0; i < n; i++)
		if ((nocase ? strcasecmp(names[i], s) : strcmp(names[i], s)) == 0)
			return (int)i;
	return -1;
}

/* The index of the entry of sv whose text up to sep equals key's (keylen bytes). */
static int
find_key(const struct strv *sv, const char *key, size_t keylen, char sep)
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
		return bad(ps, "%s: %zu bytes long, at most %zu", k, strlen(v), sizeof(buf) - 1);
	memcpy(buf, v, strlen(v) + 1);
	if ((dst = strchr(buf, ':')) == NULL)
		return bad(ps, "%s: '%s' is not SRC:DST[:ro|rw]", k, v);
	*dst++ = '\0';
	if ((mode = strchr(dst, ':')) != NULL)
		*mode++ = '\0';
	if (buf[0] == '/' ? !ctr_path(buf) : !volume_name(buf))
		return bad(ps, "%s: '%s' is neither an absolute host path nor a volume name "
		    "([A-Za-z0-9][A-Za-z0-9_.-]+)", k, buf);
	if (!ctr_path(dst) || strcmp(dst, "/") == 0)
		return bad(ps, "%s: '%s' is not an absolute path in the container", k, dst);
	if (mode != NULL && strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
		return bad(ps, "%s: mode '%s' is not ro or rw", k, mode);
	return push(ps, sv, v);
}

static bool
set_tmpfs(struct pstate *ps, const char *k, struct strv *sv, const char *v)
{
	const char *opt = strchr(v, ':');
	char path[PATH_MAX], out[PATH_MAX + 32];
	size_t pl = opt != NULL ? (size_t)(opt - v) : strlen(v);
	int64_t size = 0;

	if (pl >= sizeof(path))
		return bad(ps, "%s: path longer than %zu bytes", k, sizeof(path) - 1);
	memcpy(path, v, pl);
	path[pl] = '\0';
	if (!ctr_path(path) || strcmp(path, "/") == 0)
		return bad(ps, "%s: '%s' is not an absolute path in the container", k, path);
	if (opt != NULL && (strncmp(opt + 1, "size=", 5) != 0 ||
	    config_parse_size(opt + 6, &size) < 0 || size <= 0))
		return bad(ps, "%s: '%s' is not size=N (a size above 0, e.g. 64M)", k, opt + 1);
	/* Bytes: the Engine parses the option itself, our units need not match its own. */
	if (size > 0)
		snprintf(out, sizeof(out), "%s:size=%lld", path, (long long)size);
	else
		snprintf(out, sizeof(out), "%s", path);
	return push(ps, sv, out);
}

/* KEY=VALUE into sv; KEY one word of [A-Za-z0-9_.-/] or any word (labels), once. */
static bool
set_kv(struct pstate *ps, const struct keydef *kd, struct strv *sv, const char *v)
{
	const char *eq = strchr(v, '=');
	size_t kl = eq != NULL ? (size_t)(eq - v) : 0;
	char key[256];

	if (kl == 0 || kl >= sizeof(key))
		return bad(ps, "%s: '%s' is not KEY=VALUE", kd->name, v);
	memcpy(key, v, kl);
	key[kl] = '\0';
	if (kd->type == K_LABEL ? !one_word(key) : !config_valid_chars(key, "_.-/"))
		return bad(ps, "%s: '%s' is not a valid key", kd->name, key);
	if (kd->type == K_LABEL && strncasecmp(key, RESERVED_LABEL, strlen(RESERVED_LABEL)) == 0)
		return bad(ps, "%s: %s: keys under %s are dockscale's own", kd->name, key,
		    RESERVED_LABEL);
	for (const char *c = eq + 1; *c; c++)
		if (iscntrl((unsigned char)*c))
			return bad(ps, "%s: %s: control character in the value", kd->name, key);
	if (find_key(sv, key, kl, '=') >= 0)
		return bad(ps, "%s: %s is set twice", kd->name, key);
	return push(ps, sv, v);
}

/* One line of an env file: KEY=VALUE, taken literally (no quotes, no expansion). */
static bool
env_line(struct pstate *ps, const char *path, int ln, struct strv *env, char *s)
{
	char *eq = strchr(s, '=');
	size_t kl = eq != NULL ? (size_t)(eq - s) : 0;
	int i;

	for (char *c = s; *c; c++)
		if (iscntrl((unsigned char)*c) && *c != '\t')
			return bad(ps, "env_file %s:%d: control character", path, ln);
	if (kl == 0 || strcspn(s, " \t") < kl)
		/* the value may be a secret: never echoed */
		return bad(ps, "env_file %s:%d: not NAME=value", path, ln);
	if ((i = find_key(env, s, kl, '=')) >= 0) {
		/* a later line (or file) wins, as in docker-compose */
		char *copy = strdup(s);

		if (copy == NULL) {
			ps->oom = true;
			return false;
		}
		free(env->v[i]);
		env->v[i] = copy;
		return true;
	}
	return push(ps, env, s);
}

/* Read an env file now (at load, and so at every reload). */
static bool
read_env_file(struct pstate *ps, struct strv *env, const char *path)
{
	FILE *fp = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, total = 0;
	ssize_t len;
	int ln = 0;
	bool ok = true;

	if (fp == NULL)
		return bad(ps, "env_file %s: %s", path, strerror(errno));
	while ((len = getline(&line, &cap, fp)) >= 0) {
		char *s = line;

		ln++;
		total += (size_t)len;
		if (total > ENV_FILE_MAX) {
			ok = bad(ps, "env_file %s: longer than %d bytes", path, ENV_FILE_MAX);
			break;
		}
		if (strlen(line) != (size_t)len) {
			ok = bad(ps, "env_file %s:%d: NUL byte", path, ln);
			continue;
		}
		while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
			s[--len] = '\0';
		s += strspn(s, " \t");
		if (*s == '\0' || *s == '#')
			continue;
		if (!env_line(ps, path, ln, env, s))
			ok = false;
	}
	if (ferror(fp))
		ok = bad(ps, "env_file %s: %s", path, strerror(errno));
	free(line);
	fclose(fp);
	return ok;
}

static bool
set_env_file(struct pstate *ps, const struct keydef *kd, struct strv *files, const char *v)
{
	struct ctr_conf *c = (struct ctr_conf *)((char *)files - offsetof(struct ctr_conf,
	    env_files));

	if (v[0] != '/' || !one_word(v))
		return bad(ps, "%s: '%s' is not an absolute path", kd->name, v);
	if (strlen(v) > (size_t)kd->hi)
		return bad(ps, "%s: path longer than %.0f bytes", kd->name, kd->hi);
	return read_env_file(ps, &c->file_env, v) && push(ps, files, v);
}

/* NAME[:GROUP], each a user/group name or id. */
static bool
user_ok(const char *v)
{
	const char *colon = strchr(v, ':');
	char name[USER_MAX + 1];
	size_t n = colon != NULL ? (size_t)(colon - v) : strlen(v);

	if (n == 0 || n > USER_MAX)
		return false;
	memcpy(name, v, n);
	name[n] = '\0';
	return config_valid_chars(name, "_.-") &&
	    (colon == NULL || config_valid_chars(colon + 1, "_.-"));
}

/* A list of capabilities (comma or space separated), upper-cased, CAP_ dropped. */
static bool
set_caps(struct pstate *ps, const char *k, struct strv *sv, const char *v)
{
	char *copy = strdup(v), *save = NULL;
	bool ok = copy != NULL;

	ps->oom |= copy == NULL;
	for (char *t = copy != NULL ? strtok_r(copy, ", \t", &save) : NULL; t != NULL && ok;
	     t = strtok_r(NULL, ", \t", &save)) {
		for (char *c = t; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		if (strncmp(t, "CAP_", 4) == 0)
			t += 4;
		if (find_name(cap_names, NKEYS(cap_names), t, false) < 0)
			ok = bad(ps, "%s: '%s' is not a Linux capability (e.g. NET_ADMIN, ALL)",
			    k, t);
		else if (find_name((const char *const *)sv->v, sv->n, t, false) >= 0)
			ok = bad(ps, "%s: %s is listed twice", k, t);
		else
			ok = push(ps, sv, t);
	}
	free(copy);
	return ok && copy != NULL;
}

static bool
set_secopt(struct pstate *ps, const char *k, struct strv *sv, const char *v)
{
	size_t kl = strcspn(v, "=:");
	char key[32];

	if (!one_word(v) || kl >= sizeof(key))
		return bad(ps, "%s: '%s' is not KEY=VALUE or no-new-privileges", k, v);
	memcpy(key, v, kl);
	key[kl] = '\0';
	if (find_name(secopt_keys, NKEYS(secopt_keys), key, false) < 0)
		return bad(ps, "%s: '%s' is not one of no-new-privileges, seccomp, apparmor, "
		    "label, systempaths", k, key);
	/* The CLI reads a seccomp profile from a file and sends its JSON: not ours to do. */
	if (strcmp(key, "seccomp") == 0 && strcmp(v + kl, "=unconfined") != 0 &&
	    strcmp(v + kl, ":unconfined") != 0)
		return bad(ps, "%s: only seccomp=unconfined (a profile file is the CLI's job)", k);
	if (v[kl] == '\0' && strcmp(key, "no-new-privileges") != 0)
		return bad(ps, "%s: %s needs a value (%s=...)", k, key, key);
	return push(ps, sv, v);
}

/* -1 (unlimited) or a non-negative integer. */
static bool
limit_num(const char *s, long long *out)
{
	char *end;

	if (strcmp(s, "-1") != 0 && !isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0';
}

static bool
set_ulimit(struct pstate *ps, const char *k, struct strv *sv, const char *v)
{
	const char *eq = strchr(v, '=');
	char name[16], nums[64], out[128], *colon;
	long long soft, hard;
	size_t nl = eq != NULL ? (size_t)(eq - v) : 0;

	if (nl == 0 || nl >= sizeof(name) || strlen(eq + 1) >= sizeof(nums))
		return bad(ps, "%s: '%s' is not NAME=SOFT[:HARD]", k, v);
	memcpy(name, v, nl);
	name[nl] = '\0';
	if (find_name(ulimit_names, NKEYS(ulimit_names), name, false) < 0)
		return bad(ps, "%s: '%s' is not a ulimit (e.g. nofile, nproc, core)", k, name);
	memcpy(nums, eq + 1, strlen(eq + 1) + 1);
	if ((colon = strchr(nums, ':')) != NULL)
		*colon++ = '\0';
	if (!limit_num(nums, &soft) || !limit_num(colon != NULL ? colon : nums, &hard))
		return bad(ps, "%s: %s: limits are integers (-1 = unlimited)", k, name);
	if (hard != -1 && (soft == -1 || soft > hard))
		return bad(ps, "%s: %s: soft limit above the hard limit", k, name);
	if (find_key(sv, name, nl, '=') >= 0)
		return bad(ps, "%s: %s is set twice", k, name);
	snprintf(out, sizeof(out), "%s=%lld:%lld", name, soft, hard);
	return push(ps, sv, out);
}

static bool
set_extra_host(struct pstate *ps, const char *k, struct strv *sv, const char *v)
{
	const char *colon = strchr(v, ':');
	char name[256];
	size_t nl = colon != NULL ? (size_t)(colon - v) : 0;

	if (nl == 0 || nl >= sizeof(name))
		return bad(ps, "%s: '%s' is not NAME:IP", k, v);
	memcpy(name, v, nl);
	name[nl] = '\0';
	if (!host_name(name, 253))
		return bad(ps, "%s: '%s' is not a host name", k, name);
	if (!ip_addr(colon + 1) && strcmp(colon + 1, "host-gateway") != 0)
		return bad(ps, "%s: '%s' is not an IP address (or host-gateway)", k, colon + 1);
	return push(ps, sv, v);
}

static bool
set_signal(struct pstate *ps, const char *k, char **dst, const char *v)
{
	const char *n = strncasecmp(v, "SIG", 3) == 0 ? v + 3 : v;
	char out[16];
	char *end;
	int i;

	if (isdigit((unsigned char)v[0])) {
		long x = strtol(v, &end, 10);
		if (*end != '\0' || x < 1 || x > 64)
			return bad(ps, "%s: '%s' is not a signal number in 1..64", k, v);
		return set_str(ps, dst, v);
	}
	if ((i = find_name(signal_names, NKEYS(signal_names), n, true)) < 0)
		return bad(ps, "%s: '%s' is not a signal (e.g. SIGTERM, SIGQUIT, 15)", k, v);
	snprintf(out, sizeof(out), "SIG%s", signal_names[i]);
	return set_str(ps, dst, out);
}

/* no | on-failure | on-failure:N. Docker's always/unless-stopped would restart replicas
 * behind dockscale's back (README "Restart policy"). */
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
		return bad(ps, "%s: %s would fight dockscale, which replaces dead replicas "
		    "itself; use no or on-failure[:N]", k, v);
	if (strncmp(v, "on-failure", 10) != 0 || (v[10] != '\0' && v[10] != ':'))
		return bad(ps, "%s: '%s' is not no or on-failure[:N]", k, v);
	if (v[10] == ':') {
		errno = 0;
		n = strtol(v + 11, &end, 10);
		if (!isdigit((unsigned char)v[11]) || *end != '\0' || errno || n < 1 ||
		    n > RETRIES_MAX)
			return bad(ps, "%s: on-failure:N needs N in 1..%d", k, RETRIES_MAX);
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
		ok = push(ps, &test, "NONE");
	} else if (wl == 9 && strncmp(v, "CMD-SHELL", 9) == 0) {
		if (*rest == '\0')
			return bad(ps, "%s: CMD-SHELL needs a command", k);
		ok = push(ps, &test, "CMD-SHELL") && push(ps, &test, rest);
	} else if (wl == 3 && strncmp(v, "CMD", 3) == 0) {
		if (config_split_argv(rest, &args) < 0) {
			ps->oom |= errno == ENOMEM;
			return errno == ENOMEM ? false : bad(ps, "%s: unterminated double quote", k);
		}
		if (args.n == 0) {
			strv_free(&args);
			return bad(ps, "%s: CMD needs a program", k);
		}
		ok = push(ps, &test, "CMD");
		for (size_t i = 0; ok && i < args.n; i++)
			ok = push(ps, &test, args.v[i]);
		strv_free(&args);
	} else {
		return bad(ps, "%s: '%s' is not CMD ARGS..., CMD-SHELL COMMAND or none", k, v);
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
			ok = bad(ps, "%s: '%s' is not a Docker network name "
			    "([A-Za-z0-9][A-Za-z0-9_.-]*, at most %.0f bytes)", kd->name, t, kd->hi);
		else if (find_name((const char *const *)sv->v, sv->n, t, false) >= 0)
			ok = bad(ps, "%s: %s is listed twice", kd->name, t);
		else
			ok = push(ps, sv, t);
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
		return set_env_file(ps, kd, p, v);
	case K_USER:
		if (!user_ok(v))
			return bad(ps, "%s: '%s' is not USER[:GROUP] (names or ids)", k, v);
		return set_str(ps, p, v);
	case K_CTRPATH:
		if (!ctr_path(v))
			return bad(ps, "%s: '%s' is not an absolute path", k, v);
		return set_str(ps, p, v);
	case K_HOSTNAME:
		if (!host_name(v, (size_t)kd->hi))
			return bad(ps, "%s: '%s' is not a host name (letters, digits, '-', '.'; at "
			    "most %.0f)", k, v, kd->hi);
		return set_str(ps, p, v);
	case K_CAPS:
		return set_caps(ps, k, p, v);
	case K_SECOPT:
		return set_secopt(ps, k, p, v);
	case K_ULIMIT:
		return set_ulimit(ps, k, p, v);
	case K_EXTRAHOST:
		return set_extra_host(ps, k, p, v);
	case K_DNS:
		if (!ip_addr(v))
			return bad(ps, "%s: '%s' is not an IP address", k, v);
		return push(ps, p, v);
	case K_NAME:
		if (!isalnum((unsigned char)v[0]) || !config_valid_chars(v, "_.-/:") ||
		    strlen(v) > (size_t)kd->hi)
			return bad(ps, "%s: '%s' is not a driver name", k, v);
		return set_str(ps, p, v);
	case K_SIGNAL:
		return set_signal(ps, k, p, v);
	case K_RESTART:
		return set_restart(ps, k, (struct ctr_conf *)((char *)p -
		    offsetof(struct ctr_conf, restart_on_failure)), v);
	case K_HEALTHCHECK:
		return set_healthcheck(ps, k, p, v);
	case K_NETLIST:
		return set_netlist(ps, kd, p, v);
	case K_SIZE:
		if (config_parse_size(v, &b) < 0)
			return bad(ps, "%s: '%s' is not a size (e.g. 64M, 1G; 0 = Docker's default)",
			    k, v);
		*(int64_t *)p = b;
		return true;
	default:
		return false;
	}
}

const struct keydef *
config_ctr_key_find(const char *name, int *idx)
{
	for (size_t i = 0; i < NKEYS(ctr_keys); i++) {
		if (strcmp(ctr_keys[i].name, name) == 0) {
			*idx = (int)i;
			return &ctr_keys[i];
		}
	}
	return NULL;
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
	cJSON *def;

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
	if (s->image == NULL || ps->nerr > 0)
		return; /* reported already; the body would be built from rejected values */
	if ((def = ctrdef_build(s)) == NULL)
		config_perr(ps, l, "service %s: its container definition cannot be built",
		    s->name);
	cJSON_Delete(def);
}

void
config_ctr_free(struct ctr_conf *c)
{
	struct strv *vs[] = { &c->volumes, &c->tmpfs, &c->labels, &c->env_files, &c->file_env,
		&c->entrypoint, &c->cap_add, &c->cap_drop, &c->security_opt, &c->ulimits,
		&c->extra_hosts, &c->dns, &c->log_opts, &c->healthcheck, &c->networks };

	for (size_t i = 0; i < NKEYS(vs); i++)
		strv_free(vs[i]);
	free(c->user);
	free(c->working_dir);
	free(c->hostname);
	free(c->log_driver);
	free(c->stop_signal);
	memset(c, 0, sizeof(*c));
}
