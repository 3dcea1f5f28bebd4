/* test_swarmjson.c: the Engine's Swarm answers, on fixtures captured from dockerd 20.10.24
 * (tests/unit/fixtures/swarm_*.json: a three-manager cluster and a one-node one made by
 * tests/integration/swarmlab.py), and every bad shape. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "swarm.h"

static char *
fixture(const char *name)
{
	char path[512];
	const char *slash = strrchr(__FILE__, '/');
	FILE *fp;
	char *buf = NULL;
	long n;

	snprintf(path, sizeof(path), "%.*s/fixtures/%s", slash != NULL ? (int)(slash - __FILE__)
	    : 1, slash != NULL ? __FILE__ : ".", name);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) > 0 && fseek(fp, 0, SEEK_SET) == 0 &&
	    (buf = calloc(1, (size_t)n + 1)) != NULL && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	assert_non_null(buf);
	return buf;
}

static void
test_service(void **state)
{
	char *body = fixture("swarm_service.json");
	struct swarm_service sv;

	(void)state;
	assert_int_equal(swarmjson_service(body, &sv), 0);
	assert_string_equal(sv.id, "lcscq8114l56en17iil59sbfd");
	assert_string_equal(sv.name, "t1");
	assert_int_equal(sv.version, 30);
	assert_true(sv.replicated);
	assert_int_equal(sv.replicas, 6);
	assert_string_equal(sv.image, "dockscale-demo:latest");
	free(body);
	body = fixture("swarm_service_global.json");
	assert_int_equal(swarmjson_service(body, &sv), 0);
	assert_false(sv.replicated);
	free(body);
	/* Bad shapes: not JSON, no ID, no version, a count that is not a whole number. */
	assert_int_equal(swarmjson_service("nope", &sv), -1);
	assert_int_equal(swarmjson_service("{\"Version\":{\"Index\":1},\"Spec\":{\"Name\":\"a\"}}",
	    &sv), -1);
	assert_int_equal(swarmjson_service("{\"ID\":\"x\",\"Spec\":{\"Name\":\"a\"}}", &sv), -1);
	assert_int_equal(swarmjson_service("{\"ID\":\"x\",\"Version\":{\"Index\":1},\"Spec\":{"
	    "\"Name\":\"a\",\"Mode\":{\"Replicated\":{\"Replicas\":1.5}}}}", &sv), -1);
	assert_int_equal(swarmjson_service("{\"ID\":\"x\",\"Version\":{\"Index\":-1},\"Spec\":{"
	    "\"Name\":\"a\"}}", &sv), -1);
	/* Replicas absent: Swarm's default of one. */
	assert_int_equal(swarmjson_service("{\"ID\":\"x\",\"Version\":{\"Index\":7},\"Spec\":{"
	    "\"Name\":\"a\",\"Mode\":{\"Replicated\":{}}}}", &sv), 0);
	assert_int_equal(sv.replicas, 1);
}

/* The update body is the Spec as read, only the count changed. */
static void
test_scale_body(void **state)
{
	char *body = fixture("swarm_service.json"), why[128] = "", *out;
	cJSON *got;

	(void)state;
	out = swarmjson_scale_body(body, 9, why, sizeof(why));
	assert_non_null(out);
	got = cJSON_Parse(out);
	assert_non_null(got);
	{
		cJSON *root = cJSON_Parse(body), *spec = cJSON_DetachItemFromObject(root, "Spec");

		cJSON_SetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
		    spec, "Mode"), "Replicated"), "Replicas"), 9);
		assert_true(cJSON_Compare(got, spec, true));
		cJSON_Delete(spec);
		cJSON_Delete(root);
	}
	cJSON_Delete(got);
	free(out);
	free(body);
	body = fixture("swarm_service_global.json");
	assert_null(swarmjson_scale_body(body, 2, why, sizeof(why)));
	assert_non_null(strstr(why, "not a replicated service"));
	free(body);
	assert_null(swarmjson_scale_body("[", 2, why, sizeof(why)));
	assert_non_null(strstr(why, "not JSON"));
	/* Replicas absent (Swarm's default): added. */
	out = swarmjson_scale_body("{\"Spec\":{\"Name\":\"a\",\"Mode\":{\"Replicated\":{}}}}", 3,
	    why, sizeof(why));
	assert_non_null(out);
	assert_string_equal(out, "{\"Name\":\"a\",\"Mode\":{\"Replicated\":{\"Replicas\":3}}}");
	free(out);
}

static void
test_tasks(void **state)
{
	char *body = fixture("swarm_tasks.json");
	struct swarm_task t[8];
	struct swarm_counts c;

	(void)state;
	/* Six running tasks over three nodes. */
	assert_int_equal(swarmjson_tasks(body, "lcscq8114l56en17iil59sbfd", t, 8, &c), 6);
	assert_int_equal(c.running, 6);
	assert_int_equal(c.pending, 0);
	assert_int_equal(t[0].slot, 6);
	assert_string_equal(t[0].node_id, "ssff1l9nshvlhy2q87bgtv7zc");
	assert_int_equal(strlen(t[0].container_id), 64);
	/* Another service's tasks are not counted. */
	assert_int_equal(swarmjson_tasks(body, "other", NULL, 0, &c), 0);
	assert_int_equal(c.total, 0);
	free(body);
	/* Scaled 3 -> 1 -> 2: one running, one starting (not healthy yet), one being removed. */
	body = fixture("swarm_tasks_mixed.json");
	assert_int_equal(swarmjson_tasks(body, "mb8pm5935thsnbg0do5gbmo16", t, 2, &c), 2);
	assert_int_equal(c.total, 3);
	assert_int_equal(c.running, 1);
	assert_int_equal(c.pending, 1);
	free(body);
	assert_int_equal(swarmjson_tasks("{}", "x", t, 8, &c), -1);
	/* Wrong types: skipped, not counted. */
	assert_int_equal(swarmjson_tasks("[{\"ID\":\"a\",\"ServiceID\":\"x\",\"DesiredState\":1,"
	    "\"Status\":{\"State\":\"running\"}},{\"ID\":\"b\",\"ServiceID\":\"x\","
	    "\"DesiredState\":\"running\",\"Status\":{}}]", "x", t, 8, &c), 0);
	assert_int_equal(c.total, 0);
}

static void
test_info_and_leadership(void **state)
{
	char *body = fixture("swarm_info.json");
	struct swarm_info in;
	struct swarm_leadership ld;

	(void)state;
	assert_int_equal(swarmjson_info(body, &in), 0);
	assert_string_equal(in.node_id, "gytxu58b458vrzwjfxiewy7tf");
	assert_string_equal(in.node_addr, "10.199.15.11");
	assert_string_equal(in.state, "active");
	assert_true(in.manager);
	free(body);
	body = fixture("swarm_info_inactive.json");
	assert_int_equal(swarmjson_info(body, &in), 0);
	assert_string_equal(in.state, "inactive");
	assert_false(in.manager);
	free(body);
	assert_int_equal(swarmjson_info("{\"Swarm\":{}}", &in), -1);
	assert_int_equal(swarmjson_info("[]", &in), -1);

	body = fixture("swarm_nodes.json");
	assert_int_equal(swarmjson_leadership(body, "gytxu58b458vrzwjfxiewy7tf", &ld), 0);
	assert_true(ld.leader_known);
	assert_true(ld.self_leader);
	assert_string_equal(ld.leader_addr, "10.199.15.11:2377");
	assert_int_equal(swarmjson_leadership(body, "jsfh6djz1u3pn4gx0om1us4a8", &ld), 0);
	assert_true(ld.leader_known);
	assert_false(ld.self_leader);
	assert_string_equal(ld.leader_id, "gytxu58b458vrzwjfxiewy7tf");
	assert_string_equal(ld.leader_name, "vm");
	free(body);
	/* No leader (an election under way): known to be unknown. */
	assert_int_equal(swarmjson_leadership("[{\"ID\":\"a\",\"ManagerStatus\":{\"Reachability\":"
	    "\"unreachable\"}}]", "a", &ld), 0);
	assert_false(ld.leader_known);
	assert_false(ld.self_leader);
	assert_int_equal(swarmjson_leadership("{}", "a", &ld), -1);
}

static void
test_local(void **state)
{
	char *body = fixture("swarm_containers.json");
	struct swarm_local l[4];

	(void)state;
	assert_int_equal(swarmjson_local(body, l, 4), 2);
	assert_string_equal(l[0].name, "web.2.p7fa8uqoir6jiody7oi8anc7e");
	assert_string_equal(l[0].task_id, "p7fa8uqoir6jiody7oi8anc7e");
	assert_string_equal(l[0].service_id, "vey1mtabgc55vefhb43gh7j09");
	assert_string_equal(l[0].node_id, "lcs06dqsr1a7pop4duw5ypctf");
	assert_string_equal(l[0].image, "dockscale-demo:latest");
	assert_int_equal(strlen(l[0].id), 64);
	assert_int_equal(swarmjson_local(body, l, 1), 1);
	free(body);
	/* Not running, or no task labels (a container of ours, a compose one): skipped. */
	assert_int_equal(swarmjson_local("[{\"Id\":\"a\",\"Names\":[\"/x\"],\"State\":"
	    "\"exited\",\"Labels\":{\"com.docker.swarm.task.id\":\"t\","
	    "\"com.docker.swarm.service.id\":\"s\"}},{\"Id\":\"b\",\"Names\":[\"/y\"],"
	    "\"State\":\"running\",\"Labels\":{}}]", l, 4), 0);
	assert_int_equal(swarmjson_local("{}", l, 4), -1);
}

static void
test_out_of_sequence(void **state)
{
	(void)state;
	/* What dockerd 20.10 answers (HTTP 500) to a stale version. */
	assert_true(swarmjson_out_of_sequence("rpc error: code = Unknown desc = update out of "
	    "sequence"));
	assert_false(swarmjson_out_of_sequence("rpc error: code = NotFound desc = service x not "
	    "found"));
	assert_false(swarmjson_out_of_sequence(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service),
		cmocka_unit_test(test_scale_body),
		cmocka_unit_test(test_tasks),
		cmocka_unit_test(test_info_and_leadership),
		cmocka_unit_test(test_local),
		cmocka_unit_test(test_out_of_sequence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
