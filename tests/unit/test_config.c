/* test_config.c: unit tests for the configuration loader and its value parsers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"

#define MiB (1024LL * 1024)

struct fx {
	char dir[64];
	char path[128]; /* the config file most recently written */
};

static int
group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_config.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	/* A PATH of our own: test_command and reload_command are resolved in it. */
	static const char *const progs[] = { "nginx", "sudo" };
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		char p[128];
		FILE *fp;
		snprintf(p, sizeof(p), "%s/%s", f->dir, progs[i]);
		if ((fp = fopen(p, "w")) == NULL)
			return -1;
		fputs("#!/bin/sh\n", fp);
		if (fclose(fp) != 0 || chmod(p, 0755) != 0)
			return -1;
	}
	setenv("PATH", f->dir, 1);
	*state = f;
	return 0;
}

/* Where a bare program name of the test configs resolves. */
static const char *
in_path(const char *prog, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", getenv("PATH"), prog);
	assert_true(n > 0 && (size_t)n < len);
	return buf;
}

static int
group_teardown(void **state)
{
	struct fx *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *e;
	char p[PATH_MAX];

	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name) < (int)sizeof(p))
			unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Write dir/name and return its path (in buf). */
static const char *
write_file(struct fx *f, const char *name, const char *text, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", f->dir, name);
	assert_true(n > 0 && (size_t)n < len);
	FILE *fp = fopen(buf, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	return buf;
}

static int
load_text(struct fx *f, const char *text, struct config *c, struct config_errors *e)
{
	write_file(f, "t.conf", text, f->path, sizeof(f->path));
	memset(e, 0, sizeof(*e));
	return config_load(f->path, c, e);
}

static void
dump_errors(const struct config_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		print_message("  error[%zu]: %s\n", i, e->msg[i]);
}

/* Is errs->msg[i] "PATH:LINE: ..." containing want? Prints what differs if not. */
static bool
check_error(const struct fx *f, const struct config_errors *e, size_t i, int line,
            const char *want)
{
	char prefix[256];
	int n = line > 0 ? snprintf(prefix, sizeof(prefix), "%s:%d: ", f->path, line)
	                 : snprintf(prefix, sizeof(prefix), "%s: ", f->path);
	assert_true(n > 0 && (size_t)n < sizeof(prefix));
	if (i < e->n && strncmp(e->msg[i], prefix, (size_t)n) == 0 &&
	    strstr(e->msg[i] + n, want))
		return true;
	dump_errors(e);
	print_message("expected error[%zu] = %s...%s\n", i, prefix, want);
	return false;
}

static void
assert_error(const struct fx *f, const struct config_errors *e, size_t i, int line,
             const char *want)
{
	if (!check_error(f, e, i, line, want))
		fail();
}

static void
assert_zeroed(const struct config *c)
{
	static const struct config zero;
	assert_memory_equal(c, &zero, sizeof(zero));
}

/* ---- units ------------------------------------------------------------------------ */

static void
test_durations(void **state)
{
	static const struct {
		const char *s;
		int64_t ms;
	} ok[] = {
	    {"500ms", 500},
	    {"15s", 15000},
	    {"2m", 120000},
	    {"1h", 3600000},
	    {"15", 15000},
	    {"0", 0},
	    {"0s", 0},
	    {"1.5s", 1500},
	    {"0.5", 500},
	    {"1.5ms", 2},
	    {"0.25h", 900000},
	    {"15S", 15000},
	    {"2H", 7200000},
	    {"500MS", 500},
	    {"0.0001s", 0},
	    {"1.0000009s", 1000},
	    {"007s", 7000},
	    {"8784h", 8784LL * 3600000},
	    {"527040m", 527040LL * 60000},
	};
	static const char *const bad[] = {
	    "",    "-1s",  "+1s",  " 1s",   "1s ",
	    "1 s", "1x",   "s",    "ms",    "1.s",
	    ".5s", "1e3",  "1,5s", "8785h", "99999999999999999999",
	    "1sm", "0x10", "1d",   "inf",   "nan",
	    "--1",
	};
	int64_t ms;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ms = -1;
		if (config_parse_duration(ok[i].s, &ms) != 0 || ms != ok[i].ms) {
			print_message("duration '%s' -> %lld\n", ok[i].s, (long long)ms);
			fail();
		}
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (config_parse_duration(bad[i], &ms) != -1) {
			print_message("duration '%s' accepted\n", bad[i]);
			fail();
		}
	}
}

static void
test_sizes(void **state)
{
	static const struct {
		const char *s;
		int64_t b;
	} ok[] = {
	    {"0", 0},
	    {"512", 512},
	    {"10b", 10},
	    {"7B", 7},
	    {"1K", 1024},
	    {"1k", 1024},
	    {"2KB", 2048},
	    {"512M", 512 * MiB},
	    {"512m", 512 * MiB},
	    {"512MB", 512 * MiB},
	    {"512MiB", 512 * MiB},
	    {"512mib", 512 * MiB},
	    {"1G", 1024 * MiB},
	    {"1.5G", 1536 * MiB},
	    {"0.5K", 512},
	    {"1T", 1024 * 1024 * MiB},
	    {"6M", 6 * MiB},
	    {"9223372036854775807", INT64_MAX},
	    {"8388607T", INT64_MAX - (1024 * 1024 * MiB - 1)},
	};
	static const char *const bad[] = {
	    "",
	    "-1",
	    "+1",
	    "1.5",
	    "1X",
	    "1KiX",
	    "1Ki",
	    "1iB",
	    "1 M",
	    "M",
	    "1MM",
	    "1MBB",
	    "9223372036854775808",
	    "8388608T",
	    "99999999999999999999",
	    "1e3",
	    " 1",
	    "1.G",
	};
	int64_t b;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		b = -1;
		if (config_parse_size(ok[i].s, &b) != 0 || b != ok[i].b) {
			print_message("size '%s' -> %lld\n", ok[i].s, (long long)b);
			fail();
		}
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (config_parse_size(bad[i], &b) != -1) {
			print_message("size '%s' accepted\n", bad[i]);
			fail();
		}
	}
}

static void
test_bools(void **state)
{
	static const struct {
		const char *s;
		bool v;
	} ok[] = {
	    {"true", true}, {"yes", true}, {"on", true},     {"1", true},
	    {"TRUE", true}, {"Yes", true}, {"false", false}, {"no", false},
	    {"off", false}, {"0", false},  {"False", false}, {"OFF", false},
	};
	static const char *const bad[] = {"",      "2",     "y",       "n", "t",
	                                  "truee", " true", "enabled", "-1"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		bool v = !ok[i].v;
		assert_int_equal(config_parse_bool(ok[i].s, &v), 0);
		assert_int_equal(v, ok[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool v;
		assert_int_equal(config_parse_bool(bad[i], &v), -1);
	}
}

static void
test_split_argv(void **state)
{
	static const struct {
		const char *s;
		const char *w[4];
		size_t n;
	} ok[] = {
	    {"nginx -t", {"nginx", "-t"}, 2},
	    {"nginx -s reload", {"nginx", "-s", "reload"}, 3},
	    {"  a   b  ", {"a", "b"}, 2},
	    {"\t x\ty ", {"x", "y"}, 2},
	    {"\"a b\" c", {"a b", "c"}, 2},
	    {"a\"b c\"d", {"ab cd"}, 1},
	    {"\"\"", {""}, 1},
	    {"x \"\" y", {"x", "", "y"}, 3},
	    {"\"a\\\"b\"", {"a\"b"}, 1},
	    {"\"a\\\\b\"", {"a\\b"}, 1},
	    {"\"a\\nb\"", {"anb"}, 1},
	    {"a\\b", {"a\\b"}, 1},
	    {"sh -c \"echo 'hi there'\"", {"sh", "-c", "echo 'hi there'"}, 3},
	    {"", {NULL}, 0},
	    {"   ", {NULL}, 0},
	};
	static const char *const bad[] = {"\"abc", "a \"b", "\"abc\\\"", "\"a\\", "a\""};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct strv sv = {NULL, 99};
		assert_int_equal(config_split_argv(ok[i].s, &sv), 0);
		assert_int_equal(sv.n, ok[i].n);
		for (size_t j = 0; j < sv.n; j++)
			assert_string_equal(sv.v[j], ok[i].w[j]);
		if (sv.n)
			assert_null(sv.v[sv.n]);
		strv_free(&sv);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct strv sv = {NULL, 99};
		errno = 0;
		assert_int_equal(config_split_argv(bad[i], &sv), -1);
		assert_int_equal(errno, EINVAL);
		assert_null(sv.v);
		assert_int_equal(sv.n, 0);
	}
}

/* dockscale.conf(5): image is a reference Docker accepts. */
static void
test_image_refs(void **state)
{
	static const char *const good[] = {
	    "app", "dockscale-demo:latest", "demo:1", "library/nginx:1.25-alpine",
	    "localhost:5000/team/app:v1.2", "Registry.Example.com/a_b/c__d/e---f:T_1",
	    "busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    "a.b:x@sha256:0123456789abcdef0123456789abcdef", "host:5000",
	};
	static const char *const bad[] = {
	    "", "App", "app:", "app:.x", "app:-x", "app/", "/app", "a//b", "a..b", "a_-b",
	    "-app", "app-", "ex.com/Team/app", "app@sha256:xyz", "app@sha256:abc",
	    "app@:0123456789abcdef0123456789abcdef", "a b", "app:t!",
	    "app:toolongtoolongtoolongtoolongtoolongtoolongtoolongtoolongtoolongtoolongtoolongt"
	    "oolongtoolongtoolongtoolongtoolongtoolongtoolongtoolongtoolong",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!config_valid_image(good[i]))
			fail_msg("rejected %s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (config_valid_image(bad[i]))
			fail_msg("accepted %s", bad[i]);
}

static void
test_strv(void **state)
{
	struct strv sv = {NULL, 0};
	assert_int_equal(strv_push(&sv, "a"), 0);
	assert_int_equal(strv_push(&sv, "b"), 0);
	assert_int_equal(sv.n, 2);
	assert_string_equal(sv.v[0], "a");
	assert_string_equal(sv.v[1], "b");
	assert_null(sv.v[2]);
	strv_free(&sv);
	assert_null(sv.v);
	assert_int_equal(sv.n, 0);
	strv_free(&sv); /* twice is fine */
}

/* ---- whole files -------------------------------------------------------------------- */

static void
assert_daemon_defaults(const struct config *c)
{
	assert_string_equal(c->listen, "127.0.0.1:9280");
	assert_string_equal(c->token_file, "");
	assert_null(c->token);
	assert_int_equal(c->interval_ms, 15000);
	assert_int_equal(c->log_level, LOG_INFO);
	assert_false(c->dry_run);
	assert_string_equal(c->lock_file, "/run/dockscale/dockscale.lock");
	assert_string_equal(c->docker_socket, "/var/run/docker.sock");
	assert_int_equal(c->docker_timeout_ms, 30000);
	assert_int_equal(c->pull_timeout_ms, 300000);
	assert_string_equal(c->registry_auth_file, "");
	assert_int_equal(c->stats_source, STATS_AUTO);
	assert_int_equal(c->regauth.n, 0);
	assert_string_equal(c->prom_url, "http://127.0.0.1:9090");
	assert_int_equal(c->prom_timeout_ms, 5000);
	assert_int_equal(c->nginx_test.n, 2);
	char prog[160];
	assert_string_equal(c->nginx_test.v[0], in_path("nginx", prog, sizeof(prog)));
	assert_string_equal(c->nginx_test.v[1], "-t");
	assert_null(c->nginx_test.v[2]);
	assert_int_equal(c->nginx_reload.n, 3);
	assert_string_equal(c->nginx_reload.v[0], prog);
	assert_string_equal(c->nginx_reload.v[1], "-s");
	assert_string_equal(c->nginx_reload.v[2], "reload");
}

static void
assert_service_defaults(const struct svc_conf *s)
{
	assert_int_equal(s->command.n, 0);
	assert_int_equal(s->env.n, 0);
	assert_int_equal(s->port, 8080);
	assert_string_equal(s->network, "");
	assert_true(s->cpus == 0.5);
	assert_int_equal(s->memory, 512 * MiB);
	assert_true(s->init);
	/* dockscale.conf(5): docker_memory's and predictive's keys */
	assert_true(s->mem_up_threshold == 80 && s->mem_down_threshold == 50);
	assert_true(s->mem_target == 70);
	assert_int_equal(s->dp.horizon_ms, 0);
	assert_true(s->dp.predict_alpha == 0.5 && s->dp.predict_beta == 0.3);
	assert_string_equal(s->health_path, "/health");
	assert_int_equal(s->metrics, METRIC_BIT(METRIC_DOCKER_CPU));
	assert_string_equal(s->query, "");
	assert_int_equal(s->dp.policy, POLICY_THRESHOLD);
	assert_true(s->dp.up_threshold == 75);
	assert_true(s->dp.down_threshold == 40);
	assert_true(s->dp.target == 60);
	assert_true(s->dp.tolerance == 0.1);
	assert_int_equal(s->dp.up_for_ms, 0);
	assert_int_equal(s->dp.down_for_ms, 60000);
	assert_int_equal(s->dp.up_step, 1);
	assert_int_equal(s->dp.down_step, 1);
	assert_int_equal(s->dp.up_cooldown_ms, 60000);
	assert_int_equal(s->dp.down_cooldown_ms, 300000);
	assert_true(s->dp.smoothing == 1.0);
	assert_int_equal(s->dp.stale_ms, 0);
	assert_int_equal(s->dp.min_replicas, 1);
	assert_int_equal(s->dp.max_replicas, 5);
	assert_int_equal(s->start_timeout_ms, 60000);
	assert_int_equal(s->drain_ms, 5000);
	assert_int_equal(s->stop_timeout_ms, 10000);
	assert_int_equal(s->create_parallel, 1);
	assert_int_equal(s->rollout_surge, 1);
	assert_int_equal(s->rollout_min_healthy_ms, 5000);
	assert_int_equal(s->rollout_max_failures, 1);
	assert_string_equal(s->upstream_file, "/etc/nginx/conf.d/backend.conf");
	assert_string_equal(s->upstream_name, "backend");
	assert_int_equal(s->up_alerts.n, 0);
	assert_int_equal(s->down_alerts.n, 0);
	assert_int_equal(s->pull, PULL_MISSING);
}

static void
test_defaults(void **state)
{
	struct config c;
	struct config_errors e;
	assert_int_equal(load_text(*state, "[service web]\nimage = app:1\n", &c, &e), 0);
	assert_int_equal(e.n, 0);
	assert_string_equal(c.path, ((struct fx *)*state)->path);
	assert_daemon_defaults(&c);
	assert_int_equal(c.nsvcs, 1);
	const struct svc_conf *s = config_service(&c, "web");
	assert_non_null(s);
	assert_null(config_service(&c, "other"));
	assert_string_equal(s->name, "web");
	assert_int_equal(s->line, 1);
	assert_string_equal(s->image, "app:1");
	assert_service_defaults(s);
	config_free(&c);
	assert_zeroed(&c);
	config_free(&c); /* twice is fine */
}

/* doc/compose.md: no image needed; port, network
 * and health_path still route and probe. */
static void
test_compose_service(void **state)
{
	struct config c;
	struct config_errors e;
	const struct svc_conf *s;

	assert_int_equal(load_text(*state, "[service web]\ncompose_project = shop_2\n"
	    "compose_service = Web.v2\nport = 80\nnetwork = shop_2_default\nhealth_path = /h\n",
	    &c, &e), 0);
	assert_int_equal(e.n, 0);
	s = config_service(&c, "web");
	assert_null(s->image);
	assert_string_equal(s->compose_project, "shop_2");
	assert_string_equal(s->compose_service, "Web.v2");
	assert_int_equal(s->port, 80);
	config_free(&c);
	/* Off by default. */
	assert_int_equal(load_text(*state, "[service web]\nimage = app\n", &c, &e), 0);
	assert_null(c.svcs[0].compose_project);
	assert_null(c.svcs[0].compose_service);
	config_free(&c);
}

static void
test_no_service(void **state)
{
	struct config c;
	struct config_errors e;
	assert_int_equal(load_text(*state, "", &c, &e), 0);
	assert_int_equal(e.n, 0);
	assert_int_equal(c.nsvcs, 0);
	assert_daemon_defaults(&c);
	config_free(&c);
	assert_int_equal(
	    load_text(*state, "; only comments\n# here\n\n[daemon]\n[nginx]\n", &c, &e), 0);
	assert_int_equal(e.n, 0);
	assert_int_equal(c.nsvcs, 0);
	config_free(&c);
}

static const char full_conf[] =
    "# every key, none at its default\n"
    "[daemon]\n"
    "listen = [::1]:9999\n"
    "token_file = %s\n"
    "interval = 2.5s\n"
    "log_level = debug\n"
    "dry_run = yes\n"
    "lock_file = /tmp/x.lock\n"
    "[docker]\n"
    "socket = /run/docker.sock\n"
    "timeout = 1m\n"
    "[prometheus]\n"
    "url = https://prom.example:9090/\n"
    "timeout = 750ms\n"
    "[nginx]\n"
    "test_command = /bin/sh -t -c \"/etc/my nginx/nginx.conf\"\n"
    "reload_command = sudo -n /usr/sbin/nginx -s reload\n"
    "[service api]\n"
    "image = registry.example/api:2.1\n"
    "command = /app --port 9000 \"--name=a b\"\n"
    "env = MODE=prod\n"
    "env = GREETING=hello world\n"
    "  EMPTY=\n"
    "port = 9000\n"
    "network = backend-net\n"
    "cpus = 1.25\n"
    "memory = 1.5G\n"
    "init = off\n"
    "health_path = /ready?full=1\n"
    "min_replicas = 0\n"
    "max_replicas = 12\n"
    "metric = prometheus\n"
    "query = sum(rate(http_requests_total{job=\"api\"}[1m]))\n"
    "policy = target\n"
    "scale_up_threshold = 90.5\n"
    "scale_down_threshold = -3\n"
    "target = 100   ; requests per second per replica\n"
    "scale_up_for = 30s\n"
    "scale_down_for = 2m\n"
    "scale_up_step = 2\n"
    "scale_down_step = 3\n"
    "scale_up_cooldown = 45s\n"
    "scale_down_cooldown = 1h\n"
    "smoothing = 0.3\n"
    "start_timeout = 90s\n"
    "drain = 0\n"
    "stop_timeout = 30\n"
    "upstream_file = /etc/nginx/conf.d/api.conf\n"
    "upstream_name = api_v2.backend\n"
    "scale_up_alerts = ApiHot, ApiQueueLong\n"
    "scale_down_alerts = ApiIdle ApiCold,ApiNight\n";

static void
test_full_file(void **state)
{
	struct fx *f = *state;
	struct config c;
	struct config_errors e;
	char tokpath[128], text[4096];

	write_file(f, "token", "s3cr3t-T0ken\n", tokpath, sizeof(tokpath));
	int n = snprintf(text, sizeof(text), full_conf, tokpath);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	int r = load_text(f, text, &c, &e);
	dump_errors(&e);
	assert_int_equal(r, 0);
	assert_int_equal(e.n, 0);

	assert_string_equal(c.listen, "[::1]:9999");
	assert_string_equal(c.token_file, tokpath);
	assert_string_equal(c.token, "s3cr3t-T0ken");
	assert_int_equal(c.interval_ms, 2500);
	assert_int_equal(c.log_level, LOG_DEBUG);
	assert_true(c.dry_run);
	assert_string_equal(c.lock_file, "/tmp/x.lock");
	assert_string_equal(c.docker_socket, "/run/docker.sock");
	assert_int_equal(c.docker_timeout_ms, 60000);
	assert_string_equal(c.prom_url, "https://prom.example:9090");
	assert_int_equal(c.prom_timeout_ms, 750);
	assert_int_equal(c.nginx_test.n, 4);
	assert_string_equal(c.nginx_test.v[0], "/bin/sh");
	assert_string_equal(c.nginx_test.v[3], "/etc/my nginx/nginx.conf");
	assert_int_equal(c.nginx_reload.n, 5);
	char prog[160];
	assert_string_equal(c.nginx_reload.v[0], in_path("sudo", prog, sizeof(prog)));
	assert_string_equal(c.nginx_reload.v[4], "reload");

	assert_int_equal(c.nsvcs, 1);
	const struct svc_conf *s = &c.svcs[0];
	assert_string_equal(s->name, "api");
	assert_int_equal(s->line, 18);
	assert_string_equal(s->image, "registry.example/api:2.1");
	assert_int_equal(s->command.n, 4);
	assert_string_equal(s->command.v[0], "/app");
	assert_string_equal(s->command.v[3], "--name=a b");
	assert_null(s->command.v[4]);
	assert_int_equal(s->env.n, 3);
	assert_string_equal(s->env.v[0], "MODE=prod");
	assert_string_equal(s->env.v[1], "GREETING=hello world");
	assert_string_equal(s->env.v[2], "EMPTY=");
	assert_null(s->env.v[3]);
	assert_int_equal(s->port, 9000);
	assert_string_equal(s->network, "backend-net");
	assert_true(s->cpus == 1.25);
	assert_int_equal(s->memory, 1536 * MiB);
	assert_false(s->init);
	assert_string_equal(s->health_path, "/ready?full=1");
	assert_int_equal(s->dp.min_replicas, 0);
	assert_int_equal(s->dp.max_replicas, 12);
	assert_int_equal(s->metrics, METRIC_BIT(METRIC_PROMETHEUS));
	assert_string_equal(s->query, "sum(rate(http_requests_total{job=\"api\"}[1m]))");
	assert_int_equal(s->dp.policy, POLICY_TARGET);
	assert_true(s->dp.up_threshold == 90.5);
	assert_true(s->dp.down_threshold == -3);
	assert_true(s->dp.target == 100);
	assert_true(s->dp.tolerance == 0.1);
	assert_int_equal(s->dp.up_for_ms, 30000);
	assert_int_equal(s->dp.down_for_ms, 120000);
	assert_int_equal(s->dp.up_step, 2);
	assert_int_equal(s->dp.down_step, 3);
	assert_int_equal(s->dp.up_cooldown_ms, 45000);
	assert_int_equal(s->dp.down_cooldown_ms, 3600000);
	assert_true(s->dp.smoothing == 0.3);
	assert_int_equal(s->dp.stale_ms, 0);
	assert_int_equal(s->start_timeout_ms, 90000);
	assert_int_equal(s->drain_ms, 0);
	assert_int_equal(s->stop_timeout_ms, 30000);
	assert_string_equal(s->upstream_file, "/etc/nginx/conf.d/api.conf");
	assert_string_equal(s->upstream_name, "api_v2.backend");
	assert_int_equal(s->up_alerts.n, 2);
	assert_string_equal(s->up_alerts.v[0], "ApiHot");
	assert_string_equal(s->up_alerts.v[1], "ApiQueueLong");
	assert_int_equal(s->down_alerts.n, 3);
	assert_string_equal(s->down_alerts.v[0], "ApiIdle");
	assert_string_equal(s->down_alerts.v[1], "ApiCold");
	assert_string_equal(s->down_alerts.v[2], "ApiNight");
	config_free(&c);
}

static void
test_syntax_variants(void **state)
{
	struct config c;
	struct config_errors e;
	/* BOM, CRLF, inline comments, ':' separator, spaces around the section name, a
	 * 198-character line (the longest allowed), several services */
	char text[1024];
	char q[200];
	memset(q, 'x', sizeof(q));
	q[198 - strlen("query = ")] = '\0';
	int n = snprintf(text, sizeof(text),
	                 "\xEF\xBB\xBF[daemon]\r\n"
	                 "listen = localhost:0 ; any port\r\n"
	                 "log_level: warning\r\n"
	                 "[ service  a ]   ; first\n"
	                 "image = a\n"
	                 "metric = prometheus\n"
	                 "query = %s\n"
	                 "[service b-2_x]\n"
	                 "image = b\n"
	                 "upstream_file = /etc/nginx/conf.d/b.conf\n"
	                 "metric = none\n"
	                 "min_replicas = 0\n"
	                 "url = x\n",
	                 q);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	/* the last line is "url" in a service: unknown */
	assert_int_equal(load_text(*state, text, &c, &e), -1);
	assert_int_equal(e.n, 1);
	assert_error(*state, &e, 0, 13, "unknown key 'url' in [service b-2_x]");
	assert_zeroed(&c);
	config_errors_free(&e);

	text[strlen(text) - strlen("url = x\n")] = '\0';
	assert_int_equal(load_text(*state, text, &c, &e), 0);
	dump_errors(&e);
	assert_int_equal(e.n, 0);
	assert_string_equal(c.listen, "localhost:0");
	assert_int_equal(c.log_level, LOG_WARNING);
	assert_int_equal(c.nsvcs, 2);
	assert_string_equal(c.svcs[0].name, "a");
	assert_int_equal(c.svcs[0].line, 4);
	assert_string_equal(c.svcs[0].query, q);
	assert_string_equal(c.svcs[1].name, "b-2_x");
	assert_int_equal(c.svcs[1].line, 8);
	assert_int_equal(c.svcs[1].metrics, 0);
	assert_int_equal(c.svcs[1].dp.min_replicas, 0);
	assert_ptr_equal(config_service(&c, "b-2_x"), &c.svcs[1]);
	config_free(&c);
}

static void
test_listen_forms(void **state)
{
	static const char *const ok[] = {
	    "127.0.0.1:9280", "0.0.0.0:1", "[::1]:9280", "[::]:0", "localhost:65535",
	    "127.9.8.7:1",    "10.0.0.1:80",
	};
	/* Off loopback the API needs the token (doc/api.md, "API limits"). */
	static const char *const exposed[] = {"0.0.0.0:1", "[::]:0", "10.0.0.1:80",
	                                      "128.0.0.1:80", "[::2]:80"};
	struct fx *f = *state;
	char tok[128];
	static const char *const bad[] = {
	    "127.0.0.1",   ":80",           "example.com:80", "[::1:80",
	    "1.2.3.4:",    "1.2.3.4:65536", "[::1]",          "1.2.3:80",
	    "1.2.3.4:80x", "1.2.3.4:-1",    "[1.2.3.4]:80",   "::1:80",
	};
	struct config c;
	struct config_errors e;
	char text[256];
	write_file(f, "tok-listen", "t\n", tok, sizeof(tok));
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_true(snprintf(text, sizeof(text), "[daemon]\nlisten = %s\ntoken_file = %s\n",
		                     ok[i], tok) < (int)sizeof(text));
		assert_int_equal(load_text(*state, text, &c, &e), 0);
		assert_string_equal(c.listen, ok[i]);
		config_free(&c);
	}
	for (size_t i = 0; i < sizeof(exposed) / sizeof(exposed[0]); i++) {
		assert_true(snprintf(text, sizeof(text), "[daemon]\nlog_level = info\nlisten = %s\n",
		                     exposed[i]) < (int)sizeof(text));
		assert_int_equal(load_text(*state, text, &c, &e), -1);
		assert_int_equal(e.n, 1);
		assert_error(*state, &e, 0, 3, "is not a loopback address; set token_file");
		config_errors_free(&e);
	}
	for (size_t i = 0; i < 5; i++) { /* the loopback forms need none */
		if (i == 1 || i == 3)
			continue;
		assert_true(snprintf(text, sizeof(text), "[daemon]\nlisten = %s\n", ok[i]) <
		            (int)sizeof(text));
		assert_int_equal(load_text(*state, text, &c, &e), 0);
		config_free(&c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(snprintf(text, sizeof(text), "[daemon]\nlisten = %s\n", bad[i]) <
		            (int)sizeof(text));
		assert_int_equal(load_text(*state, text, &c, &e), -1);
		assert_int_equal(e.n, 1);
		assert_error(*state, &e, 0, 2, "listen: ");
		config_errors_free(&e);
	}
}

static void
test_cannot_open(void **state)
{
	struct config c;
	struct config_errors e = {NULL, 0};
	char path[128];
	struct fx *f = *state;
	assert_true(snprintf(path, sizeof(path), "%s/missing.conf", f->dir) <
	            (int)sizeof(path));
	memset(&c, 0xAA, sizeof(c));
	assert_int_equal(config_load(path, &c, &e), -1);
	assert_zeroed(&c);
	assert_int_equal(e.n, 1);
	char want[256];
	assert_true(snprintf(want, sizeof(want), "%s: cannot open: %s", path,
	                     strerror(ENOENT)) < (int)sizeof(want));
	assert_string_equal(e.msg[0], want);
	config_errors_free(&e);
	assert_null(e.msg);
	assert_int_equal(e.n, 0);

	/* a directory opens but cannot be read */
	assert_int_equal(config_load(f->dir, &c, &e), -1);
	assert_int_equal(e.n, 1);
	assert_true(strstr(e.msg[0], strerror(EISDIR)) != NULL);
	config_errors_free(&e);
}

static void
test_errors_are_appended(void **state)
{
	struct config c;
	struct config_errors e;
	assert_int_equal(load_text(*state, "[x]\n", &c, &e), -1);
	assert_int_equal(config_load(((struct fx *)*state)->path, &c, &e), -1);
	assert_int_equal(e.n, 2);
	assert_error(*state, &e, 0, 1, "unknown section [x]");
	assert_error(*state, &e, 1, 1, "unknown section [x]");
	config_errors_free(&e);
}

/* ---- one file, its exact errors ----------------------------------------------------- */

/* clang-format off */
struct want {
	int line;
	const char *msg;
};

struct err_case {
	const char *name;
	const char *text;
	struct want want[12];
};

#define SVC "[service web]\nimage = app\n"

static const struct err_case err_cases[] = {
	/* doc/notifications.md: each bad value of [notify] on its line */
	{ "notify", "[notify]\nurl = ftp://x\nurl = https://\nurl = http://h/a b\n"
	    "url = http://h/hook\nurl = http://h/hook\nevents = decision, scaling\n"
	    "format = xml\ntoken_file = /no/such/token\ntoken_file = rel\ntimeout = 0\n"
	    "queue = 0\nretries = 21\n",
	    { { 2, "url: not an http:// or https:// URL" }, { 3, "url: the URL has no host" },
	      { 4, "url: a space or control character in the URL" },
	      { 6, "url: the same URL twice" },
	      { 7, "events: 'scaling' is not an event type" },
	      { 8, "format: 'xml' is not one of json, slack" },
	      { 9, "token_file /no/such/token: No such file or directory" },
	      { 10, "duplicate key 'token_file' (first on line 9)" },
	      { 11, "timeout: must be greater than 0" },
	      { 12, "queue: '0' is not an integer in 1..100000" },
	      { 13, "retries: '21' is not an integer in 0..20" } } },
	/* doc/configuration.md, "Choices the spec left open": every bound a lower layer has
	 * (Docker's stop timeout, the inspect and probe buffers, the webhook's field size, PATH)
	 * is a load error. */
#define A128 "aaaaaaaaaaaaaaaa" "aaaaaaaaaaaaaaaa" "aaaaaaaaaaaaaaaa" "aaaaaaaaaaaaaaaa" "aaaaaaaaaaaaaaaa" "aaaaaaaaaaaaaaaa" "aaaaaaaaaaaaaaaa" "aaaaaaaaaaaaaaaa"
#define A160 "aaaaaaaaaaaaaaaa" "aaaaaaaaaaaaaaaa" "aaaaaaaaaaaaaaaa" "aaaaaaaaaaaaaaaa" "aaaaaaaaaaaaaaaa" "aaaaaaaaaaaaaaaa" "aaaaaaaaaaaaaaaa" "aaaaaaaaaaaaaaaa" "aaaaaaaaaaaaaaaa" "aaaaaaaaaaaaaaaa"
	{ "lower-layer bounds", SVC "stop_timeout = 25h\nnetwork = " A128 "\n"
	    "health_path = /" A160 "\ncpus = 0.001\nscale_up_alerts = Up, " A128 "\n",
	    { { 3, "stop_timeout: must be at most 86400s" },
	      { 4, "network: 128 bytes long, at most 127" },
	      { 5, "health_path: 161 bytes long, at most 160" },
	      { 6, "cpus: must be 0 or >= 0.01 and <= 1024" },
	      { 7, "scale_up_alerts: 128 bytes long, at most 127" } } },
	{ "lower-layer forms", SVC "network = my net\nhealth_path = /h\xc3\xa9\n"
	    "[service b]\nimage = My/App:1\nupstream_file = /tmp/b.conf\nnetwork = -x\nhealth_path = /a#b\nstop_timeout = 86401\n",
	    { { 3, "network: 'my net' is not a Docker network name" },
	      { 4, "health_path: only ASCII" },
	      { 6, "image: 'My/App:1' is not a Docker image reference" },
	      { 8, "network: '-x' is not a Docker network name" },
	      { 9, "health_path: '/a#b' must start with '/' and contain no spaces or '#'" },
	      { 10, "stop_timeout: must be at most 86400s" } } },
	{ "rollout keys", SVC "rollout_surge = -1\nrollout_surge = 1001\nrollout_min_healthy = -2s\n"
	    "rollout_max_failures = 0\nrollout_min_healthy = soon\nrollout_surge = 1.5\n",
	    { { 3, "rollout_surge" }, { 4, "rollout_surge" }, { 5, "rollout_min_healthy" },
	      { 6, "rollout_max_failures" }, { 7, "rollout_min_healthy" },
	      { 8, "rollout_surge" } } },
	{ "create_parallel 0", SVC "create_parallel = 0\n",
	    { { 3, "create_parallel: '0' is not an integer in 1..64" } } },
	{ "create_parallel 65", SVC "create_parallel = 65\n",
	    { { 3, "create_parallel: '65' is not an integer in 1..64" } } },
	{ "create_parallel 1.5", SVC "create_parallel = 1.5\n",
	    { { 3, "create_parallel: '1.5' is not an integer in 1..64" } } },
	{ "programs", "[nginx]\ntest_command = no-such-prog -t\nreload_command = ./nginx -s reload\n"
	    "[nginx]\nreload_command = /no/such/nginx\n",
	    { { 2, "test_command: no-such-prog: not found in PATH" },
	      { 3, "reload_command: ./nginx: a program path must be absolute" },
	      { 4, "duplicate section [nginx]" },
	      { 5, "reload_command: /no/such/nginx: No such file or directory" } } },
	{ "unknown section", "[daemon]\n[deamon]\ninterval = 1s\nbogus = 1\n[daemon]\n",
	    { { 2, "unknown section [deamon] (expected daemon, docker, prometheus, nginx, notify, haproxy or service NAME)" },
	      { 5, "duplicate section [daemon] (first on line 1)" } } },
	{ "unknown key", "[daemon]\nintervall = 5s\n" SVC "replicas = 3\n",
	    { { 2, "unknown key 'intervall' in [daemon]" }, { 5, "unknown key 'replicas' in [service web]" } } },
	{ "unknown key continued", "[docker]\nsock = /x\n  more\n",
	    { { 2, "unknown key 'sock' in [docker]" } } },
	{ "bad service names",
	    "[service Web]\nimage = a\n[service a.b]\nimage = a\n[service -a]\nimage = a\n"
	    "[service]\nimage = a\n[service 0123456789012345678901234567890123456789012345678]\nimage = a\n"
	    "[service 012345678901234567890123456789012345678901234567]\nimage = a\n",
	    { { 1, "bad service name 'Web': use [a-z0-9_-], starting with a letter or digit" },
	      { 3, "bad service name 'a.b'" }, { 5, "bad service name '-a'" },
	      { 7, "[service] needs a name: [service NAME]" },
	      { 9, "service name '0123456789012345678901234567890123456789012345678' is longer than 48 characters" } } },
	{ "duplicate service", SVC "[service api]\nimage = b\nupstream_file = /b\n[service web]\nimage = c\nport = x\n",
	    { { 6, "duplicate service 'web' (first on line 1)" }, { 8, "port: 'x' is not an integer in 1..65535" } } },
	{ "duplicate key", SVC "port = 1\nport = 2\nimage = b\n",
	    { { 4, "duplicate key 'port' (first on line 3)" }, { 5, "duplicate key 'image' (first on line 2)" } } },
	{ "duplicate key after a bad value", SVC "port = 0\nport = 80\n",
	    { { 3, "port: '0' is not an integer in 1..65535" }, { 4, "duplicate key 'port' (first on line 3)" } } },
	{ "continuation", SVC "query = up\n  + 1\n\n   # comment\n\tscale_up_alerts = x\n",
	    { { 4, "indented line continues 'query', which takes one value (do not indent keys)" },
	      { 7, "indented line continues 'query'" } } },
	{ "malformed lines", "[daemon]\njust words\n" SVC "image\n[nginx]\ntest_command ; = x\n= 5\n : x\n",
	    { { 2, "expected 'key = value'" }, { 5, "expected 'key = value'" },
	      { 7, "expected 'key = value'" }, { 8, "missing key before '='" }, { 9, "missing key before ':'" } } },
	{ "bad headers", "[daemon\ninterval = 0\n[docker] x\ntimeout = 0\n[nginx] ; fine\ntest_command =\n",
	    { { 1, "section header lacks ']'" }, { 3, "unexpected text after section header" },
	      { 6, "test_command: must not be empty" } } },
	{ "key outside section", "interval = 5s\n  continued\n; c\nlisten = x\n[daemon]\n",
	    { { 1, "key 'interval' outside any section" }, { 4, "key 'listen' outside any section" } } },
	{ "bad numbers", SVC "port = 70000\ncpus = -1\nmemory = 5M\nmin_replicas = -1\nmax_replicas = 0\n"
	    "scale_up_step = 0\nscale_down_step = 1.5\ntarget = 0\n",
	    { { 3, "port: '70000' is not an integer in 1..65535" }, { 4, "cpus: must be 0 or >= 0.01 and <= 1024" },
	      { 5, "memory: must be 0 (unlimited) or at least 6M (Docker's minimum)" },
	      { 6, "min_replicas: '-1' is not an integer in 0..1000" },
	      { 7, "max_replicas: '0' is not an integer in 1..1000" },
	      { 8, "scale_up_step: '0' is not an integer in 1..1000" },
	      { 9, "scale_down_step: '1.5' is not an integer in 1..1000" }, { 10, "target: must be > 0" } } },
	{ "bad number syntax", SVC "cpus = 1,5\nscale_up_threshold = inf\nscale_down_threshold = nan\n"
	    "port = 80 80\nmemory = lots\ntarget = 1e999\nmax_replicas = 99999999999999999999\n",
	    { { 3, "cpus: '1,5' is not a number" }, { 4, "scale_up_threshold: 'inf' is not a number" },
	      { 5, "scale_down_threshold: 'nan' is not a number" },
	      { 6, "port: '80 80' is not an integer in 1..65535" },
	      { 7, "memory: 'lots' is not a size (e.g. 512M, 1G; 0 = unlimited)" },
	      { 8, "target: '1e999' is not a number" },
	      { 9, "max_replicas: '99999999999999999999' is not an integer in 1..1000" } } },
	{ "bad durations", "[daemon]\ninterval = 0\n[docker]\ntimeout = -1s\n[prometheus]\ntimeout = 5 s\n"
	    SVC "stop_timeout = 500ms\ndrain = 1d\nstart_timeout = 0s\nscale_up_for = 1y\n",
	    { { 2, "interval: must be greater than 0" },
	      { 4, "timeout: '-1s' is not a duration (e.g. 500ms, 15s, 2m, 1h; at most 366 days)" },
	      { 6, "timeout: '5 s' is not a duration" }, { 9, "stop_timeout: must be at least 1s" },
	      { 10, "drain: '1d' is not a duration" }, { 11, "start_timeout: must be greater than 0" },
	      { 12, "scale_up_for: '1y' is not a duration" } } },
	{ "stop_timeout whole seconds", SVC "stop_timeout = 1.5s\n",
	    { { 3, "stop_timeout: must be a whole number of seconds" } } },
	{ "min > max", "[service web]\nimage = a\nmin_replicas = 6\nmax_replicas = 5\n",
	    { { 1, "service web: min_replicas (6) is greater than max_replicas (5)" } } },
	{ "min > default max", SVC "min_replicas = 6\n",
	    { { 1, "service web: min_replicas (6) is greater than max_replicas (5)" } } },
	{ "min > bad max: one error", SVC "min_replicas = 6\nmax_replicas = x\n",
	    { { 4, "max_replicas: 'x' is not an integer in 1..1000" } } },
	{ "down == up", SVC "scale_up_threshold = 50\nscale_down_threshold = 50\n",
	    { { 1, "service web: scale_down_threshold (50) must be below scale_up_threshold (50)" } } },
	{ "down > default up", SVC "scale_down_threshold = 80\n",
	    { { 1, "service web: scale_down_threshold (80) must be below scale_up_threshold (75)" } } },
	{ "smoothing 0", SVC "smoothing = 0\n", { { 3, "smoothing: must be > 0 and <= 1" } } },
	{ "smoothing 1.5", SVC "smoothing = 1.5\n", { { 3, "smoothing: must be > 0 and <= 1" } } },
	{ "prometheus without query", SVC "metric = prometheus\nquery =\n",
	    { { 1, "service web: metric = prometheus needs a query" } } },
	{ "target policy without metric", SVC "metric = none\npolicy = target\n",
	    { { 1, "service web: policy = target needs a metric (metric = none only takes alerts)" } } },
	{ "predictive policy without metric", SVC "metric = none\npolicy = predictive\n",
	    { { 1, "service web: policy = predictive needs a metric (metric = none only takes alerts)" } } },
	{ "docker_memory without a memory limit", SVC "memory = 0\nmetric = docker_cpu, docker_memory\n",
	    { { 4, "service web: metric docker_memory needs a memory limit (memory = 0 is unlimited)" } } },
	{ "bad metric lists", SVC "metric = docker_cpu,docker_cpu\n[service b]\nimage = b\nupstream_file = /b\n"
	    "metric = none, docker_memory\n[service c]\nimage = c\nupstream_file = /c\nmetric = ,\n"
	    "[service d]\nimage = d\nupstream_file = /d\nmetric = docker_cpu docker_memoryx\n",
	    { { 3, "metric: docker_cpu is listed twice" },
	      { 7, "metric: none cannot be combined with other metrics" },
	      { 11, "metric: no metric given (none: alerts only)" },
	      { 15, "metric: 'docker_memoryx' is not one of docker_cpu, docker_memory, prometheus, requests, concurrency, latency, none" } } },
	{ "memory thresholds", SVC "memory_scale_up_threshold = 50\nmemory_scale_down_threshold = 60\n"
	    "memory_target = 0\nhorizon = -1s\npredict_alpha = 0\npredict_beta = 1.5\n",
	    { { 1, "service web: memory_scale_down_threshold (60) must be below memory_scale_up_threshold (50)" },
	      { 5, "memory_target: must be > 0" },
	      { 6, "horizon: '-1s' is not a duration" },
	      { 7, "predict_alpha: must be > 0 and <= 1" },
	      { 8, "predict_beta: must be > 0 and <= 1" } } },
	/* doc/traffic.md: the traffic metrics' keys and where their figures come from */
	{ "traffic keys", SVC "requests_target = 0\nconcurrency_target = x\nlatency_target = 0\n"
	    "latency_percentile = 100\nscale_down_victim = busiest\n",
	    { { 3, "requests_target: must be > 0" },
	      { 4, "concurrency_target: 'x' is not a number" },
	      { 5, "latency_target: must be greater than 0" },
	      { 6, "latency_percentile: must be > 0 and <= 99.9" },
	      { 7, "scale_down_victim: 'busiest' is not one of least_busy, newest, oldest" } } },
	{ "traffic metric without a balancer's traffic", SVC "balancer = none\nmetric = requests, docker_cpu\n",
	    { { 4, "service web: metric requests reads the traffic from the balancer, and balancer = none has none (nginx or haproxy)" } } },
	{ "traffic metric behind nginx without the access log", SVC "metric = latency\n",
	    { { 1, "service web: its traffic metrics need [nginx] access_log_socket" } } },
	{ "access log socket path", "[nginx]\naccess_log_socket = relative.sock\n",
	    { { 2, "access_log_socket" } } },
	{ "access log socket path too long for sun_path", "[nginx]\naccess_log_socket = /" A128 "\n",
	    { { 2, "access_log_socket: 129 bytes long, at most 107" } } },
	{ "memory down > default up", SVC "memory_scale_down_threshold = 85\n",
	    { { 1, "service web: memory_scale_down_threshold (85) must be below memory_scale_up_threshold (80)" } } },
	{ "bad enums", SVC "metric = cpu\npolicy = hpa\n[daemon]\nlog_level = warn\ndry_run = maybe\n",
	    { { 3, "metric: 'cpu' is not one of docker_cpu, docker_memory, prometheus, requests, concurrency, latency, none" },
	      { 4, "policy: 'hpa' is not one of threshold, target, predictive" },
	      { 6, "log_level: 'warn' is not one of debug, info, notice, warning, err" },
	      { 7, "dry_run: 'maybe' is not a boolean (true/false, yes/no, on/off, 1/0)" } } },
	/* doc/compose.md: both keys or neither; the
	 * container definition is then compose's alone (every F_CTR key refused). */
	{ "compose keys", "[service web]\nimage = app\ncompose_project = shop\ncompose_service = web\n"
	    "env = A=1\nmemory = 1G\nport = 80\nnetwork = shop_default\nhealth_path = /h\n"
	    "[service a]\ncompose_project = shop\nupstream_file = /a\n"
	    "[service b]\nupstream_file = /b\ncompose_service = web\ninit = false\n"
	    "[service c]\nupstream_file = /c\ncompose_project = Shop\ncompose_service = -web\n"
	    "[service d]\nupstream_file = /d\ncompose_project = shop.x\ncompose_service = w eb\n",
	    { { 2, "service web: image cannot be set with compose_project/compose_service (the "
	        "container definition comes from the compose container)" },
	      { 5, "service web: env cannot be set with compose_project/compose_service" },
	      { 6, "service web: memory cannot be set with compose_project/compose_service" },
	      { 11, "service a: compose_project needs compose_service" },
	      { 15, "service b: compose_service needs compose_project" },
	      { 16, "service b: init cannot be set with compose_project/compose_service" },
	      { 19, "compose_project: 'Shop' is not a docker-compose project name ([a-z0-9][a-z0-9_-]*)" },
	      { 20, "compose_service: '-web' is not a docker-compose service name" },
	      { 23, "compose_project: 'shop.x' is not a docker-compose project name" },
	      { 24, "compose_service: 'w eb' is not a docker-compose service name" } } },
	/* doc/registry.md. */
	{ "pull keys", SVC "pull = sometimes\npull = always\n[docker]\npull_timeout = 0\n"
	    "registry_auth_file = auth.json\n[docker]\npull_timeout = 25h\n",
	    { { 3, "pull: 'sometimes' is not one of missing, always, never" },
	      { 4, "duplicate key 'pull' (first on line 3)" },
	      { 6, "pull_timeout: must be greater than 0" },
	      { 7, "registry_auth_file: 'auth.json' is not an absolute path" },
	      { 8, "duplicate section [docker] (first on line 5)" },
	      { 9, "pull_timeout: must be at most 86400s" } } },
	/* doc/scaling.md, "Counters from the kernel". */
	{ "stats_source", "[docker]\nstats_source = kernel\nstats_source = api\n[docker]\n"
	    "stats_source =\n",
	    { { 2, "stats_source: 'kernel' is not one of auto, cgroup, api" },
	      { 3, "duplicate key 'stats_source' (first on line 2)" },
	      { 4, "duplicate section [docker] (first on line 1)" },
	      { 5, "stats_source: '' is not one of auto, cgroup, api" } } },
	{ "missing image", "[service web]\nport = 80\n[service api]\nimage =\nupstream_file = /x\n",
	    { { 1, "service web: image is required" }, { 4, "image: must be one non-empty word" } } },
	{ "duplicate upstream_file", SVC "[service b]\nimage = b\n[service c]\nimage = c\nupstream_file = /c\n"
	    "[service d]\nimage = d\nupstream_file = /c\n",
	    { { 3, "service b: upstream_file /etc/nginx/conf.d/backend.conf is also used by service web; each service needs its own" },
	      { 8, "service d: upstream_file /c is also used by service c; each service needs its own" } } },
	{ "bad paths and names", "[daemon]\nlock_file = run/x.lock\n[docker]\nsocket = /run/"
	    "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789/d.sock\n"
	    SVC "health_path = health\nupstream_file = backend.conf\nupstream_name = my backend\n",
	    { { 2, "lock_file: 'run/x.lock' is not an absolute path" }, { 4, "socket: path longer than 107 bytes" },
	      { 7, "health_path: 'health' must start with '/' and contain no spaces" },
	      { 8, "upstream_file: 'backend.conf' is not an absolute path" },
	      { 9, "upstream_name: 'my backend' must match [A-Za-z0-9_.-]+" } } },
	{ "bad url", "[prometheus]\nurl = 127.0.0.1:9090\n[prometheus]\nurl = http://\n",
	    { { 2, "url: '127.0.0.1:9090' is not an http:// or https:// URL" },
	      { 3, "duplicate section [prometheus] (first on line 1)" },
	      { 4, "url: 'http://' is not an http:// or https:// URL" } } },
	{ "bad env, argv and alerts", SVC "env = NOEQUALS\nenv = =x\nenv = A B=1\nenv = A=1\nenv = A=2\n"
	    "command = sh -c \"echo\nscale_up_alerts = Hot, Busy\nscale_down_alerts = Idle Busy\n",
	    { { 1, "service web: alert 'Busy' is in both scale_up_alerts and scale_down_alerts" },
	      { 3, "env: 'NOEQUALS' is not NAME=value" }, { 4, "env: '=x' is not NAME=value" },
	      { 5, "env: 'A B=1' is not NAME=value" }, { 7, "env: A is set twice" },
	      { 8, "command: unterminated double quote" } } },
	{ "several problems",
	    "stray = 1\n"                 /* 1 */
	    "[daemon]\n"                  /* 2 */
	    "interval = fast\n"           /* 3 */
	    "what is this\n"              /* 4 */
	    "[service web]\n"             /* 5: no image */
	    "port = 0\n"                  /* 6 */
	    "port = 1\n"                  /* 7 */
	    "[service web]\n"             /* 8 */
	    "image = a\n"                 /* 9 */
	    "[service two]\n"             /* 10 */
	    "image = b\n"                 /* 11 */
	    "min_replicas = 9\n"          /* 12: > max */
	    "[bogus]\n"                   /* 13 */
	    "anything = at all\n",        /* 14: not reported */
	    { { 1, "key 'stray' outside any section" }, { 3, "interval: 'fast' is not a duration" },
	      { 4, "expected 'key = value'" }, { 5, "service web: image is required" },
	      { 6, "port: '0'" }, { 7, "duplicate key 'port' (first on line 6)" },
	      { 8, "duplicate service 'web' (first on line 5)" }, { 10, "service two: min_replicas (9)" },
	      { 10, "service two: upstream_file /etc/nginx/conf.d/backend.conf is also used by service web" },
	      { 13, "unknown section [bogus]" } } },
};

/* clang-format on */

/* metric takes a list (doc/scaling.md, "Several metrics"); the predictive keys parse. */
static void
test_metric_list(void **state)
{
	static const char text[] = "[service web]\nimage = a\nmetric = docker_memory,prometheus "
	    "docker_cpu\nquery = up\npolicy = predictive\nhorizon = 45s\npredict_alpha = 1\n"
	    "predict_beta = 0.05\nmemory_scale_up_threshold = 90\nmemory_scale_down_threshold = "
	    "-1\nmemory_target = 55.5\n";
	struct config c;
	struct config_errors e = { 0 };
	FILE *fp = fmemopen((void *)text, sizeof text - 1, "r");

	assert_non_null(fp);
	assert_int_equal(config_load_stream(fp, "m.conf", &c, &e), 0);
	fclose(fp);
	assert_int_equal(c.svcs[0].metrics, METRIC_BIT(METRIC_DOCKER_CPU) |
	    METRIC_BIT(METRIC_DOCKER_MEMORY) | METRIC_BIT(METRIC_PROMETHEUS));
	assert_int_equal(c.svcs[0].dp.policy, POLICY_PREDICTIVE);
	assert_int_equal(c.svcs[0].dp.horizon_ms, 45000);
	assert_true(c.svcs[0].dp.predict_alpha == 1 && c.svcs[0].dp.predict_beta == 0.05);
	assert_true(c.svcs[0].mem_up_threshold == 90 && c.svcs[0].mem_down_threshold == -1);
	assert_true(c.svcs[0].mem_target == 55.5);
	assert_string_equal(config_metric_name(METRIC_DOCKER_MEMORY), "docker_memory");
	assert_string_equal(config_metric_name(METRIC_KINDS), "none");
	config_free(&c);
	config_errors_free(&e);
}

/* A key another makes moot loads, with a FILE:LINE warning (doc/traffic.md). */
static void
test_warnings(void **state)
{
	struct fx *f = *state;
	struct config c;
	struct config_errors e = { 0 };
	static const char *const want[] = {
		":5: service web: requests_target has no effect: the service has no metric "
		"requests",
		":6: service web: latency_percentile has no effect with balancer = haproxy",
		":9: service b: upstream_file has no effect: only balancer = nginx reads the "
		"upstream file",
		":11: service b: scale_down_victim = least_busy has no traffic data with "
		"balancer = none",
		": [nginx] access_log_socket has no effect: no service has balancer = nginx",
	};

	int r = load_text(f, "[service web]\nimage = app\nbalancer = haproxy\nhaproxy_backend = be\n"
	    "requests_target = 5\nlatency_percentile = 90\n"
	    "[service b]\nimage = b\nupstream_file = /tmp/b.conf\nbalancer = none\n"
	    "scale_down_victim = least_busy\n"
	    "[nginx]\naccess_log_socket = /run/x.sock\n", &c, &e);

	dump_errors(&e);
	assert_int_equal(r, 0);
	for (size_t i = 0; i < c.warnings.n; i++)
		print_message("warning: %s\n", c.warnings.v[i]);
	assert_int_equal(c.warnings.n, 5);
	for (size_t i = 0; i < 5; i++) {
		bool found = false;

		for (size_t j = 0; j < c.warnings.n && !found; j++)
			found = strstr(c.warnings.v[j], want[i]) != NULL;
		if (!found)
			fail_msg("no warning says \"%s\"", want[i]);
	}
	config_free(&c);
	config_errors_free(&e);
}

/* [notify]: defaults, every key read, and the keys that do nothing without a url. */
static void
test_notify(void **state)
{
	struct fx *f = *state;
	struct config c;
	struct config_errors e = { 0 };
	char tok[sizeof(f->path)], text[1024];
	struct event rep = { .type = EV_REPLICA, .failure = true };

	write_file(f, "tok", "s3cret\n", tok, sizeof(tok));
	assert_int_equal(load_text(f, "[daemon]\n", &c, &e), 0);
	assert_int_equal(c.notify.urls.n, 0);
	assert_int_equal(c.notify.timeout_ms, 5000);
	assert_int_equal(c.notify.queue, 1000);
	assert_int_equal(c.notify.retries, 3);
	assert_int_equal(c.notify.format, NOTIFY_JSON);
	assert_true(notify_selected(&c.notify.sel, &rep)); /* failed_start by default */
	rep.failure = false;
	assert_false(notify_selected(&c.notify.sel, &rep));
	config_free(&c);
	snprintf(text, sizeof(text), "[notify]\nurl = https://hooks.example/a/\n"
	    "url = http://127.0.0.1:9/x\nevents = all\nformat = slack\ntoken_file = %s\n"
	    "timeout = 2s\nqueue = 10\nretries = 0\n", tok);
	assert_int_equal(load_text(f, text, &c, &e), 0);
	dump_errors(&e);
	assert_int_equal(c.notify.urls.n, 2);
	assert_string_equal(c.notify.urls.v[0], "https://hooks.example/a/"); /* kept as is */
	assert_string_equal(c.notify.token, "s3cret");
	assert_int_equal(c.notify.format, NOTIFY_SLACK);
	assert_int_equal(c.notify.timeout_ms, 2000);
	assert_int_equal(c.notify.queue, 10);
	assert_int_equal(c.notify.retries, 0);
	assert_true(notify_selected(&c.notify.sel, &rep));
	assert_int_equal(c.warnings.n, 0);
	config_free(&c);
	/* format = json is the default: written out, it says nothing either way */
	assert_int_equal(load_text(f, "[notify]\nevents = all\nretries = 1\nformat = json\n", &c, &e), 0);
	assert_int_equal(c.warnings.n, 2);
	assert_non_null(strstr(c.warnings.v[0], ":2: [notify] events has no effect without url"));
	assert_non_null(strstr(c.warnings.v[1], ":3: [notify] retries has no effect without url"));
	config_free(&c);
	config_errors_free(&e);
}

/* doc/headroom.md: the keys' defaults, their values, each bad value an error on its line,
 * and a reserve as large as the host a warning, not an error. */
static void
test_headroom_keys(void **state)
{
	struct fx *f = *state;
	struct config c;
	struct config_errors e = { 0 };
	static const struct {
		const char *text;
		int line;
		const char *want;
	} bad[] = {
		{ "[daemon]\nreserve_memory = lots\n", 2, "reserve_memory: 'lots' is not a size" },
		{ "[daemon]\nreserve_memory = -1m\n", 2, "reserve_memory: '-1m' is not a size" },
		{ "[daemon]\nreserve_memory = 5x\n", 2, "reserve_memory: '5x' is not a size" },
		{ "[daemon]\nreserve_cpus = -1\n", 2, "reserve_cpus: must be >= 0" },
		{ "[daemon]\nreserve_cpus = two\n", 2, "reserve_cpus: 'two' is not a number" },
		{ "[daemon]\nreserve_cpus = 2000\n", 2, "reserve_cpus: must be >= 0 and <= 1024" },
		{ "[service web]\nimage = app\npriority = high\n", 3,
		  "priority: 'high' is not an integer in -1000..1000" },
		{ "[service web]\nimage = app\npriority = 1.5\n", 3,
		  "priority: '1.5' is not an integer" },
		{ "[service web]\nimage = app\npriority = 1001\n", 3,
		  "priority: '1001' is not an integer in -1000..1000" },
	};

	assert_int_equal(load_text(f, "[service web]\nimage = app\n", &c, &e), 0);
	assert_int_equal(c.reserve_memory, 0);
	assert_true(c.reserve_cpus == 0);
	assert_int_equal(c.svcs[0].priority, 0);
	config_free(&c);

	assert_int_equal(load_text(f, "[daemon]\nreserve_memory = 1m\nreserve_cpus = 0.5\n"
	    "[service web]\nimage = app\npriority = -3\n", &c, &e), 0);
	assert_int_equal(c.reserve_memory, MiB); /* below Docker's 6M minimum: fine here */
	assert_true(c.reserve_cpus == 0.5);
	assert_int_equal(c.svcs[0].priority, -3);
	assert_int_equal(c.warnings.n, 0); /* one service with a priority: nothing to say */
	config_free(&c);

	assert_int_equal(load_text(f, "[daemon]\nreserve_memory = 1048576g\n", &c, &e), 0);
	assert_int_equal(c.warnings.n, 1);
	if (strstr(c.warnings.v[0], ":2: reserve_memory: 1073741824 MiB is not below this "
	    "host's memory") == NULL)
		fail_msg("warning: %s", c.warnings.v[0]);
	config_free(&c);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load_text(f, bad[i].text, &c, &e), -1);
		if (e.n != 1 || !check_error(f, &e, 0, bad[i].line, bad[i].want))
			fail_msg("case %zu: %s", i, bad[i].text);
		config_errors_free(&e);
	}
}

static void
test_error_cases(void **state)
{
	struct fx *f = *state;
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *ec = &err_cases[i];
		struct config c;
		struct config_errors e;
		size_t nwant = 0;
		while (nwant < 12 && ec->want[nwant].msg)
			nwant++;
		assert_int_equal(load_text(f, ec->text, &c, &e), -1);
		assert_zeroed(&c);
		bool ok = e.n == nwant;
		if (!ok) {
			dump_errors(&e);
			print_message("%zu errors, expected %zu\n", e.n, nwant);
		}
		for (size_t j = 0; ok && j < nwant; j++)
			ok = check_error(f, &e, j, ec->want[j].line, ec->want[j].msg);
		if (!ok) {
			print_message("in case '%s'\n", ec->name);
			fail();
		}
		config_errors_free(&e);
	}
}

static void
test_long_lines(void **state)
{
	struct config c;
	struct config_errors e;
	char text[8192], big[1001];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* 199 characters: one too many; the rest of a very long line is swallowed; long
	 * comment lines are fine */
	int n = snprintf(text, sizeof(text),
	                 "[daemon]\nlock_file = /%.186s\nlisten = %s\nlog_level = loud\n%s\n"
	                 "# %s\n[service a]\nimage = a\n   ; %s\n",
	                 big, big, big, big, big);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	assert_int_equal(load_text(*state, text, &c, &e), -1);
	assert_int_equal(e.n, 4);
	assert_error(*state, &e, 0, 2, "line too long (199 characters, at most 198)");
	assert_error(*state, &e, 1, 3, "line too long (1009 characters, at most 198)");
	assert_error(*state, &e, 2, 4, "log_level: 'loud'");
	assert_error(*state, &e, 3, 5, "line too long (1000 characters, at most 198)");
	config_errors_free(&e);
	/* 198 characters is fine */
	n = snprintf(text, sizeof(text), "[daemon]\nlock_file = /%.185s\n# %s\n", big, big);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	assert_int_equal(load_text(*state, text, &c, &e), 0);
	assert_int_equal(strlen(c.lock_file), 186);
	config_free(&c);
}

/* registry_auth_file is read at load: its errors are the key's FILE:LINE errors, and
 * never show a credential (doc/registry.md). */
static void
test_registry_auth_file(void **state)
{
	static const struct {
		const char *json, *err;
	} bad[] = {
		{ "not json", "not a JSON object" },
		{ "{\"auths\": []}", "\"auths\" is not an object" },
		{ "{\"auths\": {\"reg:5000\": 7}}", "auths entry \"reg:5000\" is not an object" },
		{ "{\"auths\": {\"reg:5000\": {\"auth\": \"c2VjcmV0\"}}}",
		  "auths entry reg:5000: \"auth\" is not base64 of user:password" },
		{ "{\"auths\": {\"reg:5000\": {\"auth\": \"!!!!\"}}}",
		  "auths entry reg:5000: \"auth\" is not base64 of user:password" },
	};
	struct fx *f = *state;
	struct config c;
	struct config_errors e;
	char auth[160], text[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(f, "auth.json", bad[i].json, auth, sizeof(auth));
		snprintf(text, sizeof(text), "[docker]\nregistry_auth_file = %s\n", auth);
		assert_int_equal(load_text(f, text, &c, &e), -1);
		assert_int_equal(e.n, 1);
		assert_error(f, &e, 0, 2, bad[i].err);
		assert_null(strstr(e.msg[0], "secret"));
		config_errors_free(&e);
	}
	snprintf(text, sizeof(text), "[docker]\nregistry_auth_file = %s/none.json\n", f->dir);
	assert_int_equal(load_text(f, text, &c, &e), -1);
	assert_error(f, &e, 0, 2, strerror(ENOENT));
	config_errors_free(&e);
	/* a good one: user:password in "auth", a token, a helper's empty placeholder */
	write_file(f, "auth.json", "{\"auths\": {\"http://127.0.0.1:5000/v2/\": {\"auth\": "
	    "\"dTpwOnc=\"}, \"https://index.docker.io/v1/\": {\"identitytoken\": \"tok\"}, "
	    "\"ghcr.io\": {}}, \"credsStore\": \"desktop\"}", auth, sizeof(auth));
	snprintf(text, sizeof(text), "[docker]\nregistry_auth_file = %s\npull_timeout = 90s\n", auth);
	assert_int_equal(load_text(f, text, &c, &e), 0);
	assert_int_equal(c.pull_timeout_ms, 90000);
	assert_int_equal(c.regauth.n, 2);
	assert_string_equal(c.regauth.v[0].host, "127.0.0.1:5000");
	assert_string_equal(c.regauth.v[0].username, "u");
	assert_string_equal(c.regauth.v[0].password, "p:w");
	assert_string_equal(c.regauth.v[1].host, "docker.io");
	assert_string_equal(c.regauth.v[1].token, "tok");
	config_free(&c);
}

static void
test_allowed_hosts(void **state)
{
	static const char *const bad[] = {"-x.example", ".example", "example.", "exa_mple",
	                                  "a/b", "ex*ample"};
	struct config c;
	struct config_errors e;
	char text[512];

	assert_int_equal(load_text(*state, "[daemon]\n", &c, &e), 0);
	assert_int_equal(c.allowed_hosts.n, 0);
	config_free(&c);
	assert_int_equal(load_text(*state,
	                           "[daemon]\nallowed_hosts = dockscale.internal, Host-2  x\n",
	                           &c, &e),
	                 0);
	assert_int_equal(c.allowed_hosts.n, 3);
	assert_string_equal(c.allowed_hosts.v[0], "dockscale.internal");
	assert_string_equal(c.allowed_hosts.v[1], "Host-2");
	assert_string_equal(c.allowed_hosts.v[2], "x");
	config_free(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(snprintf(text, sizeof(text), "[daemon]\n\nallowed_hosts = ok.example %s\n",
		                     bad[i]) < (int)sizeof(text));
		assert_int_equal(load_text(*state, text, &c, &e), -1);
		assert_int_equal(e.n, 1);
		assert_error(*state, &e, 0, 3, "allowed_hosts: '");
		config_errors_free(&e);
	}
}

static void
test_token_file(void **state)
{
	struct fx *f = *state;
	struct config c;
	struct config_errors e;
	char tok[128], text[512];

	/* ok: surrounding whitespace and the newline are stripped */
	write_file(f, "tok-ok", "  abc.DEF-123_x\r\n\n", tok, sizeof(tok));
	assert_true(snprintf(text, sizeof(text), "[daemon]\ntoken_file = %s\n", tok) <
	            (int)sizeof(text));
	assert_int_equal(load_text(f, text, &c, &e), 0);
	assert_string_equal(c.token, "abc.DEF-123_x");
	config_free(&c);

	/* missing */
	assert_true(snprintf(tok, sizeof(tok), "%s/no-such-token", f->dir) < (int)sizeof(tok));
	assert_true(snprintf(text, sizeof(text), "[daemon]\n\ntoken_file = %s\n", tok) <
	            (int)sizeof(text));
	assert_int_equal(load_text(f, text, &c, &e), -1);
	assert_int_equal(e.n, 1);
	char want[256];
	assert_true(snprintf(want, sizeof(want), "token_file %s: %s", tok, strerror(ENOENT)) <
	            (int)sizeof(want));
	assert_error(f, &e, 0, 3, want);
	config_errors_free(&e);

	/* empty, blank, with a space, two lines */
	static const char *const bad[] = {"", " \n\n", "SECRET VALUE\n", "SECRET\nVALUE\n"};
	static const char *const why[] = {"empty token", "empty token",
	                                  "one line without spaces", "one line without spaces"};
	for (size_t i = 0; i < 4; i++) {
		write_file(f, "tok-bad", bad[i], tok, sizeof(tok));
		assert_true(snprintf(text, sizeof(text), "[daemon]\ntoken_file = %s\n", tok) <
		            (int)sizeof(text));
		assert_int_equal(load_text(f, text, &c, &e), -1);
		assert_int_equal(e.n, 1);
		assert_error(f, &e, 0, 2, why[i]);
		assert_null(strstr(e.msg[0], "SECRET"));
		config_errors_free(&e);
	}
}

static void
test_example_conf(void **state)
{
	const char *srcdir = getenv("DOCKSCALE_SRCDIR");
	char path[PATH_MAX];
	struct config c;
	struct config_errors e = {NULL, 0};
	assert_true(snprintf(path, sizeof(path), "%s/conf/dockscale.conf",
	                     srcdir ? srcdir : ".") < (int)sizeof(path));
	int r = config_load(path, &c, &e);
	dump_errors(&e);
	assert_int_equal(r, 0);
	assert_int_equal(e.n, 0);
	/* every value shown is the default */
	assert_daemon_defaults(&c);
	assert_int_equal(c.nsvcs, 1);
	assert_string_equal(c.svcs[0].name, "web");
	assert_string_equal(c.svcs[0].image, "dockscale-demo:latest");
	assert_int_equal(c.svcs[0].metrics, METRIC_BIT(METRIC_DOCKER_CPU));
	assert_service_defaults(&c.svcs[0]);
	config_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_durations),
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_bools),
	    cmocka_unit_test(test_split_argv),
	    cmocka_unit_test(test_strv),
	    cmocka_unit_test(test_image_refs),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_registry_auth_file),
	    cmocka_unit_test(test_no_service),
	    cmocka_unit_test(test_compose_service),
	    cmocka_unit_test(test_full_file),
	    cmocka_unit_test(test_syntax_variants),
	    cmocka_unit_test(test_listen_forms),
	    cmocka_unit_test(test_allowed_hosts),
	    cmocka_unit_test(test_cannot_open),
	    cmocka_unit_test(test_errors_are_appended),
	    cmocka_unit_test(test_error_cases),
	    cmocka_unit_test(test_headroom_keys),
	    cmocka_unit_test(test_warnings),
	    cmocka_unit_test(test_notify),
	    cmocka_unit_test(test_metric_list),
	    cmocka_unit_test(test_long_lines),
	    cmocka_unit_test(test_token_file),
	    cmocka_unit_test(test_example_conf),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
