/* test_config_hooks.c: the lifecycle hook keys (post_start, pre_stop, pre_stop_http and
 * their timeouts): defaults, each error on its line, the no-effect warnings. */
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

/* lines 1..2; a key after it is on line 3 */
#define SWARM "[service web]\nruntime = swarm\nswarm_service = web\nmetric = none\n"
#define WEB "[service web]\nimage = app:1\n"

static void
test_defaults(void **state)
{
	struct config c;
	struct config_errors e;

	(void)state;
	assert_int_equal(load(WEB, &c, &e), 0);
	assert_int_equal(c.svcs[0].post_start.n, 0);
	assert_int_equal(c.svcs[0].pre_stop.n, 0);
	assert_string_equal(c.svcs[0].pre_stop_http, "");
	assert_int_equal(c.svcs[0].post_start_timeout_ms, 30000);
	assert_int_equal(c.svcs[0].pre_stop_timeout_ms, 10000);
	assert_int_equal(c.warnings.n, 0);
	config_free(&c);
}

static void
test_good(void **state)
{
	struct config c;
	struct config_errors e;

	(void)state;
	assert_int_equal(load(WEB "post_start = /app --migrate \"a b\"\npost_start_timeout = 5s\n"
	    "pre_stop_http = /drain?now=1\npre_stop_timeout = 500ms\n", &c, &e), 0);
	assert_int_equal(c.svcs[0].post_start.n, 3);
	assert_string_equal(c.svcs[0].post_start.v[2], "a b");
	assert_int_equal(c.svcs[0].post_start_timeout_ms, 5000);
	assert_string_equal(c.svcs[0].pre_stop_http, "/drain?now=1");
	assert_int_equal(c.svcs[0].pre_stop_timeout_ms, 500);
	assert_int_equal(c.warnings.n, 0);
	config_free(&c);
	assert_int_equal(load(WEB "pre_stop = /app --touch /m\n", &c, &e), 0);
	assert_int_equal(c.svcs[0].pre_stop.n, 3);
	config_free(&c);
}

static const struct {
	const char *text;
	int line;
	const char *want;
} bad[] = {
	{ WEB "post_start =\n", 3, "post_start: must not be empty" },
	{ WEB "post_start = /app \"x\n", 3, "post_start: unterminated double quote" },
	{ WEB "pre_stop =\n", 3, "pre_stop: must not be empty" },
	{ WEB "pre_stop = \"/app\n", 3, "pre_stop: unterminated double quote" },
	{ WEB "post_start = /a\npost_start_timeout = 0\n", 4, "post_start_timeout" },
	{ WEB "post_start = /a\npost_start_timeout = soon\n", 4, "post_start_timeout" },
	{ WEB "post_start = /a\npost_start_timeout = 2h\n", 4, "post_start_timeout" },
	{ WEB "pre_stop = /a\npre_stop_timeout = -1s\n", 4, "pre_stop_timeout" },
	{ WEB "pre_stop = /a\npre_stop_timeout = 0s\n", 4, "pre_stop_timeout" },
	{ WEB "pre_stop = /a\npre_stop_timeout = 61m\n", 4, "pre_stop_timeout" },
	{ WEB "pre_stop_http = drain\n", 3, "pre_stop_http: 'drain' must start with '/'" },
	{ WEB "pre_stop_http = /a b\n", 3, "pre_stop_http" },
	{ WEB "pre_stop_http = /a#b\n", 3, "pre_stop_http" },
	{ WEB "pre_stop_http =\n", 3, "pre_stop_http" },
	{ WEB "pre_stop_http = /\xc3\xa9\n", 3, "pre_stop_http: only ASCII" },
	{ WEB "pre_stop = /a\npre_stop_http = /stop\n", 4, "pre_stop and pre_stop_http are both "
	  "set" },
	{ WEB "pre_stop_http = /stop\npre_stop = /a\n", 4, "pre_stop and pre_stop_http are both "
	  "set" },
	/* Swarm runs its own tasks: each hook key is an error on its line. */
	{ SWARM "post_start = /a\n", 5,
	  "post_start is not used with runtime = swarm" },
	{ SWARM "pre_stop = /a\n", 5,
	  "pre_stop is not used with runtime = swarm" },
	{ SWARM "pre_stop_http = /a\n", 5,
	  "pre_stop_http is not used with runtime = swarm" },
	{ SWARM "post_start_timeout = 5s\n", 5,
	  "post_start_timeout is not used with runtime = swarm" },
	{ SWARM "pre_stop_timeout = 5s\n", 5,
	  "pre_stop_timeout is not used with runtime = swarm" },
};

static void
test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config c;
		struct config_errors e;
		char prefix[64];

		print_message("case %zu\n", i);
		snprintf(prefix, sizeof(prefix), "m.conf:%d: ", bad[i].line);
		assert_int_equal(load(bad[i].text, &c, &e), -1);
		for (size_t j = 0; j < e.n; j++)
			print_message("  error[%zu]: %s\n", j, e.msg[j]);
		assert_int_equal(e.n, 1);
		assert_memory_equal(e.msg[0], prefix, strlen(prefix));
		assert_non_null(strstr(e.msg[0], bad[i].want));
		config_errors_free(&e);
	}
}

static const struct {
	const char *text;
	const char *want; /* in the one warning; NULL: none */
} warns[] = {
	{ WEB "post_start_timeout = 5s\n", "m.conf:3: service web: post_start_timeout has no "
	  "effect without post_start" },
	{ WEB "pre_stop_timeout = 5s\n", "m.conf:3: service web: pre_stop_timeout has no effect "
	  "without pre_stop or pre_stop_http" },
	{ WEB "post_start = /a\npost_start_timeout = 90s\n", "m.conf:4: service web: "
	  "post_start_timeout has no effect beyond start_timeout (60s)" },
	{ WEB "start_timeout = 10s\npost_start = /a\npost_start_timeout = 10s\n", "m.conf:5: "
	  "service web: post_start_timeout has no effect beyond start_timeout (10s)" },
	/* the same keys where they act: no warning */
	{ WEB "post_start = /a\npost_start_timeout = 5s\n", NULL },
	{ WEB "pre_stop = /a\npre_stop_timeout = 5s\n", NULL },
	{ WEB "pre_stop_http = /a\npre_stop_timeout = 5s\n", NULL },
	{ WEB "post_start = /a\n", NULL }, /* the default 30s is below start_timeout's 60s */
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
		assert_int_equal(c.warnings.n, warns[i].want != NULL ? 1 : 0);
		if (warns[i].want != NULL)
			assert_non_null(strstr(c.warnings.v[0], warns[i].want));
		config_free(&c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_warnings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
