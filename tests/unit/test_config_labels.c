/* test_config_labels.c: services declared by labels (doc/labels.md): the container list
 * to sources, and the labels read by the [service] key tables into a loaded
 * configuration: every rule (bad value, [daemon] key, unknown key, the file wins, two
 * containers of one name, --scale and a recreate, the name, checks across services, moot
 * keys) in one table. */
#define _GNU_SOURCE /* fmemopen */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "config.h"
#include "config_testutil.h"

#define FILE_TEXT "[nginx]\ntest_command = true\nreload_command = true\n" \
	"[service api]\nimage = x\nupstream_file = /tmp/api.conf\n"

/* A source: name, id, project, compose service (NULL: not compose's), created, then
 * "dockscale.KEY=VALUE" strings (sorted by key, as compose_label_sources gives them). */
struct src_spec {
	const char *name, *id, *project, *service;
	double created;
	const char *labels[8];
};

/* One case: the sources, and per source its state and the messages it must have (each a
 * substring of one of them, in order); warnings: substrings of cfg.warnings. */
struct merge_case {
	const char *what;
	struct src_spec src[3];
	size_t n;
	struct {
		enum config_label_state state;
		const char *service;
		const char *msgs[3];
	} want[3];
	const char *warning;
	int max_replicas; /* of the first label service added */
};

static const struct merge_case cases[] = {
	{ "two good services", {
	    { "p_web_1", "aaaaaaaaaaaaaaaa", "p", "web", 1,
	      { "dockscale.enable=true", "dockscale.max_replicas=6", "dockscale.metric=docker_cpu",
	        "dockscale.upstream_file=/tmp/web.conf" } },
	    { "p_db_1", "bbbbbbbbbbbbbbbb", "p", "db", 1,
	      { "dockscale.enable=true", "dockscale.service=store", "dockscale.upstream_file=/tmp/db.conf" } } }, 2,
	  { { CONFIG_LABEL_MANAGED, "web", { NULL } }, { CONFIG_LABEL_MANAGED, "store", { NULL } } },
	  NULL, 6 },
	{ "a bad value: that service only", {
	    { "web-1", "abc123abc123abc123", "p", "web", 1,
	      { "dockscale.enable=true", "dockscale.max_replicas=lots",
	        "dockscale.upstream_file=/tmp/web.conf" } },
	    { "p_db_1", "bbbbbbbbbbbbbbbb", "p", "db", 1,
	      { "dockscale.enable=true", "dockscale.upstream_file=/tmp/db.conf" } } }, 2,
	  { { CONFIG_LABEL_BAD, "web", { "container web-1 (abc123abc123) label "
	      "dockscale.max_replicas=lots: max_replicas: 'lots' is not an integer" } },
	    { CONFIG_LABEL_MANAGED, "db", { NULL } } }, NULL, 5 },
	{ "a [daemon] key, an unknown key, compose_project: refused", {
	    { "web-1", "abc123abc123abc123", "p", "web", 1,
	      { "dockscale.compose_project=q", "dockscale.enable=true", "dockscale.listen=0.0.0.0:1",
	        "dockscale.max_replica=3", "dockscale.upstream_file=/tmp/web.conf" } } }, 1,
	  { { CONFIG_LABEL_BAD, "web", {
	      "label dockscale.compose_project=q: not a label: the definition is the container's",
	      "label dockscale.listen=0.0.0.0:1: a [daemon] key: only the configuration file sets it",
	      "label dockscale.max_replica=3: unknown key 'max_replica'" } } }, NULL, 0 },
	{ "checks across keys: the container, no label", {
	    { "web-1", "abc123abc123abc123", "p", "web", 1,
	      { "dockscale.enable=true", "dockscale.max_replicas=2", "dockscale.min_replicas=3",
	        "dockscale.upstream_file=/tmp/web.conf" } } }, 1,
	  { { CONFIG_LABEL_BAD, "web", { "container web-1 (abc123abc123): service web: "
	      "min_replicas (3) is greater than max_replicas (2)" } } }, NULL, 0 },
	{ "the definition is compose's: image refused", {
	    { "web-1", "abc123abc123abc123", "p", "web", 1,
	      { "dockscale.enable=true", "dockscale.image=nginx",
	        "dockscale.upstream_file=/tmp/web.conf" } } }, 1,
	  { { CONFIG_LABEL_BAD, "web", { "label dockscale.image=nginx: service web: image "
	      "cannot be set with compose_project" } } }, NULL, 0 },
	{ "not a compose container", {
	    { "solo", "abc123abc123abc123", NULL, NULL, 1,
	      { "dockscale.enable=true", "dockscale.upstream_file=/tmp/web.conf" } } }, 1,
	  { { CONFIG_LABEL_BAD, "solo", { "container solo (abc123abc123): not a docker-compose "
	      "container" } } }, NULL, 0 },
	{ "the file wins", {
	    { "p_api_1", "abc123abc123abc123", "p", "api", 1,
	      { "dockscale.enable=true", "dockscale.upstream_file=/tmp/x.conf" } } }, 1,
	  { { CONFIG_LABEL_SHADOWED, "api", { "container p_api_1 (abc123abc123): service api is "
	      "also in m.conf (line 4): the file's wins" } } }, NULL, 0 },
	{ "two containers, one name: the first listed wins", {
	    { "p_a_1", "aaaaaaaaaaaaaaaa", "p", "a", 1,
	      { "dockscale.enable=true", "dockscale.service=web", "dockscale.upstream_file=/tmp/a.conf" } },
	    { "p_b_1", "bbbbbbbbbbbbbbbb", "p", "b", 1,
	      { "dockscale.enable=true", "dockscale.service=web", "dockscale.upstream_file=/tmp/b.conf" } } }, 2,
	  { { CONFIG_LABEL_MANAGED, "web", { NULL } },
	    { CONFIG_LABEL_DUPLICATE, "web", { "container p_b_1 (bbbbbbbbbbbb): service web is also "
	      "declared by container p_a_1 (aaaaaaaaaaaa)" } } }, NULL, 5 },
	{ "one compose service, two containers (a recreate): the first (newest) is it", {
	    { "p_web_1", "bbbbbbbbbbbbbbbb", "p", "web", 2,
	      { "dockscale.enable=true", "dockscale.max_replicas=6", "dockscale.upstream_file=/tmp/w.conf" } },
	    { "aaaa_p_web_1", "aaaaaaaaaaaaaaaa", "p", "web", 1,
	      { "dockscale.enable=true", "dockscale.max_replicas=4", "dockscale.upstream_file=/tmp/w.conf" } } }, 2,
	  { { CONFIG_LABEL_MANAGED, "web", { NULL } }, { CONFIG_LABEL_MANAGED, "web", { NULL } } },
	  NULL, 6 },
	{ "a compose service name that is no service name", {
	    { "p_Web_1", "abc123abc123abc123", "p", "Web", 1,
	      { "dockscale.enable=true", "dockscale.upstream_file=/tmp/w.conf" } } }, 1,
	  { { CONFIG_LABEL_BAD, "Web", { "container p_Web_1 (abc123abc123): bad service name 'Web': "
	      "use [a-z0-9_-], starting with a letter or digit (set dockscale.service)" } } }, NULL, 0 },
	{ "checks across services: the file's upstream file", {
	    { "p_web_1", "abc123abc123abc123", "p", "web", 1,
	      { "dockscale.enable=true", "dockscale.upstream_file=/tmp/api.conf" } } }, 1,
	  { { CONFIG_LABEL_BAD, "web", { "service web: upstream_file /tmp/api.conf is also used by "
	      "service api" } } }, NULL, 0 },
	{ "a moot label is a warning naming it", {
	    { "p_web_1", "abc123abc123abc123", "p", "web", 1,
	      { "dockscale.enable=true", "dockscale.target=50", "dockscale.upstream_file=/tmp/w.conf" } } }, 1,
	  { { CONFIG_LABEL_MANAGED, "web", { NULL } } },
	  "container p_web_1 (abc123abc123) label dockscale.target=50: ", 5 },
};

static void
src_make(const struct src_spec *sp, struct label_src *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", sp->id);
	snprintf(s->name, sizeof(s->name), "%s", sp->name);
	s->created = sp->created;
	s->project = sp->project != NULL ? strdup(sp->project) : NULL;
	s->service = sp->service != NULL ? strdup(sp->service) : NULL;
	while (s->n < 8 && sp->labels[s->n] != NULL)
		s->n++;
	s->kv = calloc(s->n + 1, sizeof(*s->kv));
	assert_non_null(s->kv);
	for (size_t i = 0; i < s->n; i++) {
		const char *eq = strchr(sp->labels[i], '=');

		s->kv[i].key = strndup(sp->labels[i], (size_t)(eq - sp->labels[i]));
		s->kv[i].value = strdup(eq + 1);
	}
}

static bool
has(const struct strv *sv, const char *sub)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strstr(sv->v[i], sub) != NULL)
			return true;
	return false;
}

static void
print_all(const char *what, const struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		print_message("%s: %s\n", what, sv->v[i]);
}

static void
test_merge(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct merge_case *tc = &cases[c];
		struct label_src src[3];
		struct config_label_result res[3];
		struct config cfg;
		struct config_errors errs;
		size_t managed = 0, first = tc->n;

		print_message("case: %s\n", tc->what);
		assert_int_equal(load(FILE_TEXT, &cfg, &errs), 0);
		for (size_t i = 0; i < tc->n; i++)
			src_make(&tc->src[i], &src[i]);
		assert_int_equal(config_labels_merge(&cfg, src, tc->n, res), 0);
		for (size_t i = 0; i < tc->n; i++) {
			print_all(tc->what, &res[i].msgs);
			assert_int_equal(res[i].state, tc->want[i].state);
			assert_string_equal(res[i].service, tc->want[i].service);
			for (size_t k = 0; k < 3 && tc->want[i].msgs[k] != NULL; k++)
				if (!has(&res[i].msgs, tc->want[i].msgs[k]))
					fail_msg("%s: no message with \"%s\"", tc->what, tc->want[i].msgs[k]);
			if (tc->want[i].msgs[0] == NULL)
				assert_int_equal(res[i].msgs.n, 0);
			/* A service is added once, by its first container. */
			managed += res[i].state == CONFIG_LABEL_MANAGED &&
			    (i == 0 || strcmp(res[i].service, res[i - 1].service) != 0);
			if (res[i].state == CONFIG_LABEL_MANAGED && first == tc->n)
				first = i;
		}
		assert_int_equal(cfg.nsvcs, 1 + managed);
		if (managed > 0) {
			const struct svc_conf *s = &cfg.svcs[1];

			assert_string_equal(s->name, tc->want[first].service);
			assert_string_equal(s->compose_project, tc->src[first].project);
			assert_string_equal(s->compose_service, tc->src[first].service);
			assert_int_equal(s->dp.max_replicas, tc->max_replicas);
		}
		if (tc->warning != NULL && !has(&cfg.warnings, tc->warning)) {
			print_all("warning", &cfg.warnings);
			fail_msg("%s: no warning with \"%s\"", tc->what, tc->warning);
		}
		config_labels_results_free(res, tc->n);
		for (size_t i = 0; i < tc->n; i++) {
			struct label_src *one = &src[i];

			for (size_t k = 0; k < one->n; k++) {
				free(one->kv[k].key);
				free(one->kv[k].value);
			}
			free(one->kv);
			free(one->project);
			free(one->service);
		}
		config_free(&cfg);
		config_errors_free(&errs);
	}
}

/* The container list: dockscale's replicas, one-offs and enable != true are no sources;
 * only the dockscale.* labels are kept, sorted; one compose service's newest first. */
static void
test_sources(void **state)
{
	static const char body[] = "["
	    "{\"Id\":\"cccc\",\"Names\":[\"/p_web_1\"],\"Created\":10,\"Labels\":{"
	    "\"dockscale.enable\":\"true\",\"dockscale.max_replicas\":\"6\",\"a.b\":\"c\","
	    "\"com.docker.compose.project\":\"p\",\"com.docker.compose.service\":\"web\","
	    "\"dockscale.metric\":\"none\"}},"
	    "{\"Id\":\"dddd\",\"Names\":[\"/x_p_web_1\"],\"Created\":20,\"Labels\":{"
	    "\"dockscale.enable\":\"true\",\"com.docker.compose.project\":\"p\","
	    "\"com.docker.compose.service\":\"web\"}},"
	    "{\"Id\":\"eeee\",\"Names\":[\"/web-2\"],\"Labels\":{\"dockscale.enable\":\"true\","
	    "\"io.dockscale.service\":\"web\"}},"
	    "{\"Id\":\"ffff\",\"Names\":[\"/p_web_run_1\"],\"Labels\":{\"dockscale.enable\":"
	    "\"true\",\"com.docker.compose.oneoff\":\"True\"}},"
	    "{\"Id\":\"gggg\",\"Names\":[\"/off\"],\"Labels\":{\"dockscale.enable\":\"false\"}},"
	    "{\"Id\":\"hhhh\",\"Names\":[\"/solo\"],\"Labels\":{\"dockscale.enable\":\"true\"}}]";
	struct label_src *v, *w;
	size_t n, m;

	(void)state;
	assert_int_equal(compose_label_sources(body, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].name, "solo"); /* no project sorts first */
	assert_null(v[0].project);
	assert_string_equal(v[1].name, "x_p_web_1"); /* newest of p/web */
	assert_string_equal(v[2].name, "p_web_1");
	assert_string_equal(v[2].project, "p");
	assert_string_equal(v[2].service, "web");
	assert_int_equal(v[2].n, 3);
	assert_string_equal(v[2].kv[0].key, "dockscale.enable");
	assert_string_equal(v[2].kv[1].key, "dockscale.max_replicas");
	assert_string_equal(v[2].kv[1].value, "6");
	assert_string_equal(v[2].kv[2].key, "dockscale.metric");
	assert_int_equal(compose_label_sources(body, &w, &m), 0);
	assert_true(compose_label_sources_same(v, n, w, m));
	free(w[2].kv[1].value);
	w[2].kv[1].value = strdup("7");
	assert_false(compose_label_sources_same(v, n, w, m));
	assert_false(compose_label_sources_same(v, n, w, m - 1));
	compose_label_sources_free(v, n);
	compose_label_sources_free(w, m);
	assert_int_equal(compose_label_sources("{}", &v, &n), -1);
	assert_int_equal(compose_label_sources("[]", &v, &n), 0);
	assert_int_equal(n, 0);
	compose_label_sources_free(v, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_sources),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
