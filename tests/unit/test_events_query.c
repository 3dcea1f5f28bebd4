/* test_events_query.c: GET /api/v1/events arguments, filtering, limit and the answer's ids. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <string.h>

#include "events_query.h"

static int
parse(struct events_query *q, const char *svc, const char *since, const char *type,
    const char *limit, const char *wait)
{
	char err[160];

	return events_query_parse(q, svc, since, type, limit, wait, err, sizeof err);
}

static void
test_parse_defaults_and_values(void **state)
{
	struct events_query q;

	(void)state;
	assert_int_equal(parse(&q, NULL, NULL, NULL, NULL, NULL), 0);
	assert_true(q.any_service);
	assert_int_equal(q.since, 0);
	assert_int_equal(q.type, -1);
	assert_int_equal(q.limit, EVENTS_LIMIT_DEFAULT);
	assert_int_equal(q.wait_ms, 0);
	assert_int_equal(parse(&q, "web", "12", "decision", "1000", "30s"), 0);
	assert_false(q.any_service);
	assert_string_equal(q.service, "web");
	assert_int_equal(q.since, 12);
	assert_int_equal(q.type, EV_DECISION);
	assert_int_equal(q.limit, 1000);
	assert_int_equal(q.wait_ms, 30000);
	assert_int_equal(parse(&q, NULL, NULL, NULL, NULL, "500ms"), 0);
	assert_int_equal(q.wait_ms, 500);
	assert_int_equal(parse(&q, NULL, NULL, NULL, NULL, "60s"), 0);
}

static void
test_parse_refuses_bad_values(void **state)
{
	struct events_query q;
	char err[160] = "";

	(void)state;
	assert_int_equal(parse(&q, NULL, "-1", NULL, NULL, NULL), -1);
	assert_int_equal(parse(&q, NULL, "1x", NULL, NULL, NULL), -1);
	assert_int_equal(parse(&q, NULL, "", NULL, NULL, NULL), -1);
	assert_int_equal(parse(&q, NULL, " 1", NULL, NULL, NULL), -1);
	assert_int_equal(parse(&q, NULL, "99999999999999999999999", NULL, NULL, NULL), -1);
	assert_int_equal(parse(&q, NULL, NULL, "nope", NULL, NULL), -1);
	assert_int_equal(parse(&q, NULL, NULL, NULL, "0", NULL), -1);
	assert_int_equal(parse(&q, NULL, NULL, NULL, "1001", NULL), -1);
	assert_int_equal(parse(&q, NULL, NULL, NULL, "+5", NULL), -1);
	assert_int_equal(parse(&q, NULL, NULL, NULL, NULL, "61s"), -1);
	assert_int_equal(parse(&q, NULL, NULL, NULL, NULL, "soon"), -1);
	assert_int_equal(parse(&q, NULL, NULL, NULL, NULL, "-1s"), -1);
	assert_int_equal(events_query_parse(&q, NULL, NULL, NULL, "2000", NULL, err, sizeof err),
	    -1);
	assert_non_null(strstr(err, "limit"));
	char longname[EVENT_SVC_MAX + 2];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_int_equal(parse(&q, longname, NULL, NULL, NULL, NULL), -1);
}

static void
test_run_filters_and_cuts(void **state)
{
	struct events e;
	struct events_query q;
	const struct event *out[EVENTS_LIMIT_MAX];
	bool cut;
	size_t n;
	cJSON *o;

	(void)state;
	events_init(&e, 8);
	for (int i = 0; i < 5; i++)
		events_add(&e, i % 2 == 0 ? EV_DECISION : EV_REPLICA, i < 3 ? "web" : "api",
		    "event %d", i + 1);
	assert_int_equal(parse(&q, "web", NULL, NULL, NULL, NULL), 0);
	n = events_query_run(&e, &q, out, &cut);
	assert_int_equal(n, 3);
	assert_false(cut);
	assert_int_equal(parse(&q, NULL, "2", "decision", NULL, NULL), 0);
	n = events_query_run(&e, &q, out, &cut);
	assert_int_equal(n, 2); /* ids 3 and 5 */
	assert_int_equal(out[0]->id, 3);
	assert_int_equal(out[1]->id, 5);
	/* A cut answer says where it stopped, so the next page starts there. */
	assert_int_equal(parse(&q, NULL, NULL, NULL, "2", NULL), 0);
	n = events_query_run(&e, &q, out, &cut);
	assert_int_equal(n, 2);
	assert_true(cut);
	o = events_query_json(&e, out, n, cut);
	assert_int_equal((int)cJSON_GetObjectItem(o, "last_id")->valuedouble, 2);
	assert_int_equal((int)cJSON_GetObjectItem(o, "oldest_id")->valuedouble, 1);
	cJSON *ev0 = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "events"), 0);
	assert_string_equal(cJSON_GetObjectItem(ev0, "type")->valuestring, "decision");
	assert_string_equal(cJSON_GetObjectItem(ev0, "service")->valuestring, "web");
	assert_string_equal(cJSON_GetObjectItem(ev0, "message")->valuestring, "event 1");
	const char *t = cJSON_GetObjectItem(ev0, "time")->valuestring;
	assert_int_equal(strlen(t), strlen("2026-11-30T21:00:00.123Z"));
	assert_int_equal(t[10], 'T');
	assert_int_equal(t[23], 'Z');
	cJSON_Delete(o);
	/* Not cut: last_id is the ring's newest, even when nothing matched. */
	assert_int_equal(parse(&q, "api", "5", NULL, NULL, NULL), 0);
	n = events_query_run(&e, &q, out, &cut);
	assert_int_equal(n, 0);
	o = events_query_json(&e, out, n, cut);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "events")), 0);
	assert_int_equal((int)cJSON_GetObjectItem(o, "last_id")->valuedouble, 5);
	cJSON_Delete(o);
	events_fini(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_defaults_and_values),
		cmocka_unit_test(test_parse_refuses_bad_values),
		cmocka_unit_test(test_run_filters_and_cuts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
