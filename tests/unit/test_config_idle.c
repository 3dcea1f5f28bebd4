/* test_config_idle.c: the sleep keys (idle_after, idle_cpu_below, idle_ignore_*,
 * depends_on): defaults, each error on its line, the warnings, and the ignore matcher. */
#define _GNU_SOURCE /* fmemopen */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_testutil.h"
#include "idlematch.h"

#define LOG "[nginx]\naccess_log_socket = /run/dockscale-test.sock\n"
/* lines 3..7 */
#define WEB "[service web]\nimage = app:1\nmin_replicas = 0\nwake_listen = 127.0.0.1:9901\n"

static void
test_defaults(void **state)
{
	struct config c;
	struct config_errors e;

	(void)state;
	assert_int_equal(load("[service web]\nimage = app:1\n", &c, &e), 0);
	assert_int_equal(c.svcs[0].idle_after_ms, 0);
	assert_true(c.svcs[0].idle_cpu_below == 0);
	assert_int_equal(c.svcs[0].idle_ignore_agents.n, 0);
	assert_int_equal(c.svcs[0].idle_ignore_paths.n, 0);
	assert_int_equal(c.svcs[0].depends_on.n, 0);
	config_free(&c);
}

static void
test_good(void **state)
{
	struct config c;
	struct config_errors e;
	const char *text = LOG WEB "idle_after = 5s\nidle_cpu_below = 5\n"
	    "idle_ignore_user_agent = Uptime-Kuma, UptimeRobot\n"
	    "idle_ignore_path = /health /status/*\ndepends_on = db\n"
	    "[service db]\nimage = db:1\nmin_replicas = 0\nbalancer = none\nidle_after = 10s\n";

	(void)state;
	if (load(text, &c, &e) != 0)
		for (size_t i = 0; i < e.n; i++)
			print_message("  error[%zu]: %s\n", i, e.msg[i]);
	assert_int_equal(e.n, 0);
	assert_int_equal(c.svcs[0].idle_after_ms, 5000);
	assert_true(c.svcs[0].idle_cpu_below == 5);
	assert_int_equal(c.svcs[0].idle_ignore_agents.n, 2);
	assert_string_equal(c.svcs[0].idle_ignore_paths.v[1], "/status/*");
	assert_string_equal(c.svcs[0].depends_on.v[0], "db");
	assert_int_equal(c.warnings.n, 0);
	config_free(&c);
}

/* Each bad text gives exactly one error, on its line, saying this. */
static const struct {
	const char *text;
	int line;
	const char *want;
} bad[] = {
	{ LOG WEB "idle_after = soon\n", 7, "idle_after" },
	{ LOG WEB "idle_after = -1s\n", 7, "idle_after" },
	{ LOG WEB "idle_after = 25h\n", 7, "idle_after" },
	{ LOG WEB "idle_after = 5s\nidle_cpu_below = 101\n", 8, "idle_cpu_below" },
	{ LOG WEB "idle_after = 5s\nidle_cpu_below = -1\n", 8, "idle_cpu_below" },
	{ LOG WEB "idle_after = 5s\nidle_ignore_path = health\n", 8, "does not start with /" },
	{ LOG WEB "idle_after = 5s\nidle_ignore_path = /a*b\n", 8, "only PREFIX*" },
	{ LOG WEB "idle_after = 5s\nidle_ignore_path = /a?x=1\n", 8, "query" },
	{ LOG "[service db]\nimage = db:1\nbalancer = none\nidle_after = 5s\n[service web]\n"
	  "image = app:1\nbalancer = none\ndepends_on = db\nupstream_file = /etc/nginx/w.conf\n",
	  6, "min_replicas = 0" },
	{ LOG "[service web]\nimage = app:1\nmin_replicas = 0\nidle_after = 5s\n", 6,
	  "needs wake_listen" },
	{ WEB "idle_after = 5s\n", 1, "access_log_socket" },
	{ LOG "[service db]\nimage = db:1\nmin_replicas = 0\nbalancer = none\n"
	  "idle_after = 5s\n", 3, "depends_on it" },
	{ LOG WEB "depends_on = web\n", 7, "itself" },
	{ LOG WEB "depends_on = nosuch\n", 7, "not a [service]" },
	{ LOG WEB "depends_on = db, db\n[service db]\nimage = db:1\nbalancer = none\n"
	  "upstream_file = /etc/nginx/db.conf\n", 7,
	  "twice" },
	{ LOG WEB "idle_ignore_user_agent = "
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
	  7, "idle_ignore_user_agent" },
};

static void
test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config c;
		struct config_errors e;
		char prefix[64];

		if (bad[i].want == NULL)
			continue;
		print_message("case %zu\n", i);
		if (bad[i].line > 0)
			snprintf(prefix, sizeof(prefix), "m.conf:%d: ", bad[i].line);
		else
			snprintf(prefix, sizeof(prefix), "m.conf: ");
		assert_int_equal(load(bad[i].text, &c, &e), -1);
		for (size_t j = 0; j < e.n; j++)
			print_message("  error[%zu]: %s\n", j, e.msg[j]);
		assert_int_equal(e.n, 1);
		assert_memory_equal(e.msg[0], prefix, strlen(prefix));
		assert_non_null(strstr(e.msg[0], bad[i].want));
		config_errors_free(&e);
	}
}

/* A cycle is named whole, once on each service of it. */
static void
test_cycle(void **state)
{
	struct config c;
	struct config_errors e;
	const char *text = "[service a]\nimage = a:1\nupstream_file = /etc/nginx/a.conf\ndepends_on = b\nbalancer = none\n"
	    "[service b]\nimage = b:1\nupstream_file = /etc/nginx/b.conf\ndepends_on = c\nbalancer = none\n"
	    "[service c]\nimage = c:1\nupstream_file = /etc/nginx/c.conf\ndepends_on = a\nbalancer = none\n"
	    "[service d]\nimage = d:1\nupstream_file = /etc/nginx/d.conf\ndepends_on = a\nbalancer = none\n";

	(void)state;
	assert_int_equal(load(text, &c, &e), -1);
	for (size_t j = 0; j < e.n; j++)
		print_message("  error[%zu]: %s\n", j, e.msg[j]);
	assert_int_equal(e.n, 3);
	assert_non_null(strstr(e.msg[0], "m.conf:4: service a: depends_on makes a cycle (a -> b -> c -> a)"));
	assert_non_null(strstr(e.msg[1], "m.conf:9: service b: depends_on makes a cycle (b -> c -> a -> b)"));
	assert_non_null(strstr(e.msg[2], "m.conf:14: service c: depends_on makes a cycle"));
	config_errors_free(&e);
}

static const struct {
	const char *text;
	const char *want; /* in the one warning */
} warns[] = {
	{ LOG WEB "idle_cpu_below = 5\n", "m.conf:7: service web: idle_cpu_below has no effect "
	  "without idle_after" },
	{ LOG WEB "idle_ignore_path = /health\n", "m.conf:7: service web: idle_ignore_path has "
	  "no effect without idle_after" },
	{ "[service web]\nimage = app:1\nmin_replicas = 0\nwake_listen = 127.0.0.1:9901\n"
	  "balancer = haproxy\nhaproxy_backend = b\nidle_after = 5s\nidle_ignore_user_agent = kuma\n",
	  "m.conf:8: service web: idle_ignore_user_agent is applied only at the wake listener" },
};

static void
test_warnings(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(warns) / sizeof(warns[0]); i++) {
		struct config c;
		struct config_errors e;

		print_message("case %zu\n", i);
		if (load(warns[i].text, &c, &e) != 0)
			for (size_t j = 0; j < e.n; j++)
				print_message("  error[%zu]: %s\n", j, e.msg[j]);
		assert_int_equal(e.n, 0);
		for (size_t j = 0; j < c.warnings.n; j++)
			print_message("  warning[%zu]: %s\n", j, c.warnings.v[j]);
		assert_int_equal(c.warnings.n, 1);
		assert_non_null(strstr(c.warnings.v[0], warns[i].want));
		config_free(&c);
	}
}

static const struct {
	const char *path, *agent;
	bool ignored;
} rows[] = {
	{ "/health", "curl/7.88", true },
	{ "/health?full=1", "curl/7.88", true },
	{ "/healthz", "curl/7.88", false },
	{ "/status/", "curl/7.88", true },
	{ "/status/deep/x", "curl/7.88", true },
	{ "/status", "curl/7.88", false },
	{ "/", "Uptime-Kuma/1.23.0", true },
	{ "/", "Mozilla/5.0 (compatible; UPTIMEROBOT/2.0)", true },
	{ "/", "Mozilla/5.0", false },
	{ "/", "", false },
	{ "", "", false },
};

static void
test_ignored(void **state)
{
	struct config c;
	struct config_errors e;
	const char *text = LOG WEB "idle_after = 5s\n"
	    "idle_ignore_user_agent = Uptime-Kuma, uptimerobot\n"
	    "idle_ignore_path = /health /status/*\n";

	(void)state;
	assert_int_equal(load(text, &c, &e), 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct svc_conf *sc = &c.svcs[0];

		print_message("row %zu: %s %s\n", i, rows[i].path, rows[i].agent);
		assert_int_equal(idlematch_ignored(sc->idle_ignore_paths.v, sc->idle_ignore_paths.n,
		    sc->idle_ignore_agents.v, sc->idle_ignore_agents.n, rows[i].path,
		    rows[i].agent), rows[i].ignored);
	}
	assert_false(idlematch_ignored(NULL, 0, NULL, 0, "/health", "x"));
	config_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_ignored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
