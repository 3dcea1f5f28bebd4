/* test_config_lb.c: the balancer keys ([haproxy], balancer, haproxy_backend, wake_*). */
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
#include "haproxy_config.h"

#define SVC "[service web]\nimage = app:1\n"

static int
load(const char *text, struct config *c, struct config_errors *e)
{
	FILE *fp = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(fp);
	memset(e, 0, sizeof(*e));
	rc = config_load_stream(fp, "m.conf", c, e);
	fclose(fp);
	return rc;
}

/* The only error is "m.conf:LINE: ...want..." */
static void
assert_one_error(const char *text, int line, const char *want)
{
	struct config c;
	struct config_errors e;
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "m.conf:%d: ", line);
	assert_int_equal(load(text, &c, &e), -1);
	for (size_t i = 0; i < e.n; i++)
		print_message("  error[%zu]: %s\n", i, e.msg[i]);
	assert_int_equal(e.n, 1);
	assert_memory_equal(e.msg[0], prefix, strlen(prefix));
	assert_non_null(strstr(e.msg[0], want));
	config_errors_free(&e);
}

/* haproxy_config.c's structs */
static const struct haproxy_conf *
hap(const struct config *c)
{
	const struct haproxy_conf *h = config_ext(c->kinds, "haproxy");

	assert_non_null(h);
	return h;
}

static const struct haproxy_svc_conf *
hap_svc(const struct svc_conf *s)
{
	const struct haproxy_svc_conf *h = config_ext(s->kinds, "haproxy");

	assert_non_null(h);
	return h;
}

static void
test_defaults(void **state)
{
	struct config c;
	struct config_errors e;

	(void)state;
	assert_int_equal(load(SVC, &c, &e), 0);
	assert_string_equal(hap(&c)->socket, "/run/haproxy/admin.sock");
	assert_int_equal(hap(&c)->timeout_ms, 2000);
	assert_string_equal(c.svcs[0].balancer, "nginx");
	assert_string_equal(hap_svc(&c.svcs[0])->backend, "");
	assert_string_equal(c.svcs[0].wake_listen, "");
	assert_int_equal(c.svcs[0].wake_queue, 100);
	assert_int_equal(c.svcs[0].wake_timeout_ms, 60000);
	config_free(&c);
}

static void
test_values(void **state)
{
	struct config c;
	struct config_errors e;

	(void)state;
	assert_int_equal(load("[haproxy]\nsocket = /tmp/h.sock\ntimeout = 500ms\n" SVC
	                      "balancer = haproxy\nhaproxy_backend = be_web.1:x\n"
	                      "min_replicas = 0\nwake_listen = 127.0.0.1:8090\nwake_queue = 5\n"
	                      "wake_timeout = 30s\n",
	                     &c, &e), 0);
	assert_string_equal(hap(&c)->socket, "/tmp/h.sock");
	assert_int_equal(hap(&c)->timeout_ms, 500);
	assert_string_equal(c.svcs[0].balancer, "haproxy");
	assert_string_equal(hap_svc(&c.svcs[0])->backend, "be_web.1:x");
	assert_string_equal(c.svcs[0].wake_listen, "127.0.0.1:8090");
	assert_int_equal(c.svcs[0].wake_queue, 5);
	assert_int_equal(c.svcs[0].wake_timeout_ms, 30000);
	config_free(&c);
	assert_int_equal(load(SVC "balancer = none\n", &c, &e), 0);
	assert_string_equal(c.svcs[0].balancer, "none");
	config_free(&c);
}

static void
test_errors(void **state)
{
	(void)state;
	assert_one_error(SVC "balancer = traefik\n", 3, "balancer: 'traefik' is not one of");
	assert_one_error(SVC "balancer = haproxy\n", 3, "balancer = haproxy needs haproxy_backend");
	assert_one_error(SVC "balancer = haproxy\nhaproxy_backend = a b\n", 4,
	    "is not an HAProxy backend name");
	assert_one_error(SVC "balancer = haproxy\nhaproxy_backend = be/x\n", 4,
	    "is not an HAProxy backend name");
	assert_one_error(SVC "haproxy_backend = be\nbalancer = nginx\n", 3,
	    "haproxy_backend is only used with balancer = haproxy");
	assert_one_error("[haproxy]\nsocket = relative.sock\n" SVC, 2, "not an absolute path");
	assert_one_error("[haproxy]\nsocket = /tmp/"
	                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\n" SVC, 2,
	    "path longer than 107 bytes");
	assert_one_error("[haproxy]\ntimeout = 0\n" SVC, 2, "timeout: must be greater than 0");
	assert_one_error("[haproxy]\nbogus = 1\n" SVC, 2, "unknown key 'bogus' in [haproxy]");
	assert_one_error("[haproxy]\n[haproxy]\n" SVC, 2, "duplicate section [haproxy]");
	assert_one_error(SVC "min_replicas = 0\nwake_listen = localhost:80\n", 4,
	    "is not IPV4:PORT");
	assert_one_error(SVC "min_replicas = 0\nwake_listen = 127.0.0.1:0\n", 4,
	    "is not IPV4:PORT");
	assert_one_error(SVC "min_replicas = 0\nwake_listen = 127.0.0.1\n", 4, "is not IPV4:PORT");
	assert_one_error(SVC "wake_listen = 127.0.0.1:8090\n", 3, "needs min_replicas = 0");
	assert_one_error(SVC "min_replicas = 0\nbalancer = none\nwake_listen = 127.0.0.1:8090\n",
	    5, "wake_listen needs a balancer");
	assert_one_error(SVC "wake_queue = 0\n", 3, "wake_queue: '0' is not an integer in 1..512");
	assert_one_error(SVC "wake_queue = 513\n", 3, "wake_queue: '513' is not an integer in 1..512");
	assert_one_error(SVC "wake_timeout = 2h\n", 3, "wake_timeout: must be at most 3600s");
	assert_one_error(SVC "min_replicas = 0\nwake_listen = 127.0.0.1:8090\n"
	                 "[service api]\nimage = app:1\nmin_replicas = 0\n"
	                 "upstream_file = /etc/nginx/conf.d/api.conf\n"
	                 "wake_listen = 127.0.0.1:8090\n",
	    5, "wake_listen 127.0.0.1:8090 is also used by service web");
	assert_one_error("[daemon]\nlisten = 127.0.0.1:9280\n" SVC
	                 "min_replicas = 0\nwake_listen = 127.0.0.1:9280\n",
	    3, "is the API's listen address");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
