/* test_ctrdef.c: a [service] section's container definition as the Engine's create body. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrdef.h"
#include "docker.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void
check_strv(const cJSON *arr, const char *const *want)
{
	size_t n = 0;

	assert_true(cJSON_IsArray(arr));
	for (; want[n] != NULL; n++) {
		const cJSON *it = cJSON_GetArrayItem(arr, (int)n);
		assert_true(cJSON_IsString(it));
		assert_string_equal(it->valuestring, want[n]);
	}
	assert_int_equal(cJSON_GetArraySize(arr), (int)n);
}

struct spec {
	const char *name, *service, *image;
	const char *const *cmd, *const *env;
	int port;
	const char *network;
	double cpus;
	int64_t memory;
	bool init;
};

static size_t
count(const char *const *v)
{
	size_t n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

/* The section a spec describes (the strv point into the static tables). */
static struct svc_conf
conf_of(const struct spec *s)
{
	struct svc_conf c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", s->service);
	c.image = (char *)s->image;
	c.command.v = (char **)s->cmd;
	c.command.n = count(s->cmd);
	c.env.v = (char **)s->env;
	c.env.n = count(s->env);
	c.port = s->port;
	c.network = (char *)s->network;
	c.cpus = s->cpus;
	c.memory = s->memory;
	c.init = s->init;
	return c;
}

static char *
body_of(const struct spec *s)
{
	struct svc_conf c = conf_of(s);
	cJSON *def = ctrdef_build(&c);
	char *body;

	if (def == NULL)
		return NULL;
	body = ctrdef_replica_body(def, s->service, 0, 0, 0);
	cJSON_Delete(def);
	return body;
}
static void
test_create_body(void **state)
{
	static const char *const cmd[] = { "/app", "--port", "8080", "with space \"q\"", NULL };
	static const char *const env[] = { "A=1", "B=x=y", NULL };
	static const char *const none[] = { NULL };
	static const struct {
		struct spec s;
		const char *nano, *mem; /* raw JSON text expected, NULL = absent */
	} cases[] = {
		{ { "web-1", "web", "img:1", NULL, NULL, 8080, NULL, 0, 0, true }, NULL, NULL },
		{ { "web-2", "web", "img:1", cmd, env, 8080, "", 0.5, 536870912, true },
		    "500000000", "536870912" },
		{ { "web-3", "web", "reg.example/a/b@sha256:ab", none, none, 80, "appnet", 1.0 / 3,
		    68719476736LL, false }, "333333333", "68719476736" },
		{ { "api-1", "api", "x", cmd, NULL, 65535, "host", 64, 0, true }, "64000000000", NULL },
		{ { "api-2", "api", "x", NULL, env, 0, NULL, -1, -5, false }, NULL, NULL },
	};

	for (size_t i = 0; i < N(cases); i++) {
		const struct spec *s = &cases[i].s;
		bool netset = s->network != NULL && s->network[0] != '\0';
		char *body = body_of(s), key[32];
		cJSON *root, *hc, *v;

		assert_non_null(body);
		root = cJSON_Parse(body);
		assert_non_null(root);
		snprintf(key, sizeof(key), "%d/tcp", s->port);

		v = cJSON_GetObjectItemCaseSensitive(root, "Image");
		assert_true(cJSON_IsString(v));
		assert_string_equal(v->valuestring, s->image);
		v = cJSON_GetObjectItemCaseSensitive(root, "Cmd");
		if (s->cmd != NULL && s->cmd[0] != NULL)
			check_strv(v, s->cmd);
		else
			assert_null(v);
		v = cJSON_GetObjectItemCaseSensitive(root, "Env");
		if (s->env != NULL && s->env[0] != NULL)
			check_strv(v, s->env);
		else
			assert_null(v);
		v = cJSON_GetObjectItemCaseSensitive(root, "Labels");
		assert_int_equal(cJSON_GetArraySize(v), 1);
		v = cJSON_GetObjectItemCaseSensitive(v, DOCKER_LABEL);
		assert_true(cJSON_IsString(v));
		assert_string_equal(v->valuestring, s->service);
		v = cJSON_GetObjectItemCaseSensitive(root, "ExposedPorts");
		if (s->port > 0) {
			assert_int_equal(cJSON_GetArraySize(v), 1);
			v = cJSON_GetObjectItemCaseSensitive(v, key);
			assert_true(cJSON_IsObject(v));
			assert_null(v->child);
		} else {
			assert_null(v);
		}

		hc = cJSON_GetObjectItemCaseSensitive(root, "HostConfig");
		assert_true(cJSON_IsObject(hc));
		v = cJSON_GetObjectItemCaseSensitive(hc, "Init");
		assert_true(cJSON_IsBool(v));
		assert_int_equal(cJSON_IsTrue(v), s->init);
		v = cJSON_GetObjectItemCaseSensitive(hc, "NanoCpus");
		if (cases[i].nano != NULL) {
			char want[64];
			assert_true(cJSON_IsNumber(v));
			assert_true(v->valuedouble == strtod(cases[i].nano, NULL));
			/* integer text (Go's int64 decoder refuses 5e+08) */
			snprintf(want, sizeof(want), "\"NanoCpus\":%s", cases[i].nano);
			assert_non_null(strstr(body, want));
		} else {
			assert_null(v);
		}
		v = cJSON_GetObjectItemCaseSensitive(hc, "Memory");
		if (cases[i].mem != NULL) {
			char want[64];
			assert_true(cJSON_IsNumber(v));
			assert_true(v->valuedouble == strtod(cases[i].mem, NULL));
			snprintf(want, sizeof(want), "\"Memory\":%s", cases[i].mem);
			assert_non_null(strstr(body, want));
		} else {
			assert_null(v);
		}
		v = cJSON_GetObjectItemCaseSensitive(hc, "NetworkMode");
		if (netset) {
			assert_true(cJSON_IsString(v));
			assert_string_equal(v->valuestring, s->network);
			assert_null(cJSON_GetObjectItemCaseSensitive(hc, "PortBindings"));
		} else {
			assert_null(v);
			v = cJSON_GetObjectItemCaseSensitive(hc, "PortBindings");
			if (s->port > 0) {
				const cJSON *b;
				assert_int_equal(cJSON_GetArraySize(v), 1);
				v = cJSON_GetObjectItemCaseSensitive(v, key);
				assert_int_equal(cJSON_GetArraySize(v), 1);
				b = cJSON_GetArrayItem(v, 0);
				assert_string_equal(
				    cJSON_GetObjectItemCaseSensitive(b, "HostIp")->valuestring,
				    "127.0.0.1");
				assert_string_equal(
				    cJSON_GetObjectItemCaseSensitive(b, "HostPort")->valuestring, "");
			} else {
				assert_null(v);
			}
		}
		v = cJSON_GetObjectItemCaseSensitive(hc, "RestartPolicy");
		v = cJSON_GetObjectItemCaseSensitive(v, "Name");
		assert_true(cJSON_IsString(v));
		assert_string_equal(v->valuestring, "no");
		assert_null(cJSON_GetObjectItemCaseSensitive(hc, "LogConfig"));
		/* nothing else at either level */
		assert_int_equal(cJSON_GetArraySize(hc), 2 + (cases[i].nano != NULL) +
		    (cases[i].mem != NULL) + (netset || s->port > 0));
		assert_int_equal(cJSON_GetArraySize(root), 3 + (s->cmd != NULL && s->cmd[0] != NULL) +
		    (s->env != NULL && s->env[0] != NULL) + (s->port > 0));
		cJSON_Delete(root);
		free(body);
	}
}

static void
test_create_body_refused(void **state)
{
	struct spec s = { "w-1", "w", "img", NULL, NULL, 80, NULL, 0, 0, true };
	struct svc_conf c;
	cJSON *def;

	(void)state;
	assert_null(ctrdef_build(NULL));
	s.image = NULL;
	assert_null(body_of(&s));
	s.image = "";
	assert_null(body_of(&s));
	s.image = "img";
	s.cpus = 1e10; /* NanoCpus would overflow int64 */
	assert_null(body_of(&s));
	s.cpus = 0;
	c = conf_of(&s);
	assert_non_null(def = ctrdef_build(&c));
	assert_null(ctrdef_replica_body(def, NULL, 0, 0, 0));
	assert_null(ctrdef_replica_body(def, "", 0, 0, 0));
	assert_null(ctrdef_replica_body(NULL, "w", 0, 0, 0));
	assert_string_equal(ctrdef_image(def), "img");
	cJSON_Delete(def);
}

/* The generation and restart labels (doc/rollouts.md), over any the
 * definition brought. */
static void
test_generation_labels(void **state)
{
	struct spec s = { "w-1", "w", "img", NULL, NULL, 80, NULL, 0, 0, true };
	struct svc_conf c = conf_of(&s);
	cJSON *def, *root, *labels;
	char *body;

	(void)state;
	assert_non_null(def = ctrdef_build(&c));
	cJSON_AddStringToObject(cJSON_AddObjectToObject(def, "Labels"), DOCKER_LABEL, "other");
	assert_non_null(body = ctrdef_replica_body(def, "w", 0x0123456789abcdefULL, 42, 0));
	assert_non_null(root = cJSON_Parse(body));
	labels = cJSON_GetObjectItemCaseSensitive(root, "Labels");
	assert_int_equal(cJSON_GetArraySize(labels), 3);
	cJSON_Delete(root);
	free(body);
	/* a rollout's creation carries its target count (doc/replicas.md, "Restart safety") */
	assert_non_null(body = ctrdef_replica_body(def, "w", 0x0123456789abcdefULL, 42, 3));
	assert_non_null(root = cJSON_Parse(body));
	labels = cJSON_GetObjectItemCaseSensitive(root, "Labels");
	assert_int_equal(cJSON_GetArraySize(labels), 4);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(labels,
	    DOCKER_LABEL_ROLLOUT_TARGET)->valuestring, "3");
	assert_int_equal(docker_parse_count("3"), 3);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(labels, DOCKER_LABEL)->valuestring,
	    "w");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(labels,
	    DOCKER_LABEL_GENERATION)->valuestring, "0123456789abcdef");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(labels,
	    DOCKER_LABEL_RESTART)->valuestring, "000000000000002a");
	assert_int_equal(docker_parse_hex64("0123456789abcdef"), 0x0123456789abcdefULL);
	assert_int_equal(docker_parse_hex64("0123456789ABCDEF"), 0);
	assert_int_equal(docker_parse_hex64("123"), 0);
	assert_int_equal(docker_parse_hex64(NULL), 0);
	cJSON_Delete(root);
	free(body);
	cJSON_Delete(def);
}

/* The container keys (ctrdef_host.c) from a section built by hand; the values as
 * config_ctr.c stores them. Every key through the loader: test_config_ctr.c. */
static void
test_container_keys(void **state)
{
	struct spec s = { "w-1", "w", "img", NULL, NULL, 80, "a", 0, 0, true };
	static char none[] = "NONE", b[] = "b", bad_ulimit[] = "nofile=x";
	char *hc[] = { none, NULL }, *nets[] = { b, NULL }, *ul[] = { bad_ulimit, NULL };
	struct svc_conf c = conf_of(&s);
	cJSON *def, *body;
	const cJSON *rp, *ec;
	char *text;

	(void)state;
	c.ctr.restart_on_failure = true;
	c.ctr.restart_max = 5;
	c.ctr.healthcheck = (struct strv){ hc, 1 };
	c.ctr.networks = (struct strv){ nets, 1 };
	assert_non_null(def = ctrdef_build(&c));
	rp = cJSON_GetObjectItem(cJSON_GetObjectItem(def, "HostConfig"), "RestartPolicy");
	assert_string_equal(cJSON_GetObjectItem(rp, "Name")->valuestring, "on-failure");
	text = cJSON_PrintUnformatted(cJSON_GetObjectItem(rp, "MaximumRetryCount"));
	assert_string_equal(text, "5");
	free(text);
	check_strv(cJSON_GetObjectItem(cJSON_GetObjectItem(def, "Healthcheck"), "Test"),
	    (const char *const[]){ "NONE", NULL });
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(def, "Healthcheck")), 1);
	/* the definition keeps every network; the create body only `network` */
	ec = cJSON_GetObjectItem(cJSON_GetObjectItem(def, "NetworkingConfig"), "EndpointsConfig");
	assert_int_equal(cJSON_GetArraySize(ec), 2);
	assert_string_equal(ctrdef_extra_network(def, 0), "b");
	assert_null(ctrdef_extra_network(def, 1));
	text = ctrdef_replica_body(def, "w", 0, 0, 0);
	assert_non_null(body = cJSON_Parse(text));
	ec = cJSON_GetObjectItem(cJSON_GetObjectItem(body, "NetworkingConfig"), "EndpointsConfig");
	assert_int_equal(cJSON_GetArraySize(ec), 1);
	assert_non_null(cJSON_GetObjectItem(ec, "a"));
	free(text);
	cJSON_Delete(body);
	cJSON_Delete(def);
	/* a value that cannot be sent: no definition at all */
	c.ctr.ulimits = (struct strv){ ul, 1 };
	assert_null(ctrdef_build(&c));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_body),
		cmocka_unit_test(test_create_body_refused),
		cmocka_unit_test(test_generation_labels),
		cmocka_unit_test(test_container_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
