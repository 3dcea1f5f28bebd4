/* test_swarm_config.c: runtime and swarm_service, and every key Swarm owns refused on its
 * own line (doc/swarm.md). */
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
#include "swarm_config.h"

static char path[] = "/tmp/test_swarm_config.XXXXXX";

#define HEAD "[nginx]\ntest_command = /bin/true\nreload_command = /bin/true\n"

/* Load text (HEAD first: lines 1-3); errs filled. */
static int
load(const char *text, struct config *c, struct config_errors *e)
{
	int fd;
	FILE *fp;

	memcpy(path + strlen(path) - 6, "XXXXXX", 6); /* a failed test left it set */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	fputs(HEAD, fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	memset(c, 0, sizeof(*c));
	memset(e, 0, sizeof(*e));
	return config_load(path, c, e);
}

/* Some error is "PATH:LINE: ...want...". */
static bool
has_error(const struct config_errors *e, int line, const char *want)
{
	char prefix[128];

	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	for (size_t i = 0; i < e->n; i++)
		if (strncmp(e->msg[i], prefix, strlen(prefix)) == 0 && strstr(e->msg[i], want))
			return true;
	for (size_t i = 0; i < e->n; i++)
		print_message("  error[%zu]: %s\n", i, e->msg[i]);
	print_message("expected %s...%s\n", prefix, want);
	return false;
}

static void
done(struct config *c, struct config_errors *e)
{
	config_free(c);
	config_errors_free(e);
	unlink(path);
}

/* swarm_config.c's struct */
static const struct swarm_svc_conf *
swarm_of(const struct svc_conf *s)
{
	const struct swarm_svc_conf *w = config_ext(s->kinds, "swarm");

	assert_non_null(w);
	return w;
}

static void
test_defaults_and_swarm_service(void **state)
{
	struct config c;
	struct config_errors e;

	(void)state;
	/* Two swarm services: no image, no shared upstream_file complaint. */
	assert_int_equal(load("[service web]\nmetric = none\n[service api]\nruntime = swarm\n"
	    "metric = prometheus\nquery = up\n[service w2]\nruntime = swarm\nmetric = none\n"
	    "swarm_service = stack_w2.x-1\n", &c, &e), -1);
	/* web is a containers service without an image: the one error. */
	assert_int_equal(e.n, 1);
	assert_true(has_error(&e, 4, "image is required"));
	done(&c, &e);
	assert_int_equal(load("[service api]\nruntime = swarm\nmetric = none\n"
	    "[service w2]\nruntime = swarm\nmetric = none\nswarm_service = stack_w2.x-1\n"
	    "[service c]\nimage = nginx\nruntime = containers\nmetric = none\n", &c, &e), 0);
	assert_string_equal(c.svcs[0].runtime, "swarm");
	assert_string_equal(swarm_of(&c.svcs[0])->service, "");
	assert_string_equal(swarm_of(&c.svcs[1])->service, "stack_w2.x-1");
	assert_string_equal(c.svcs[2].runtime, "containers");
	done(&c, &e);
}

static void
test_bad_values(void **state)
{
	struct config c;
	struct config_errors e;

	(void)state;
	assert_int_equal(load("[service a]\nruntime = kubernetes\nmetric = none\nimage = x\n"
	    "[service b]\nruntime = swarm\nmetric = none\nswarm_service = -dash\n"
	    "[service d]\nruntime = swarm\nmetric = none\nswarm_service = has space\n"
	    "[service f]\nruntime = swarm\nmetric = none\nswarm_service = "
	    "a123456789012345678901234567890123456789012345678901234567890123\n"
	    "[service g]\nimage = x\nmetric = none\nupstream_file = /tmp/g.conf\n"
	    "swarm_service = g\n", &c, &e), -1);
	assert_true(has_error(&e, 5, "runtime: 'kubernetes' is not one of containers, swarm"));
	assert_true(has_error(&e, 11, "'-dash' is not a Swarm service name"));
	assert_true(has_error(&e, 15, "'has space' is not a Swarm service name"));
	assert_true(has_error(&e, 19, "is not a Swarm service name"));
	assert_true(has_error(&e, 24, "swarm_service needs runtime = swarm"));
	assert_int_equal(e.n, 5);
	done(&c, &e);
}

static void
test_keys_swarm_owns(void **state)
{
	struct config c;
	struct config_errors e;
	/* Each refused key on its own line (from line 4). */
	static const char *const keys[] = {
		"image = x", "command = a b", "env = A=1", "cpus = 1", "memory = 64M",
		"user = 1000", "volume = /a:/b", "upstream_file = /tmp/u.conf",
		"upstream_name = u", "rollout_surge = 1", "rollout_min_healthy = 1s",
		"rollout_max_failures = 2", "pull = always", "port = 80", "health_path = /h",
		"drain = 1s", "stop_timeout = 5s", "start_timeout = 5s", "network = n",
		"compose_project = p", "compose_service = s", "create_parallel = 4",
	};
	char text[2048] = "[service web]\nruntime = swarm\nmetric = none\n";

	(void)state;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		strcat(text, keys[i]);
		strcat(text, "\n");
	}
	assert_int_equal(load(text, &c, &e), -1);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char want[96];

		snprintf(want, sizeof(want), "%.*s is not used with runtime = swarm: Swarm owns",
		    (int)strcspn(keys[i], " "), keys[i]);
		assert_true(has_error(&e, 7 + (int)i, want));
	}
	done(&c, &e);
}

static void
test_docker_metrics_refused(void **state)
{
	struct config c;
	struct config_errors e;

	(void)state;
	assert_int_equal(load("[service web]\nruntime = swarm\nmetric = docker_cpu\n"
	    "[service db]\nruntime = swarm\nmetric = prometheus, docker_memory\nquery = up\n",
	    &c, &e), -1);
	assert_true(has_error(&e, 6, "metric docker_cpu is not used with runtime = swarm: the "
	    "local Engine sees only its own node's tasks; use metric = prometheus"));
	assert_true(has_error(&e, 9, "metric docker_memory is not used with runtime = swarm"));
	done(&c, &e);
	/* The default metric is docker_cpu: a swarm service must choose (header line). */
	assert_int_equal(load("[service web]\nruntime = swarm\n", &c, &e), -1);
	assert_true(has_error(&e, 4, "metric docker_cpu is not used with runtime = swarm"));
	done(&c, &e);
}

/* A reload may not switch a service between containers and swarm. */
static void
test_runtime_change(void **state)
{
	struct config a, b;
	struct config_errors e;

	(void)state;
	assert_int_equal(load("[service web]\nruntime = swarm\nmetric = none\n"
	    "[service c]\nimage = x\nmetric = none\n", &a, &e), 0);
	config_errors_free(&e);
	unlink(path);
	assert_int_equal(load("[service web]\nruntime = swarm\nmetric = none\n"
	    "[service new]\nimage = x\nmetric = none\n", &b, &e), 0);
	assert_null(config_runtime_changed(&a, &b));
	config_free(&b);
	config_errors_free(&e);
	unlink(path);
	assert_int_equal(load("[service web]\nimage = x\nmetric = none\n", &b, &e), 0);
	assert_string_equal(config_runtime_changed(&a, &b), "web");
	config_free(&a);
	done(&b, &e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_swarm_service),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_keys_swarm_owns),
		cmocka_unit_test(test_docker_metrics_refused),
		cmocka_unit_test(test_runtime_change),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
