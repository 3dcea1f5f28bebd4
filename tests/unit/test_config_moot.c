/* test_config_moot.c: every [service] key has its row in config_moot.c, and each rule
 * warns when its key has no effect and only then (doc/configuration.md, "Keys that do
 * nothing"). */
#define _GNU_SOURCE /* fmemopen, open_memstream */
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
#include "config_int.h"

static const struct config_moot *
row(const char *key)
{
	size_t n;
	const struct config_moot *m = config_moot_rows(&n);

	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].key, key) == 0)
			return &m[i];
	return NULL;
}

/* A new key must say whether and when it has no effect: the table names every one. */
static void
test_every_key_has_a_row(void **state)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0, n, keys = 0;
	FILE *f = open_memstream(&text, &len);
	const struct config_moot *m = config_moot_rows(&n);

	(void)state;
	assert_non_null(f);
	config_list_keys(f);
	fclose(f);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "service ", 8) != 0)
			continue;
		keys++;
		if (row(line + 8) == NULL)
			fail_msg("[service] %s has no row in config_moot.c", line + 8);
	}
	free(text);
	/* and no row names a key that is not there, or one twice */
	assert_int_equal(n, keys);
	for (size_t i = 0; i < n; i++) {
		int idx;

		assert_true(m[i].why == NULL || m[i].elsewhere == NULL);
		if (config_key_find(SEC_SERVICE, m[i].key, &idx) == NULL &&
		    strcmp(m[i].key, "haproxy_backend") != 0 && strcmp(m[i].key, "swarm_service") != 0)
			fail_msg("row %s: not a [service] key", m[i].key);
	}
}

#define SVC "[service web]\nimage = app\n"
#define NGINX "[nginx]\naccess_log_socket = /run/x.sock\n"

/* One service: the warning expected (a part of it), or NULL for none. */
static const struct {
	const char *text;
	const char *want;
} cases[] = {
	/* the thresholds: docker_cpu's and prometheus's, policy = threshold's */
	{ SVC "scale_up_threshold = 80\n", NULL },
	{ SVC "metric = docker_memory\nmemory = 256m\nscale_up_threshold = 80\n",
	  ":5: service web: scale_up_threshold has no effect: they are docker_cpu's" },
	{ SVC "metric = none\nscale_down_threshold = 10\n",
	  ":4: service web: scale_down_threshold has no effect: metric = none" },
	{ SVC "policy = target\nscale_up_threshold = 80\n",
	  "scale_up_threshold has no effect: policy = target scales to target" },
	{ SVC "metric = docker_memory\nmemory = 256m\nscale_up_threshold = 75\n", NULL },
	/* target: policy = target's and predictive's */
	{ SVC "policy = target\ntarget = 50\n", NULL },
	{ SVC "policy = predictive\ntarget = 50\n", NULL },
	{ SVC "target = 50\n", "target has no effect: policy = threshold" },
	{ NGINX SVC "metric = requests\npolicy = target\ntarget = 50\n",
	  "target has no effect: it is docker_cpu's and prometheus's" },
	/* docker_memory's own */
	{ SVC "memory_scale_up_threshold = 90\n",
	  "memory_scale_up_threshold has no effect: the service has no metric docker_memory" },
	{ SVC "metric = docker_memory\nmemory = 256m\nmemory_scale_down_threshold = 20\n", NULL },
	{ SVC "metric = docker_memory\nmemory = 256m\npolicy = target\n"
	  "memory_scale_down_threshold = 20\n", "memory_scale_down_threshold has no effect: "
	  "policy = target scales to memory_target" },
	{ SVC "memory_target = 60\n", "memory_target has no effect: the service has no metric "
	  "docker_memory" },
	{ SVC "metric = docker_memory\nmemory = 256m\nmemory_target = 60\n",
	  "memory_target has no effect: policy = threshold" },
	{ SVC "metric = docker_memory\nmemory = 256m\npolicy = target\nmemory_target = 60\n",
	  NULL },
	/* the traffic targets */
	{ SVC "requests_target = 5\n", "requests_target has no effect: the service has no "
	  "metric requests" },
	{ SVC "concurrency_target = 5\n", "concurrency_target has no effect" },
	{ SVC "latency_target = 100ms\n", "latency_target has no effect" },
	{ NGINX SVC "metric = requests\nrequests_target = 5\n", NULL },
	/* query */
	{ SVC "query = up\n", "query has no effect: the service has no metric prometheus" },
	{ "[prometheus]\nurl = http://127.0.0.1:9090\n" SVC "metric = prometheus\nquery = up\n",
	  NULL },
	/* the forecast */
	{ SVC "horizon = 30s\n", "horizon has no effect: policy = threshold does not forecast" },
	{ SVC "policy = target\npredict_alpha = 0.9\n", "predict_alpha has no effect: policy = "
	  "target" },
	{ SVC "predict_beta = 0.1\n", "predict_beta has no effect" },
	{ SVC "policy = predictive\nhorizon = 30s\npredict_beta = 0.1\n", NULL },
	/* the policy's windows and smoothing */
	{ SVC "metric = none\nsmoothing = 0.5\n", "smoothing has no effect: metric = none" },
	{ SVC "metric = none\nscale_up_for = 5s\n", "scale_up_for has no effect" },
	{ SVC "metric = none\nscale_down_for = 5s\n", "scale_down_for has no effect" },
	{ SVC "scale_down_for = 5s\nsmoothing = 0.5\n", NULL },
	/* waking */
	{ SVC "wake_queue = 10\n", "wake_queue has no effect: the service has no wake_listen" },
	{ SVC "wake_timeout = 5s\n", "wake_timeout has no effect" },
	{ SVC "min_replicas = 0\nwake_listen = 127.0.0.1:9911\nwake_queue = 10\n"
	  "wake_timeout = 5s\n", NULL },
	/* the upstream file: nginx's */
	{ SVC "balancer = none\nupstream_name = up\n",
	  "upstream_name has no effect: only balancer = nginx reads the upstream file" },
	{ SVC "upstream_name = up\nupstream_file = /tmp/moot.conf\n", NULL },
	{ SVC "balancer = haproxy\nhaproxy_backend = be\nupstream_file = /tmp/moot.conf\n",
	  "upstream_file has no effect: only balancer = nginx" },
	/* the schedule's zone */
	{ SVC "timezone = UTC\n", ":3: service web: timezone has no effect: the service has no "
	  "schedule" },
	{ SVC "timezone = UTC\nschedule = Mon-Fri 08:00-19:00 min=2\n", NULL },
	/* a key at its default says nothing either way */
	{ SVC "metric = none\nscale_up_threshold = 75\nquery =\nwake_queue = 100\n"
	  "requests_target = 50\n", NULL },
};

static void
test_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c;
		struct config_errors e;

		print_message("case %zu: %s\n", i, cases[i].want ? cases[i].want : "(none)");
		if (load(cases[i].text, &c, &e) != 0)
			for (size_t j = 0; j < e.n; j++)
				print_message("  error: %s\n", e.msg[j]);
		assert_int_equal(e.n, 0);
		for (size_t j = 0; j < c.warnings.n; j++)
			print_message("  warning: %s\n", c.warnings.v[j]);
		if (cases[i].want == NULL) {
			assert_int_equal(c.warnings.n, 0);
		} else {
			assert_int_equal(c.warnings.n, 1);
			assert_non_null(strstr(c.warnings.v[0], cases[i].want));
		}
		config_free(&c);
	}
}

/* Each rule of the table has a case above that makes it warn. */
static void
test_every_rule_is_tried(void **state)
{
	size_t n;
	const struct config_moot *m = config_moot_rows(&n);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		bool tried = false;
		char needle[80];

		if (m[i].why == NULL)
			continue;
		snprintf(needle, sizeof(needle), "%s has no effect", m[i].key);
		for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]) && !tried; k++)
			tried = cases[k].want != NULL && strstr(cases[k].want, needle) != NULL;
		if (!tried)
			fail_msg("no case makes %s warn", m[i].key);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_has_a_row),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_every_rule_is_tried),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
