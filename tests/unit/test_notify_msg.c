/* test_notify_msg.c: notification bodies (json, slack), the events selection, and the
 * bounded queue under a flood. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify_msg.h"

static struct event
ev_of(enum event_type t, const char *svc, const char *msg, bool failure)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.id = 42;
	ev.unix_ms = 1765000000123LL; /* 2025-12-06T05:46:40.123Z */
	ev.type = t;
	ev.failure = failure;
	snprintf(ev.service, sizeof(ev.service), "%s", svc);
	snprintf(ev.msg, sizeof(ev.msg), "%s", msg);
	return ev;
}

static void
test_json_body(void **state)
{
	struct event ev = ev_of(EV_DECISION, "web", "web: 1 -> 2 \"quoted\" \\ <b>", false);
	char *b = notify_body(&ev, NOTIFY_JSON);
	cJSON *o, *x;

	(void)state;
	assert_non_null(b);
	o = cJSON_Parse(b);
	assert_non_null(o);
	x = cJSON_GetObjectItemCaseSensitive(o, "id");
	assert_true(cJSON_IsNumber(x) && x->valuedouble == 42);
	x = cJSON_GetObjectItemCaseSensitive(o, "time");
	assert_true(cJSON_IsString(x));
	assert_string_equal(x->valuestring, "2025-12-06T05:46:40.123Z");
	x = cJSON_GetObjectItemCaseSensitive(o, "unix_ms");
	assert_true(cJSON_IsNumber(x) && x->valuedouble == 1765000000123.0);
	x = cJSON_GetObjectItemCaseSensitive(o, "type");
	assert_true(cJSON_IsString(x));
	assert_string_equal(x->valuestring, "decision");
	x = cJSON_GetObjectItemCaseSensitive(o, "service");
	assert_true(cJSON_IsString(x));
	assert_string_equal(x->valuestring, "web");
	x = cJSON_GetObjectItemCaseSensitive(o, "message");
	assert_true(cJSON_IsString(x));
	assert_string_equal(x->valuestring, "web: 1 -> 2 \"quoted\" \\ <b>");
	x = cJSON_GetObjectItemCaseSensitive(o, "failure");
	assert_true(cJSON_IsFalse(x));
	cJSON_Delete(o);
	free(b);
}

static void
test_slack_body(void **state)
{
	struct event ev = ev_of(EV_REPLICA, "web", "web: replica web-2 failed to start (a<b & c>d) \"x\"",
	    true);
	struct event daemon = ev_of(EV_RELOAD, "", "configuration reloaded", false);
	char *b = notify_body(&ev, NOTIFY_SLACK), *b2 = notify_body(&daemon, NOTIFY_SLACK);
	cJSON *o, *x;

	(void)state;
	assert_non_null(b);
	o = cJSON_Parse(b);
	assert_non_null(o);
	assert_int_equal(cJSON_GetArraySize(o), 1); /* only "text": any Slack-like hook takes it */
	x = cJSON_GetObjectItemCaseSensitive(o, "text");
	assert_true(cJSON_IsString(x));
	assert_string_equal(x->valuestring, "dockscale: [replica failure] web web: replica web-2 "
	    "failed to start (a&lt;b &amp; c&gt;d) \"x\"");
	cJSON_Delete(o);
	o = cJSON_Parse(b2);
	x = cJSON_GetObjectItemCaseSensitive(o, "text");
	assert_true(cJSON_IsString(x));
	assert_string_equal(x->valuestring, "dockscale: [reload] configuration reloaded");
	cJSON_Delete(o);
	free(b);
	free(b2);
}

/* The longest message, all markup: still one whole body, cut within its text. */
static void
test_slack_long(void **state)
{
	char big[EVENT_MSG_MAX + 1];
	struct event ev;
	char *b;
	cJSON *o;

	(void)state;
	memset(big, '&', EVENT_MSG_MAX);
	big[EVENT_MSG_MAX] = '\0';
	ev = ev_of(EV_WAKE, "a-service-name-of-some-length", big, false);
	b = notify_body(&ev, NOTIFY_SLACK);
	assert_non_null(b);
	o = cJSON_Parse(b);
	assert_non_null(o);
	assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "text")));
	cJSON_Delete(o);
	free(b);
}

static void
test_select(void **state)
{
	struct notify_select sel;
	char err[256];
	struct event dec = ev_of(EV_DECISION, "web", "x", false);
	struct event rep = ev_of(EV_REPLICA, "web", "created", false);
	struct event repf = ev_of(EV_REPLICA, "web", "failed to start", true);
	struct event relf = ev_of(EV_RELOAD, "", "refused", true);
	struct event rel = ev_of(EV_RELOAD, "", "reloaded", false);
	struct event balf = ev_of(EV_BALANCER, "web", "sync failed", true);

	(void)state;
	assert_int_equal(notify_select_parse("scale, failed_start reload_refused", &sel, err,
	    sizeof(err)), 0);
	assert_true(notify_selected(&sel, &dec));
	assert_false(notify_selected(&sel, &rep));
	assert_true(notify_selected(&sel, &repf));
	assert_true(notify_selected(&sel, &relf));
	assert_false(notify_selected(&sel, &rel));
	assert_false(notify_selected(&sel, &balf));
	assert_int_equal(notify_select_parse("balancer_failure,replica", &sel, err, sizeof(err)), 0);
	assert_true(notify_selected(&sel, &balf));
	assert_true(notify_selected(&sel, &rep));
	assert_false(notify_selected(&sel, &dec));
	assert_int_equal(notify_select_parse("all", &sel, err, sizeof(err)), 0);
	for (int t = 0; t < EV_TYPES; t++) {
		struct event e = ev_of((enum event_type)t, "", "x", false);

		assert_true(notify_selected(&sel, &e));
	}
	assert_int_equal(notify_select_parse("decision, scaling", &sel, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'scaling'"));
	assert_int_equal(notify_select_parse(" , ", &sel, err, sizeof(err)), -1);
}

/* 10,000 bodies into a queue of 100 that nobody takes: 100 kept, the newest, and
 * 9,900 dropped; memory is the cap's (under ASan, nothing leaks). */
static void
test_queue_flood(void **state)
{
	struct notify_queue q;
	char *b;

	(void)state;
	assert_int_equal(notify_queue_init(&q, 100), 0);
	for (int i = 0; i < 10000; i++) {
		char *s = malloc(16);

		assert_non_null(s);
		snprintf(s, 16, "%d", i);
		notify_queue_push(&q, s);
		assert_true(q.n <= 100);
	}
	assert_int_equal(q.n, 100);
	assert_int_equal(q.dropped, 9900);
	b = notify_queue_pop(&q);
	assert_string_equal(b, "9900"); /* the oldest kept */
	free(b);
	/* smaller: the newest 10 stay */
	assert_int_equal(notify_queue_resize(&q, 10), 0);
	assert_int_equal(q.n, 10);
	assert_int_equal(q.dropped, 9900 + 89);
	b = notify_queue_pop(&q);
	assert_string_equal(b, "9990");
	free(b);
	assert_int_equal(notify_queue_resize(&q, 1000), 0);
	assert_int_equal(q.n, 9);
	notify_queue_fini(&q);
	assert_null(notify_queue_pop(&q));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_body),
		cmocka_unit_test(test_slack_body),
		cmocka_unit_test(test_slack_long),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_queue_flood),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
