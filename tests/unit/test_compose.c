/* test_compose.c: a docker-compose container as a service's definition (doc/compose.md, "A
 * docker-compose service as the source"), on an inspect answer captured from a real
 * docker-compose 1.29 container (tests/unit/fixtures/compose_inspect.json: env, a named
 * volume and a bind, labels, json-file logging options, a healthcheck, a published port,
 * restart: unless-stopped, init, mem_limit, tmpfs, extra_hosts, cap_drop, user). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"

static char *fixture;

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) > 0 && fseek(fp, 0, SEEK_SET) == 0 &&
	    (buf = calloc(1, (size_t)n + 1)) != NULL && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	return buf;
}

static int
setup(void **state)
{
	char path[512];
	const char *slash = strrchr(__FILE__, '/');

	(void)state;
	snprintf(path, sizeof(path), "%.*s/fixtures/compose_inspect.json",
	    slash != NULL ? (int)(slash - __FILE__) : 1, slash != NULL ? __FILE__ : ".");
	fixture = slurp(path);
	return fixture == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(fixture);
	return 0;
}

static const cJSON *
at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

	return b != NULL ? cJSON_GetObjectItemCaseSensitive(v, b) : v;
}

/* The fixture's value and the definition's are the same JSON. */
static void
same(const cJSON *def, const cJSON *in, const char *sec, const char *key, const char *dsec)
{
	const cJSON *a = at(in, sec, key), *b = dsec != NULL ? at(def, dsec, key) : at(def, key, NULL);

	assert_non_null(a);
	assert_non_null(b);
	if (!cJSON_Compare(a, b, true)) {
		char *pa = cJSON_PrintUnformatted(a), *pb = cJSON_PrintUnformatted(b);

		print_message("%s.%s: compose %s, definition %s\n", sec, key, pa, pb);
		free(pa);
		free(pb);
		fail();
	}
}

static cJSON *
def_of(const char *body, const char *network, char *net, char *why)
{
	int extra = -1;
	cJSON *def = compose_def(body, network, net, DOCKER_NETWORK_MAX + 1, &extra, why, 200);

	if (def != NULL)
		assert_int_equal(extra, 0);
	return def;
}

/* Kept: everything a new container of the service gets from compose. */
static void
test_kept(void **state)
{
	char net[DOCKER_NETWORK_MAX + 1], why[200];
	cJSON *in = cJSON_Parse(fixture), *def = def_of(fixture, NULL, net, why);
	const cJSON *labels, *l, *ep;

	(void)state;
	assert_non_null(in);
	assert_non_null(def);
	assert_string_equal(at(def, "Image", NULL)->valuestring, "dockscale-demo:latest");
	same(def, in, "Config", "Env", NULL);
	same(def, in, "Config", "Entrypoint", NULL);
	same(def, in, "Config", "User", NULL);
	same(def, in, "Config", "ExposedPorts", NULL);
	same(def, in, "Config", "Volumes", NULL);
	same(def, in, "Config", "StopSignal", NULL);
	same(def, in, "HostConfig", "Binds", "HostConfig");
	same(def, in, "HostConfig", "LogConfig", "HostConfig");
	same(def, in, "HostConfig", "CapDrop", "HostConfig");
	same(def, in, "HostConfig", "Tmpfs", "HostConfig");
	same(def, in, "HostConfig", "ExtraHosts", "HostConfig");
	same(def, in, "HostConfig", "Init", "HostConfig");
	assert_string_equal(at(at(def, "HostConfig", "LogConfig"), "Config", "max-size")->valuestring,
	    "1m");
	/* Healthcheck durations are nanoseconds: numbers, compared as written. */
	assert_non_null(at(def, "Healthcheck", NULL));
	{
		char *p = cJSON_PrintUnformatted(at(def, "Healthcheck", NULL));
		assert_string_equal(p, "{\"Test\":[\"CMD\",\"/app\",\"--health\"],"
		    "\"Interval\":2000000000,\"Timeout\":1000000000,\"StartPeriod\":3000000000,"
		    "\"Retries\":2}");
		free(p);
	}
	assert_string_equal(at(def, "HostConfig", "Memory")->valuestring, "67108864");
	/* The user's labels, nothing of compose's or dockscale's. */
	labels = at(def, "Labels", NULL);
	assert_string_equal(at(labels, "com.example.team", NULL)->valuestring, "shop");
	assert_string_equal(at(labels, "com.example.tier", NULL)->valuestring, "web");
	cJSON_ArrayForEach(l, labels) {
		assert_true(strncmp(l->string, "com.docker.compose.", 19) != 0);
		assert_true(strncmp(l->string, "io.dockscale.", 13) != 0);
	}
	assert_int_equal(cJSON_GetArraySize(labels), 2);
	/* Compose's network, with the service's alias and not the container's own. */
	assert_string_equal(net, "composefx_default");
	assert_string_equal(at(def, "HostConfig", "NetworkMode")->valuestring, "composefx_default");
	ep = at(at(def, "NetworkingConfig", "EndpointsConfig"), "composefx_default", NULL);
	assert_non_null(ep);
	assert_int_equal(cJSON_GetArraySize(at(ep, "Aliases", NULL)), 1);
	assert_string_equal(cJSON_GetArrayItem(at(ep, "Aliases", NULL), 0)->valuestring, "web");
	cJSON_Delete(in);
	cJSON_Delete(def);
}

/* Dropped: what belongs to compose's one container, not to the service. */
static void
test_dropped(void **state)
{
	char net[DOCKER_NETWORK_MAX + 1], why[200];
	cJSON *def = def_of(fixture, "", net, why);
	static const char *const host_gone[] = { "PortBindings", "PublishAllPorts", "Links",
		"ConsoleSize", "MaskedPaths", "ReadonlyPaths", "ContainerIDFile", "AutoRemove",
		"CpuShares", "NanoCpus", "KernelMemory" };
	static const char *const top_gone[] = { "Hostname", "Name", "Id", "State",
		"NetworkSettings", "AttachStdout", "OnBuild", "Cmd", "WorkingDir", "MacAddress" };
	char *body;

	(void)state;
	assert_non_null(def);
	for (size_t i = 0; i < sizeof(host_gone) / sizeof(host_gone[0]); i++)
		if (at(def, "HostConfig", host_gone[i]) != NULL)
			fail_msg("HostConfig.%s kept", host_gone[i]);
	for (size_t i = 0; i < sizeof(top_gone) / sizeof(top_gone[0]); i++)
		if (at(def, top_gone[i], NULL) != NULL)
			fail_msg("%s kept", top_gone[i]);
	/* compose's restart: unless-stopped would fight dockscale's own replacing. */
	assert_string_equal(at(at(def, "HostConfig", "RestartPolicy"), "Name", NULL)->valuestring,
	    "no");
	body = cJSON_PrintUnformatted(def);
	assert_null(strstr(body, "com.docker.compose"));
	assert_null(strstr(body, "9142de6c68ff")); /* its id: hostname, alias */
	assert_null(strstr(body, "32796"));        /* its host port */
	free(body);
	cJSON_Delete(def);
}

/* A variant of the fixture: set sec.key to the JSON text val (NULL: delete it). */
static char *
variant(const char *sec, const char *key, const char *val)
{
	cJSON *in = cJSON_Parse(fixture), *o = cJSON_GetObjectItemCaseSensitive(in, sec);
	char *out;

	assert_non_null(o);
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	if (val != NULL)
		assert_true(cJSON_AddItemToObject(o, key, cJSON_Parse(val)));
	out = cJSON_PrintUnformatted(in);
	cJSON_Delete(in);
	return out;
}

static void
test_variants(void **state)
{
	char net[DOCKER_NETWORK_MAX + 1], why[200];
	char *b;
	cJSON *def;

	(void)state;
	/* A hostname the compose file set is the service's. */
	b = variant("Config", "Hostname", "\"shop-web\"");
	def = def_of(b, NULL, net, why);
	assert_string_equal(at(def, "Hostname", NULL)->valuestring, "shop-web");
	cJSON_Delete(def);
	free(b);
	/* Durations past 10^15 ns stay integers (cJSON would print 2e+15). */
	b = variant("Config", "StopTimeout", "2000000000000000");
	def = def_of(b, NULL, net, why);
	{
		char *p = cJSON_PrintUnformatted(def);
		assert_non_null(strstr(p, "\"StopTimeout\":2000000000000000"));
		free(p);
	}
	cJSON_Delete(def);
	free(b);
	/* network_mode: host or none gives replicas no address of their own. */
	b = variant("HostConfig", "NetworkMode", "\"host\"");
	assert_null(def_of(b, NULL, net, why));
	assert_non_null(strstr(why, "network_mode host"));
	free(b);
	/* `network` must be one the compose container is on. */
	assert_null(def_of(fixture, "backend", net, why));
	assert_string_equal(why, "the compose container is not on network backend");
	/* Without Config.Image there is nothing to create. */
	b = variant("Config", "Image", NULL);
	assert_null(def_of(b, NULL, net, why));
	assert_string_equal(why, "no usable Config.Image or Id");
	free(b);
	/* On two networks: the primary one, or the one `network` names; the other is not
	 * joined (the create call takes one) and counted. */
	{
		cJSON *in = cJSON_Parse(fixture), *nets = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(in, "NetworkSettings"), "Networks");
		int extra = 0;

		assert_true(cJSON_AddItemToObject(nets, "shop_back", cJSON_Parse(
		    "{\"Aliases\":[\"web\",\"api\",\"9142de6c68ff\"],\"IPAddress\":\"10.1.0.2\","
		    "\"IPAMConfig\":{\"IPv4Address\":\"10.1.0.2\"}}")));
		b = cJSON_PrintUnformatted(in);
		cJSON_Delete(in);
		def = compose_def(b, NULL, net, sizeof(net), &extra, why, sizeof(why));
		assert_non_null(def);
		assert_int_equal(extra, 1);
		assert_string_equal(net, "composefx_default");
		assert_null(at(at(def, "NetworkingConfig", "EndpointsConfig"), "shop_back", NULL));
		cJSON_Delete(def);
		def = compose_def(b, "shop_back", net, sizeof(net), &extra, why, sizeof(why));
		assert_non_null(def);
		assert_string_equal(net, "shop_back");
		assert_string_equal(at(def, "HostConfig", "NetworkMode")->valuestring, "shop_back");
		{
			const cJSON *ep = at(at(def, "NetworkingConfig", "EndpointsConfig"), "shop_back",
			    NULL);
			char *p = cJSON_PrintUnformatted(ep);
			/* its aliases but its short id; no static address */
			assert_string_equal(p, "{\"Aliases\":[\"web\",\"api\"]}");
			free(p);
		}
		cJSON_Delete(def);
		free(b);
	}
	/* network_mode: default is the default bridge, which takes no aliases. */
	b = variant("HostConfig", "NetworkMode", "\"default\"");
	{
		cJSON *in = cJSON_Parse(b), *nets = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(in, "NetworkSettings"), "Networks");

		cJSON_DeleteItemFromObjectCaseSensitive(nets, "composefx_default");
		assert_true(cJSON_AddItemToObject(nets, "bridge", cJSON_Parse("{\"Aliases\":null}")));
		free(b);
		b = cJSON_PrintUnformatted(in);
		cJSON_Delete(in);
	}
	def = def_of(b, NULL, net, why);
	assert_non_null(def);
	assert_string_equal(net, "bridge");
	assert_null(at(def, "NetworkingConfig", NULL));
	cJSON_Delete(def);
	free(b);
	assert_null(def_of("[]", NULL, net, why));
	assert_string_equal(why, "malformed inspect answer");
	assert_null(def_of("{\"Config\":{}", NULL, net, why));
}

#define CTR(id, num, state, created, extra)                                               \
	"{\"Id\":\"" id "\",\"Names\":[\"/shop_web_" num "\"],\"State\":\"" state "\","      \
	"\"Created\":" created ",\"Labels\":{\"com.docker.compose.project\":\"shop\","      \
	"\"com.docker.compose.service\":\"web\",\"com.docker.compose.container-number\":\"" \
	num "\"" extra "}}"

static void
test_pick(void **state)
{
	struct compose_ctr c;
	/* running before stopped; a one-off, one of ours, another service: never. */
	const char *list = "[" CTR("aa01", "1", "exited", "10", "") ","
	    CTR("aa02", "1", "running", "10", ",\"com.docker.compose.oneoff\":\"True\"") ","
	    CTR("aa03", "3", "running", "10", "") ","
	    CTR("aa04", "2", "running", "10", "") ","
	    CTR("aa05", "1", "running", "10", ",\"io.dockscale.service\":\"web\"") ","
	    CTR("aa06", "1", "removing", "10", "") ","
	    "{\"Id\":\"aa07\",\"Names\":[\"/other_web_1\"],\"State\":\"running\",\"Labels\":"
	    "{\"com.docker.compose.project\":\"other\",\"com.docker.compose.service\":\"web\"}}]";
	/* compose v2 names, the same number twice (mid-recreate): the newest. */
	const char *v2 = "[" CTR("bb01", "1", "running", "10", "") ","
	    CTR("bb02", "1", "running", "20", "") "]";

	(void)state;
	assert_int_equal(compose_pick(list, "shop", "web", &c), 1);
	assert_string_equal(c.id, "aa04");
	assert_string_equal(c.name, "shop_web_2");
	assert_int_equal(c.number, 2);
	assert_true(c.running);
	assert_int_equal(c.candidates, 3);
	assert_int_equal(compose_pick(v2, "shop", "web", &c), 1);
	assert_string_equal(c.id, "bb02");
	/* Only a stopped one: it still defines the service. */
	assert_int_equal(compose_pick("[" CTR("cc01", "1", "exited", "1", "") "]", "shop", "web",
	    &c), 1);
	assert_false(c.running);
	assert_int_equal(compose_pick(list, "shop", "api", &c), 0);
	assert_int_equal(compose_pick("[]", "shop", "web", &c), 0);
	assert_int_equal(compose_pick("{}", "shop", "web", &c), -1);
	assert_int_equal(compose_pick("[", "shop", "web", &c), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kept),
		cmocka_unit_test(test_dropped),
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_pick),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
