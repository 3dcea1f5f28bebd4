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
#include <unistd.h>

#include "config.h"
#include "config_testutil.h"
#include "haproxy_config.h"

#define SVC "[service web]\nimage = app:1\n"

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
	assert_int_equal(c.svcs[0].wake_replicas, 1);
	assert_string_equal(c.svcs[0].wake_page.path, "");
	assert_null(c.svcs[0].wake_page.html);
	assert_int_equal(c.warnings.n, 0);
	config_free(&c);
}

/* A file of n bytes of 'x' (then "<p>" when n allows): its path in path. */
static void
page_file(char *path, size_t len, size_t n)
{
	int fd;
	char *b = malloc(n + 1);

	assert_non_null(b);
	memset(b, 'x', n);
	if (n >= 3)
		memcpy(b, "<p>", 3);
	snprintf(path, len, "/tmp/test_config_lb.XXXXXX");
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, b, n), (ssize_t)n);
	close(fd);
	free(b);
}

/* wake_replicas and wake_page: their values, the page's bytes kept in the
 * configuration, their errors and the warnings without wake_listen. */
static void
test_wake_spread_keys(void **state)
{
	struct config c;
	struct config_errors e;
	char page[64], big[64], text[512];

	(void)state;
	page_file(page, sizeof(page), 100);
	page_file(big, sizeof(big), 64 * 1024 + 1);
	snprintf(text, sizeof(text), SVC "min_replicas = 0\nmax_replicas = 3\n"
	    "wake_listen = 127.0.0.1:8090\nwake_replicas = 3\nwake_page = %s\n", page);
	assert_int_equal(load(text, &c, &e), 0);
	assert_int_equal(c.svcs[0].wake_replicas, 3);
	assert_string_equal(c.svcs[0].wake_page.path, page);
	assert_int_equal(c.svcs[0].wake_page.len, 100);
	assert_memory_equal(c.svcs[0].wake_page.html, "<p>xx", 5);
	assert_int_equal(c.warnings.n, 0);
	config_free(&c);
	/* the page is read at load: the file's later fate does not change it */
	snprintf(text, sizeof(text), SVC "min_replicas = 0\nwake_listen = 127.0.0.1:8090\n"
	    "wake_page = %s\n", page);
	assert_int_equal(load(text, &c, &e), 0);
	unlink(page);
	assert_int_equal(c.svcs[0].wake_page.len, 100);
	config_free(&c);
	/* exactly 64 KiB loads */
	assert_int_equal(truncate(big, 64 * 1024), 0);
	snprintf(text, sizeof(text), SVC "min_replicas = 0\nwake_listen = 127.0.0.1:8090\n"
	    "wake_page = %s\n", big);
	assert_int_equal(load(text, &c, &e), 0);
	assert_int_equal(c.svcs[0].wake_page.len, 64 * 1024);
	config_free(&c);
	/* set without wake_listen: loads, with a warning on each line */
	snprintf(text, sizeof(text), SVC "wake_replicas = 2\nwake_page = %s\n", big);
	assert_int_equal(load(text, &c, &e), 0);
	assert_int_equal(c.warnings.n, 2);
	assert_non_null(strstr(c.warnings.v[0], "m.conf:3: "));
	assert_non_null(strstr(c.warnings.v[0], "wake_replicas has no effect without wake_listen"));
	assert_non_null(strstr(c.warnings.v[1], "m.conf:4: "));
	assert_non_null(strstr(c.warnings.v[1], "wake_page has no effect without wake_listen"));
	config_free(&c);
	/* their defaults written out, wake_listen off: nothing to warn about */
	assert_int_equal(load(SVC "wake_listen =\nwake_replicas = 1\nwake_page =\n", &c, &e), 0);
	assert_int_equal(c.warnings.n, 0);
	config_free(&c);
	assert_int_equal(load(SVC "wake_listen =\nwake_replicas = 2\n", &c, &e), 0);
	assert_int_equal(c.warnings.n, 1);
	assert_non_null(strstr(c.warnings.v[0], "m.conf:4: "));
	config_free(&c);
	/* errors */
	assert_one_error(SVC "wake_replicas = 0\n", 3,
	    "wake_replicas: '0' is not an integer in 1..1000");
	assert_one_error(SVC "wake_replicas = 1001\n", 3,
	    "wake_replicas: '1001' is not an integer in 1..1000");
	assert_one_error(SVC "wake_replicas = two\n", 3, "wake_replicas: 'two' is not an integer");
	assert_one_error(SVC "min_replicas = 0\nmax_replicas = 2\nwake_listen = 127.0.0.1:8090\n"
	    "wake_replicas = 3\n", 6, "wake_replicas (3) is greater than max_replicas (2)");
	assert_one_error(SVC "wake_replicas = 6\n", 3,
	    "wake_replicas (6) is greater than max_replicas (5)");
	assert_one_error(SVC "wake_page = page.html\n", 3,
	    "wake_page: 'page.html' is not an absolute path");
	assert_one_error(SVC "wake_page = /nonexistent/page.html\n", 3,
	    "wake_page /nonexistent/page.html: No such file or directory");
	assert_one_error(SVC "wake_page = /tmp\n", 3, "wake_page /tmp: Is a directory");
	assert_int_equal(truncate(big, 64 * 1024 + 1), 0);
	snprintf(text, sizeof(text), SVC "wake_page = %s\n", big);
	assert_one_error(text, 3, "larger than 64 KiB");
	assert_int_equal(truncate(big, 0), 0);
	assert_one_error(text, 3, "the file is empty");
	unlink(big);
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

/* [nginx] container (doc/balancers.md, "nginx in a container"): the keys it makes moot
 * warn, and the nginx commands need not be on the daemon's host. */
static void
test_nginx_container(void **state)
{
	struct config c;
	struct config_errors e;
	char *path = strdup(getenv("PATH"));

	(void)state;
	assert_non_null(path);
	assert_int_equal(load(SVC, &c, &e), 0);
	assert_string_equal(c.nginx_container, "");
	config_free(&c);
	assert_int_equal(load("[nginx]\ncontainer = edge-nginx.1\n" SVC, &c, &e), 0);
	assert_string_equal(c.nginx_container, "edge-nginx.1");
	assert_int_equal(c.warnings.n, 0);
	config_free(&c);
	assert_int_equal(load("[nginx]\nreload_command = /bin/true\npid_file = /run/n.pid\n"
	                      "container = edge\n" SVC, &c, &e), 0);
	assert_int_equal(c.warnings.n, 2);
	assert_non_null(strstr(c.warnings.v[0], "m.conf:2: [nginx] reload_command has no effect "
	                                         "with container set"));
	assert_non_null(strstr(c.warnings.v[1], "m.conf:3: [nginx] pid_file has no effect"));
	config_free(&c);
	/* the default commands are looked up only for a service that runs them */
	assert_int_equal(setenv("PATH", "/nonexistent", 1), 0);
	assert_int_equal(load("[nginx]\ncontainer = edge\n" SVC, &c, &e), 0);
	config_free(&c);
	assert_int_equal(load("[haproxy]\nsocket = /tmp/h.sock\n" SVC "balancer = haproxy\n"
	                      "haproxy_backend = be\n", &c, &e), 0);
	config_free(&c);
	assert_int_equal(load(SVC, &c, &e), -1);
	config_errors_free(&e);
	assert_int_equal(setenv("PATH", path, 1), 0);
	free(path);
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
	assert_one_error("[nginx]\ncontainer = -x\n" SVC, 2,
	    "container: '-x' is not a container name or id");
	assert_one_error("[nginx]\ncontainer = a/b\n" SVC, 2,
	    "container: 'a/b' is not a container name or id");
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
		cmocka_unit_test(test_nginx_container),
		cmocka_unit_test(test_wake_spread_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
