/* config.c: read dockscale.conf (SPEC §3): inih fed by our own line reader. */
#define _GNU_SOURCE /* asprintf */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <ini.h>

#include "config_int.h"

/* indexed by enum section - SEC_DAEMON; the kinds' own sections follow (config_kinds.c) */
static const char *const global_names[] = { "daemon", "docker", "prometheus", "nginx",
	"notify" };
_Static_assert(NKEYS(global_names) == GLOBAL_SECTIONS, "a global section has no name");

/* "FILE:LINE: msg", "FILE: msg", or for labels "CONTAINER label K=V: msg" (pstate.where). */
static int
where(const struct pstate *ps, int line, const char *msg, char **full)
{
	if (line > 0 && ps->where != NULL && (size_t)line <= ps->nwhere)
		return asprintf(full, "%s %s: %s", ps->path, ps->where[line - 1], msg);
	if (line > 0 && ps->where == NULL)
		return asprintf(full, "%s:%d: %s", ps->path, line, msg);
	return asprintf(full, "%s: %s", ps->path, msg);
}

void
config_vperr(struct pstate *ps, int line, const char *fmt, va_list ap)
{
	char *msg = NULL, *full = NULL;
	int r;

	ps->nerr++;
	if (vasprintf(&msg, fmt, ap) < 0) {
		ps->oom = true;
		return;
	}
	r = where(ps, line, msg, &full);
	free(msg);
	if (r < 0) {
		ps->oom = true;
		return;
	}
	size_t k = ps->errs ? ps->errs->n - ps->errs_base : 0;
	int *lines = ps->errs ? realloc(ps->err_lines, (k + 1) * sizeof(*lines)) : NULL;
	if (lines)
		ps->err_lines = lines;
	char **v = lines ? realloc(ps->errs->msg, (ps->errs->n + 1) * sizeof(*v)) : NULL;
	if (!v) {
		ps->oom |= ps->errs != NULL;
		free(full);
		return;
	}
	lines[k] = line > 0 ? line : INT_MAX;
	v[ps->errs->n++] = full;
	ps->errs->msg = v;
}

void
config_pwarn(struct pstate *ps, int line, const char *fmt, ...)
{
	char *msg = NULL, *full = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		ps->oom = true;
		return;
	}
	r = where(ps, line, msg, &full);
	free(msg);
	if (r < 0 || strv_push(&ps->cfg->warnings, full) < 0)
		ps->oom = true;
	free(r < 0 ? NULL : full);
}

void
config_perr(struct pstate *ps, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	config_vperr(ps, line, fmt, ap);
	va_end(ap);
}

static const char *
sec_label(const struct pstate *ps, char *buf, size_t len)
{
	int r;
	if (ps->sec == SEC_SERVICE)
		r = snprintf(buf, len, "service %s", ps->cur->name);
	else if (ps->sec >= SEC_KIND)
		r = snprintf(buf, len, "%s", config_kind_at(ps->sec - SEC_KIND)->section);
	else if (ps->sec >= SEC_DAEMON && ps->sec < SEC_SERVICE)
		r = snprintf(buf, len, "%s", global_names[ps->sec - SEC_DAEMON]);
	else
		r = -1;
	return r < 0 || (size_t)r >= len ? "?" : buf;
}

/* inih handler; every problem is recorded here, so it always returns "ok". */
static int
on_key(void *user, const char *section, const char *name, const char *value)
{
	struct pstate *ps = user;
	char label[CONFIG_NAME_MAX + 16];
	(void)section; /* ours, not inih's: it only ever sees "[]" */

	if (ps->sec == SEC_NONE) {
		if (!ps->cont)
			config_perr(ps, ps->line, "key '%s' outside any section", name);
		return 1;
	}
	if (ps->sec == SEC_BAD)
		return 1; /* the section header was already reported */
	int i;
	const struct keydef *kd = config_key_find(ps->sec, name, &i);
	if (!kd) {
		if (!ps->cont)
			config_perr(ps, ps->line, "unknown key '%s' in [%s]", name,
			            sec_label(ps, label, sizeof(label)));
		return 1;
	}
	bool repeat = kd->type == K_ENV || (kd->flags & F_REPEAT);
	if (ps->cont && !repeat) {
		config_perr(
		    ps, ps->line,
		    "indented line continues '%s', which takes one value (do not indent keys)",
		    name);
		return 1;
	}
	if (ps->seen[i] && !repeat) {
		config_perr(ps, ps->line, "duplicate key '%s' (first on line %d)", name,
		            abs(ps->seen[i]));
		return 1;
	}
	if (!ps->seen[i])
		ps->seen[i] = ps->line;
	char *base = config_key_base(ps, i);
	if (base == NULL) /* its kind's struct could not be made: out of memory, reported */
		return 1;
	if (!config_set_value(ps, kd, base + kd->off, value) && ps->seen[i] > 0)
		ps->seen[i] = -ps->seen[i];
	return 1;
}

static void
conf_svc_free(struct svc_conf *s)
{
	free(s->image);
	strv_free(&s->command);
	strv_free(&s->env);
	free(s->network);
	free(s->health_path);
	strv_free(&s->post_start);
	strv_free(&s->pre_stop);
	free(s->pre_stop_http);
	free(s->query);
	free(s->upstream_file);
	free(s->upstream_name);
	strv_free(&s->up_alerts);
	strv_free(&s->down_alerts);
	free(s->compose_project);
	free(s->compose_service);
	free(s->wake_listen);
	free(s->wake_page.path);
	free(s->wake_page.html);
	strv_free(&s->idle_ignore_agents);
	strv_free(&s->idle_ignore_paths);
	strv_free(&s->depends_on);
	config_schedule_free(&s->schedule);
	free(s->timezone);
	config_ctr_free(&s->ctr);
	config_kinds_svc_free(s->kinds);
	memset(s, 0, sizeof(*s));
}

static int
conf_svc_init(struct svc_conf *s, const char *name, int line)
{
	memset(s, 0, sizeof(*s));
	size_t n = strnlen(name, CONFIG_NAME_MAX); /* cut only for rejected names */
	memcpy(s->name, name, n);
	s->name[n] = '\0';
	s->line = line;
	s->port = 8080;
	s->cpus = 0.5;
	s->memory = 512LL * 1024 * 1024;
	s->init = true;
	s->metrics = METRIC_BIT(METRIC_DOCKER_CPU);
	s->mem_up_threshold = 80;
	s->mem_down_threshold = 50;
	s->mem_target = 70;
	s->requests_target = 50;
	s->concurrency_target = 10;
	s->latency_target_ms = 250;
	s->latency_percentile = 95;
	s->victim = VICTIM_LEAST_BUSY;
	s->dp = (struct decide_params){
	    .policy = POLICY_THRESHOLD,
	    .up_threshold = 75,
	    .down_threshold = 40,
	    .target = 60,
	    .tolerance = 0.1,
	    .up_for_ms = 0,
	    .down_for_ms = 60000,
	    .up_step = 1,
	    .down_step = 1,
	    .up_cooldown_ms = 60000,
	    .down_cooldown_ms = 300000,
	    .smoothing = 1.0,
	    .predict_alpha = 0.5,
	    .predict_beta = 0.3,
	    .horizon_ms = 0,
	    .stale_ms = 0,
	    .min_replicas = 1,
	    .max_replicas = 5,
	};
	s->start_timeout_ms = 60000;
	s->create_parallel = 1;
	s->rollout_surge = 1;
	s->rollout_min_healthy_ms = 5000;
	s->rollout_max_failures = 1;
	s->drain_ms = 5000;
	s->stop_timeout_ms = 10000;
	s->post_start_timeout_ms = 30000;
	s->pre_stop_timeout_ms = 10000;
	s->pre_stop_http = strdup("");
	s->network = strdup("");
	s->health_path = strdup("/health");
	s->query = strdup("");
	s->upstream_file = strdup("/etc/nginx/conf.d/backend.conf");
	s->upstream_name = strdup("backend");
	s->wake_listen = strdup("");
	s->balancer = config_kind_find(CONFIG_BALANCER, NULL)->name;
	s->runtime = config_kind_find(CONFIG_RUNTIME, NULL)->name;
	s->wake_queue = 100;
	s->wake_timeout_ms = 60000;
	s->wake_replicas = 1;
	s->wake_page.path = strdup("");
	s->timezone = strdup("");
	return s->network && s->health_path && s->pre_stop_http && s->query && s->upstream_file &&
	               s->upstream_name && s->wake_listen && s->wake_page.path && s->timezone &&
	               config_kinds_svc_defaults(s->kinds) == 0
	           ? 0
	           : -1;
}

int
config_svc_defaults(struct svc_conf *s, const char *name, int line)
{
	return conf_svc_init(s, name, line);
}

void
config_svc_free(struct svc_conf *s)
{
	conf_svc_free(s);
}

static void
end_section(struct pstate *ps)
{
	if (ps->sec == SEC_SERVICE) {
		ps->cur->depends_on_line = config_key_line(ps, "depends_on", false);
		config_check_service(ps, ps->cur);
		if (ps->in_scratch)
			conf_svc_free(&ps->scratch);
	}
	if (ps->sec == SEC_NOTIFY)
		config_notify_check(ps, ps->cfg);
	if (ps->sec == SEC_NGINX)
		config_check_nginx(ps, ps->cfg);
	ps->in_scratch = false;
	ps->cur = NULL;
	ps->sec = SEC_NONE;
	memset(ps->seen, 0, sizeof(ps->seen));
}

bool
config_svc_name_bad(const char *name, char *why, size_t len)
{
	int r;

	if (strlen(name) > CONFIG_NAME_MAX)
		r = snprintf(why, len, "service name '%s' is longer than %d characters", name,
		             CONFIG_NAME_MAX);
	else if (!config_valid_chars(name, "_-") || !isalnum((unsigned char)name[0]) ||
	         strpbrk(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
		r = snprintf(why, len, "bad service name '%s': use [a-z0-9_-], starting with a "
		             "letter or digit", name);
	else
		return false;
	if (r < 0 || (size_t)r >= len) /* a reason cut short is still a reason */
		why[len > 0 ? len - 1 : 0] = '\0';
	return true;
}

/* "[service NAME]": start a new service, or check a rejected one in scratch. */
static void
begin_service(struct pstate *ps, const char *name)
{
	char why[1200]; /* a longer name is cut in the message */
	bool ok = false;

	if (!*name)
		config_perr(ps, ps->line, "[service] needs a name: [service NAME]");
	else if (config_svc_name_bad(name, why, sizeof(why)))
		config_perr(ps, ps->line, "%s", why);
	else if (config_service(ps->cfg, name))
		config_perr(ps, ps->line, "duplicate service '%s' (first on line %d)", name,
		            config_service(ps->cfg, name)->line);
	else
		ok = true;
	if (ok) {
		struct svc_conf *v = realloc(ps->cfg->svcs, (ps->cfg->nsvcs + 1) * sizeof(*v));
		if (!v) {
			ps->oom = true;
			ps->sec = SEC_BAD;
			return;
		}
		ps->cfg->svcs = v;
		ps->cur = &v[ps->cfg->nsvcs++];
	} else {
		ps->cur = &ps->scratch;
		ps->in_scratch = true;
	}
	if (conf_svc_init(ps->cur, name, ps->line) < 0)
		ps->oom = true;
	ps->sec = SEC_SERVICE;
}

/* The name of global section i (daemon .. nginx, then the kinds'), or NULL. */
static const char *
global_name(size_t i)
{
	const struct config_kind *k;

	if (i < NKEYS(global_names))
		return global_names[i];
	k = config_kind_at(i - NKEYS(global_names));
	return k != NULL ? k->section : NULL;
}

/* "daemon, docker, ...": every global section, for a message. */
static const char *
section_list(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NKEYS(global_names) + CONFIG_KINDS_MAX; i++) {
		const char *name = global_name(i);
		int r;

		if (name == NULL)
			continue;
		r = snprintf(buf + n, len - n, "%s%s", n > 0 ? ", " : "", name);
		if (r < 0 || (size_t)r >= len - n)
			break; /* cut: the list fits the buffer */
		n += (size_t)r;
	}
	return buf;
}

static void
on_section(struct pstate *ps, char *start)
{
	char list[160];
	char *close = strchr(start, ']');
	end_section(ps);
	ps->sec = SEC_BAD;
	if (!close) {
		config_perr(ps, ps->line, "section header lacks ']'");
		return;
	}
	char *after = close + 1 + strspn(close + 1, " \t");
	if (*after && *after != ';' && *after != '#') {
		config_perr(ps, ps->line, "unexpected text after section header");
		return;
	}
	*close = '\0';
	char *in = start + 1 + strspn(start + 1, " \t");
	for (char *e = close; e > in && isspace((unsigned char)e[-1]); e--)
		e[-1] = '\0';
	for (size_t i = 0; i < NKEYS(global_names) + CONFIG_KINDS_MAX; i++) {
		if (global_name(i) == NULL || strcmp(in, global_name(i)) != 0)
			continue;
		if (ps->global_line[i])
			config_perr(ps, ps->line, "duplicate section [%s] (first on line %d)", in,
			            ps->global_line[i]);
		else
			ps->global_line[i] = ps->line;
		ps->sec = i < NKEYS(global_names) ? (enum section)(SEC_DAEMON + (int)i) :
		    (enum section)(SEC_KIND + (int)(i - NKEYS(global_names)));
		return;
	}
	if (strncmp(in, "service", 7) == 0 && (!in[7] || isspace((unsigned char)in[7]))) {
		begin_service(ps, in + 7 + strspn(in + 7, " \t"));
		return;
	}
	config_perr(ps, ps->line, "unknown section [%s] (expected %s or service NAME)", in,
	            section_list(list, sizeof(list)));
}

/* inih's reader: hands inih one line at a time, so ps->line is the handler's line.
 * Section headers, malformed and over-long lines are handled (and reported) here; inih
 * gets "[]" (to end a multiline key) or a comment in their place. */
static char *
read_line(char *str, int num, void *stream)
{
	struct pstate *ps = stream;
	ssize_t len = getline(&ps->buf, &ps->cap, ps->fp);
	const char *out;

	if (len < 0) {
		if (ferror(ps->fp))
			config_perr(ps, 0, "read error: %s", strerror(errno));
		return NULL;
	}
	char *s = ps->buf;
	ps->line++;
	ps->cont = false;
	if (ps->line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0) {
		s += 3;
		len -= 3;
	}
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		s[--len] = '\0';
	char *start = s + strspn(s, " \t\f\v");
	if (!*start || *start == ';' || *start == '#') {
		out = ";\n"; /* blank or comment: any length */
	} else if (len > num - 2) {
		config_perr(ps, ps->line, "line too long (%zd characters, at most %d)", len,
		            num - 2);
		out = ";\n";
	} else if (strlen(s) != (size_t)len) {
		config_perr(ps, ps->line, "NUL byte in line");
		out = ";\n";
	} else if (start > s && ps->have_prev) {
		ps->cont = true;
		out = s;
	} else if (*start == '[') {
		on_section(ps, start);
		ps->have_prev = false;
		out = "[]\n";
	} else {
		/* inih's rule: the first '=' or ':' before an inline " ;" comment */
		char *p = start;
		for (; *p && *p != '=' && *p != ':'; p++)
			if (*p == ';' && p > start && isspace((unsigned char)p[-1]))
				break;
		if (*p != '=' && *p != ':') {
			config_perr(ps, ps->line, "expected 'key = value'");
			out = ";\n";
		} else if (p == start) {
			config_perr(ps, ps->line, "missing key before '%c'", *p);
			out = ";\n";
		} else {
			ps->have_prev = true;
			out = s;
		}
	}
	int r = snprintf(str, (size_t)num, "%s%s", out, out == s ? "\n" : "");
	if (r < 0 || r >= num) { /* cannot happen: len <= num - 2 */
		str[0] = '\n';
		str[1] = '\0';
	}
	return str;
}

static int
config_defaults(struct config *c, const char *path)
{
	c->path = strdup(path);
	c->listen = strdup("127.0.0.1:9280");
	c->token_file = strdup("");
	c->interval_ms = 15000;
	c->log_level = LOG_INFO;
	c->lock_file = strdup("/run/dockscale/dockscale.lock");
	c->docker_socket = strdup("/var/run/docker.sock");
	c->docker_timeout_ms = 30000;
	c->pull_timeout_ms = 5 * 60 * 1000;
	c->registry_auth_file = strdup("");
	c->prom_url = strdup("http://127.0.0.1:9090");
	c->prom_timeout_ms = 5000;
	c->nginx_timeout_ms = 10000;
	c->nginx_pid_file = strdup("/run/nginx.pid");
	c->nginx_access_log = strdup("");
	c->nginx_container = strdup("");
	if (!c->path || !c->listen || !c->token_file || !c->lock_file || !c->docker_socket ||
	    !c->registry_auth_file ||
	    !c->prom_url || !c->nginx_pid_file || !c->nginx_access_log || !c->nginx_container || config_kinds_defaults(c->kinds) == -1 ||
	    config_split_argv("nginx -t", &c->nginx_test) < 0 ||
	    config_split_argv("nginx -s reload", &c->nginx_reload) < 0 ||
	    config_notify_defaults(&c->notify) == -1)
		return -1;
	return 0;
}

/* Stable sort of our messages by line, so that they read top to bottom. */
static void
sort_errors(struct pstate *ps)
{
	/* With no message msg may be NULL, and NULL + 0 is undefined behaviour in C. */
	if (!ps->errs || ps->errs->n <= ps->errs_base)
		return;
	char **m = ps->errs->msg + ps->errs_base;
	size_t n = ps->errs->n - ps->errs_base;
	for (size_t i = 1; i < n; i++) {
		int l = ps->err_lines[i];
		char *msg = m[i];
		size_t j = i;
		for (; j > 0 && ps->err_lines[j - 1] > l; j--) {
			ps->err_lines[j] = ps->err_lines[j - 1];
			m[j] = m[j - 1];
		}
		ps->err_lines[j] = l;
		m[j] = msg;
	}
}

int
config_load(const char *path, struct config *out, struct config_errors *errs)
{
	FILE *fp = fopen(path, "re");
	int rc;

	if (!fp) {
		struct pstate ps = {.path = path, .errs = errs, .errs_base = errs ? errs->n : 0};

		memset(out, 0, sizeof(*out));
		config_perr(&ps, 0, "cannot open: %s", strerror(errno));
		free(ps.err_lines);
		return -1;
	}
	rc = config_load_stream(fp, path, out, errs);
	fclose(fp);
	return rc;
}

int
config_load_stream(FILE *fp, const char *path, struct config *out, struct config_errors *errs)
{
	struct config cfg;
	struct pstate ps;

	memset(out, 0, sizeof(*out));
	memset(&cfg, 0, sizeof(cfg));
	memset(&ps, 0, sizeof(ps));
	ps.path = path;
	ps.cfg = &cfg;
	ps.errs = errs;
	ps.errs_base = errs ? errs->n : 0;
	ps.fp = fp;
	if (config_defaults(&cfg, path) < 0) {
		ps.oom = true;
	} else {
		int r = ini_parse_stream(read_line, &ps, on_key, &ps);
		end_section(&ps);
		if (r == -2)
			ps.oom = true;
		else if (r > 0 && ps.nerr == 0)
			config_perr(&ps, r, "syntax error");
	}
	config_check_daemon(&ps, &cfg);
	config_check_services(&ps, &cfg);
	if (ps.oom)
		config_perr(&ps, 0, "out of memory");
	free(ps.buf);
	sort_errors(&ps);
	free(ps.err_lines);
	if (ps.nerr > 0) {
		config_free(&cfg);
		return -1;
	}
	*out = cfg;
	return 0;
}

void
config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->listen);
	free(cfg->token_file);
	if (cfg->token) {
		explicit_bzero(cfg->token, strlen(cfg->token));
		free(cfg->token);
	}
	free(cfg->lock_file);
	free(cfg->docker_socket);
	free(cfg->registry_auth_file);
	regauth_free(&cfg->regauth);
	free(cfg->prom_url);
	strv_free(&cfg->allowed_hosts);
	strv_free(&cfg->nginx_test);
	strv_free(&cfg->nginx_reload);
	free(cfg->nginx_pid_file);
	free(cfg->nginx_access_log);
	free(cfg->nginx_container);
	strv_free(&cfg->warnings);
	config_kinds_free(cfg->kinds);
	config_notify_free(&cfg->notify);
	for (size_t i = 0; i < cfg->nsvcs; i++)
		conf_svc_free(&cfg->svcs[i]);
	free(cfg->svcs);
	memset(cfg, 0, sizeof(*cfg));
}

void
config_errors_free(struct config_errors *errs)
{
	if (!errs)
		return;
	for (size_t i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	errs->msg = NULL;
	errs->n = 0;
}

const struct svc_conf *
config_service(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nsvcs; i++)
		if (strcmp(cfg->svcs[i].name, name) == 0)
			return &cfg->svcs[i];
	return NULL;
}
