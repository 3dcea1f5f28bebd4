/* test_webhook.c: Alertmanager 0.25 webhook payloads, real ones and every bad shape. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webhook.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A notification as Alertmanager 0.25 (notify/webhook) posts it: group of one firing
 * alert, labels sorted, endsAt the zero time, fingerprint 16 hex digits. */
static const char FIX_FIRING[] =
	"{\"receiver\":\"dockscale\",\"status\":\"firing\",\"alerts\":[{\"status\":\"firing\","
	"\"labels\":{\"alertname\":\"WebHighCPU\",\"dockscale_action\":\"scale_up\","
	"\"dockscale_service\":\"web\",\"instance\":\"127.0.0.1:9090\",\"job\":\"prometheus\","
	"\"severity\":\"page\"},\"annotations\":{\"summary\":\"web CPU above 80%\"},"
	"\"startsAt\":\"2024-05-02T10:15:30.123Z\",\"endsAt\":\"0001-01-01T00:00:00Z\","
	"\"generatorURL\":\"http://127.0.0.1:9090/graph?g0.expr=avg%28x%29+%3E+80&g0.tab=1\","
	"\"fingerprint\":\"8d3e6f2ab1c94a57\"}],\"groupLabels\":{\"alertname\":\"WebHighCPU\"},"
	"\"commonLabels\":{\"alertname\":\"WebHighCPU\",\"dockscale_action\":\"scale_up\","
	"\"dockscale_service\":\"web\"},\"commonAnnotations\":{\"summary\":\"web CPU above 80%\"},"
	"\"externalURL\":\"http://127.0.0.1:9093\",\"version\":\"4\","
	"\"groupKey\":\"{}:{alertname=\\\"WebHighCPU\\\"}\",\"truncatedAlerts\":0}\n";

static const char FIX_RESOLVED[] =
	"{\"receiver\":\"dockscale\",\"status\":\"resolved\",\"alerts\":[{\"status\":\"resolved\","
	"\"labels\":{\"alertname\":\"WebLowCPU\",\"dockscale_action\":\"scale_down\","
	"\"dockscale_service\":\"web\"},\"annotations\":{},\"startsAt\":\"2024-05-02T10:15:30Z\","
	"\"endsAt\":\"2024-05-02T10:20:30Z\",\"generatorURL\":\"\",\"fingerprint\":\"0a1b2c3d4e5f6071\"}],"
	"\"groupLabels\":{},\"commonLabels\":{},\"commonAnnotations\":{},"
	"\"externalURL\":\"http://127.0.0.1:9093\",\"version\":\"4\",\"groupKey\":\"{}/{}:{}\","
	"\"truncatedAlerts\":0}";

/* Several alerts in one group: alertname only (selected by scale_*_alerts lists), a bad
 * action, a resolved one, and one without a fingerprint (posted through the v2 API). */
static const char FIX_SEVERAL[] =
	"{\"receiver\":\"dockscale\",\"status\":\"firing\",\"version\":\"4\",\"groupKey\":\"k\","
	"\"truncatedAlerts\":0,\"alerts\":["
	"{\"status\":\"firing\",\"labels\":{\"alertname\":\"ApiBusy\"},\"annotations\":{},"
	"\"startsAt\":\"2024-05-02T10:15:30Z\",\"endsAt\":\"0001-01-01T00:00:00Z\","
	"\"generatorURL\":\"\",\"fingerprint\":\"1111111111111111\"},"
	"{\"status\":\"firing\",\"labels\":{\"alertname\":\"X\",\"dockscale_service\":\"api\","
	"\"dockscale_action\":\"sideways\"},\"fingerprint\":\"2222222222222222\"},"
	"{\"status\":\"resolved\",\"labels\":{\"alertname\":\"Y\",\"dockscale_service\":\"web\","
	"\"dockscale_action\":\"scale_down\"},\"fingerprint\":\"3333333333333333\"},"
	"{\"status\":\"firing\",\"labels\":{}}]}";

static void
test_real_firing(void **state)
{
	struct webhook_payload p;
	char err[128] = "x";

	assert_int_equal(webhook_parse(FIX_FIRING, strlen(FIX_FIRING), &p, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(p.status, "firing");
	assert_int_equal(p.nalerts, 1);
	assert_string_equal(p.alerts[0].alertname, "WebHighCPU");
	assert_string_equal(p.alerts[0].service, "web");
	assert_int_equal(p.alerts[0].action, DECIDE_UP);
	assert_false(p.alerts[0].action_invalid);
	assert_true(p.alerts[0].firing);
	assert_string_equal(p.alerts[0].fingerprint, "8d3e6f2ab1c94a57");
	webhook_payload_free(&p);
	assert_null(p.alerts);
	webhook_payload_free(&p); /* twice is harmless */
	webhook_payload_free(NULL);
}

static void
test_real_resolved(void **state)
{
	struct webhook_payload p;
	char err[128];

	assert_int_equal(
	    webhook_parse(FIX_RESOLVED, strlen(FIX_RESOLVED), &p, err, sizeof(err)), 0);
	assert_string_equal(p.status, "resolved");
	assert_int_equal(p.nalerts, 1);
	assert_false(p.alerts[0].firing);
	assert_int_equal(p.alerts[0].action, DECIDE_DOWN);
	assert_string_equal(p.alerts[0].fingerprint, "0a1b2c3d4e5f6071");
	webhook_payload_free(&p);
}

static void
test_several(void **state)
{
	static const struct {
		const char *alertname, *service, *fingerprint;
		enum decide_dir action;
		bool invalid, firing;
	} want[] = {
		{ "ApiBusy", "", "1111111111111111", DECIDE_HOLD, false, true },
		{ "X", "api", "2222222222222222", DECIDE_HOLD, true, true },
		{ "Y", "web", "3333333333333333", DECIDE_DOWN, false, false },
		{ "", "", "", DECIDE_HOLD, false, true },
	};
	struct webhook_payload p;
	char err[128];

	assert_int_equal(webhook_parse(FIX_SEVERAL, strlen(FIX_SEVERAL), &p, err, sizeof(err)), 0);
	assert_int_equal(p.nalerts, N(want));
	for (size_t i = 0; i < N(want); i++) {
		assert_string_equal(p.alerts[i].alertname, want[i].alertname);
		assert_string_equal(p.alerts[i].service, want[i].service);
		assert_string_equal(p.alerts[i].fingerprint, want[i].fingerprint);
		assert_int_equal(p.alerts[i].action, want[i].action);
		assert_int_equal(p.alerts[i].action_invalid, want[i].invalid);
		assert_int_equal(p.alerts[i].firing, want[i].firing);
	}
	webhook_payload_free(&p);
}

/* The body is not NUL-terminated: parse a copy with no terminator, and a prefix of a
 * longer buffer, so a read past len would show (valgrind/ASan) or change the result. */
static void
test_length_bounded(void **state)
{
	size_t n = strlen(FIX_FIRING);
	char *b = malloc(n);
	struct webhook_payload p;
	char err[128];

	memcpy(b, FIX_FIRING, n);
	assert_int_equal(webhook_parse(b, n, &p, err, sizeof(err)), 0);
	webhook_payload_free(&p);
	free(b);
	assert_int_equal(webhook_parse("{\"version\":\"4\",\"alerts\":[]}xyz", 27, &p, err,
	    sizeof(err)), 0);
	assert_int_equal(webhook_parse("{\"version\":\"4\",\"alerts\":[]}xyz", 28, &p, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "not JSON");
}

/* Valid variants: what must parse, and what the one interesting field then is. */
static void
test_valid_shapes(void **state)
{
	static const struct {
		const char *body;
		size_t nalerts;
		const char *status;
	} cases[] = {
		{ "{\"version\":\"4\",\"alerts\":[]}", 0, "" },
		{ " \n{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[]}\r\n\t", 0, "firing" },
		/* group status is informational: junk there is dropped, not fatal */
		{ "{\"version\":\"4\",\"status\":\"bogus\",\"alerts\":[]}", 0, "" },
		{ "{\"version\":\"4\",\"status\":7,\"alerts\":[]}", 0, "" },
		/* unknown fields anywhere are ignored */
		{ "{\"version\":\"4\",\"future\":{\"x\":[1,2]},\"alerts\":[{\"status\":\"firing\","
		  "\"labels\":{\"a\":\"b\"},\"annotations\":{\"n\":1},\"startsAt\":5,\"extra\":null}]}",
		    1, "" },
		{ "{\"version\":\"4\",\"alerts\":[{\"status\":\"resolved\",\"labels\":{},"
		  "\"fingerprint\":null}]}", 1, "" },
	};
	struct webhook_payload p;
	char err[128];

	for (size_t i = 0; i < N(cases); i++) {
		int rc = webhook_parse(cases[i].body, strlen(cases[i].body), &p, err, sizeof(err));

		if (rc != 0)
			fail_msg("case %zu: %s", i, err);
		assert_int_equal(p.nalerts, cases[i].nalerts);
		assert_true((p.alerts != NULL) == (cases[i].nalerts > 0));
		assert_string_equal(p.status, cases[i].status);
		webhook_payload_free(&p);
	}
}

static void
test_actions(void **state)
{
	static const struct {
		const char *labels;
		enum decide_dir action;
		bool invalid;
	} cases[] = {
		{ "{\"dockscale_action\":\"scale_up\"}", DECIDE_UP, false },
		{ "{\"dockscale_action\":\"scale_down\"}", DECIDE_DOWN, false },
		{ "{}", DECIDE_HOLD, false },
		{ "{\"dockscale_action\":\"\"}", DECIDE_HOLD, true },
		{ "{\"dockscale_action\":\"SCALE_UP\"}", DECIDE_HOLD, true },
		{ "{\"dockscale_action\":\"scale_up \"}", DECIDE_HOLD, true },
		{ "{\"dockscale_action\":\"hold\"}", DECIDE_HOLD, true },
		{ "{\"Dockscale_action\":\"scale_up\"}", DECIDE_HOLD, false },
	};
	char body[512], err[128];
	struct webhook_payload p;

	for (size_t i = 0; i < N(cases); i++) {
		int n = snprintf(body, sizeof(body),
		    "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":%s}]}",
		    cases[i].labels);

		assert_true(n > 0 && (size_t)n < sizeof(body));
		assert_int_equal(webhook_parse(body, (size_t)n, &p, err, sizeof(err)), 0);
		assert_int_equal(p.alerts[0].action, cases[i].action);
		assert_int_equal(p.alerts[0].action_invalid, cases[i].invalid);
		webhook_payload_free(&p);
	}
}

/* Every refusal: -1, the expected message, nothing allocated. */
static void
test_errors(void **state)
{
	static const struct {
		const char *body;
		const char *err;
	} cases[] = {
		{ "", "not JSON" },
		{ "hello", "not JSON" },
		{ "{\"version\":\"4\",\"alerts\":[]", "not JSON" },
		{ "{\"version\":\"4\",\"alerts\":[]}}", "not JSON" },
		{ "<html>502 Bad Gateway</html>", "not JSON" },
		{ "[]", "payload is not a JSON object" },
		{ "[{\"version\":\"4\",\"alerts\":[]}]", "payload is not a JSON object" },
		{ "\"4\"", "payload is not a JSON object" },
		{ "null", "payload is not a JSON object" },
		{ "{\"alerts\":[]}", "version missing" },
		{ "{\"Version\":\"4\",\"alerts\":[]}", "version missing" },
		{ "{\"version\":\"3\",\"alerts\":[]}", "unsupported version 3 (want 4)" },
		{ "{\"version\":\"4.0\",\"alerts\":[]}", "unsupported version 4.0 (want 4)" },
		{ "{\"version\":\"\",\"alerts\":[]}", "unsupported version  (want 4)" },
		{ "{\"version\":\"\\\"4\\\"\\n\",\"alerts\":[]}", "unsupported version ?4?? (want 4)" },
		{ "{\"version\":4,\"alerts\":[]}", "version must be the string 4" },
		{ "{\"version\":null,\"alerts\":[]}", "version must be the string 4" },
		{ "{\"version\":\"4\"}", "alerts missing" },
		{ "{\"version\":\"4\",\"alerts\":{}}", "alerts is not an array" },
		{ "{\"version\":\"4\",\"alerts\":null}", "alerts is not an array" },
		{ "{\"version\":\"4\",\"alerts\":\"x\"}", "alerts is not an array" },
		{ "{\"version\":\"4\",\"alerts\":[1]}", "alerts[0] is not an object" },
		{ "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":{}},[]]}",
		    "alerts[1] is not an object" },
		{ "{\"version\":\"4\",\"alerts\":[{\"labels\":{}}]}", "alerts[0]: status missing" },
		{ "{\"version\":\"4\",\"alerts\":[{\"status\":\"pending\",\"labels\":{}}]}",
		    "alerts[0]: status must be firing or resolved" },
		{ "{\"version\":\"4\",\"alerts\":[{\"status\":\"FIRING\",\"labels\":{}}]}",
		    "alerts[0]: status must be firing or resolved" },
		{ "{\"version\":\"4\",\"alerts\":[{\"status\":true,\"labels\":{}}]}",
		    "alerts[0]: status must be firing or resolved" },
		{ "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\"}]}",
		    "alerts[0]: labels missing" },
		{ "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":[]}]}",
		    "alerts[0]: labels is not an object" },
		{ "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":null}]}",
		    "alerts[0]: labels is not an object" },
		{ "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"x\":1}}]}",
		    "alerts[0]: label x is not a string" },
		{ "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":"
		  "{\"dockscale_service\":null}}]}",
		    "alerts[0]: label dockscale_service is not a string" },
		{ "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":"
		  "{\"a\\\"b\":{}}}]}",
		    "alerts[0]: label a?b is not a string" },
		{ "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":{},"
		  "\"fingerprint\":12}]}",
		    "alerts[0]: fingerprint is not a string" },
	};
	struct webhook_payload p;
	char err[128];

	for (size_t i = 0; i < N(cases); i++) {
		memset(&p, 0xa5, sizeof(p));
		if (webhook_parse(cases[i].body, strlen(cases[i].body), &p, err, sizeof(err)) != -1)
			fail_msg("case %zu parsed: %s", i, cases[i].body);
		if (strcmp(err, cases[i].err) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, cases[i].err);
		assert_null(p.alerts);
		assert_int_equal(p.nalerts, 0);
		webhook_payload_free(&p);
	}
	/* err is optional, and a tiny buffer is cut, not overrun */
	assert_int_equal(webhook_parse("[]", 2, &p, NULL, 0), -1);
	assert_int_equal(webhook_parse("[]", 2, &p, err, 8), -1);
	assert_string_equal(err, "payl...");
	assert_int_equal(webhook_parse(NULL, 0, &p, err, sizeof(err)), -1);
}

/* JSON that cJSON alone reads differently from what was sent is refused (doc/testing.md,
 * "Fuzzing"): an escaped NUL made "RelUp\u0000-not-RelUp" read as RelUp and step the
 * service; a raw NUL, invalid UTF-8 (echoed back in the answer) and a duplicate key
 * (which one counts?) were accepted. Lengths are explicit: some bodies hold NULs. */
#define HEAD "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":"
#define WB(s) s, sizeof(s) - 1
static void
test_strict_json(void **state)
{
	static const struct {
		const char *body;
		size_t len;
		const char *err;
	} cases[] = {
		{ WB(HEAD "{\"alertname\":\"RelUp\\u0000-not-RelUp\"}}]}"),
		    "\\u0000 (NUL) in a string at byte 72" },
		{ WB(HEAD "{\"dockscale_service\":\"web\\u0000x\"}}]}"),
		    "\\u0000 (NUL) in a string at byte 78" },
		{ WB(HEAD "{\"alertname\":\"RelUp\0-not-RelUp\"}}]}"),
		    "control character 0x00 in a string at byte 72" },
		{ WB("{\"version\":\"4\",\"alerts\":[]}\0"), "control character 0x00 at byte 27" },
		{ WB(HEAD "{\"alertname\":\"Rel\xff\xfeUp\"}}]}"), "invalid UTF-8 at byte 70" },
		{ WB(HEAD "{\"alertname\":\"\xc0\x80\"}}]}"), "invalid UTF-8 at byte 67" },
		{ WB(HEAD "{\"dockscale_action\":\"scale_down\",\"dockscale_action\":\"scale_up\"}}]}"),
		    "duplicate key \"dockscale_action\"" },
		{ WB("{\"version\":\"4\",\"version\":\"4\",\"alerts\":[]}"),
		    "duplicate key \"version\"" },
		{ WB("{\"version\":\"4\",\"alerts\":[],\"alerts\":[{}]}"),
		    "duplicate key \"alerts\"" },
	};
	struct webhook_payload p;
	char err[128];

	for (size_t i = 0; i < N(cases); i++) {
		memset(&p, 0xa5, sizeof(p));
		if (webhook_parse(cases[i].body, cases[i].len, &p, err, sizeof(err)) != -1)
			fail_msg("case %zu parsed", i);
		if (strcmp(err, cases[i].err) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, cases[i].err);
		assert_null(p.alerts);
		assert_int_equal(p.nalerts, 0);
	}
	/* Valid UTF-8 in a label is fine, and comes out as sent. */
	assert_int_equal(webhook_parse(WB(HEAD "{\"alertname\":\"Caf\xc3\xa9\\u00e9\"}}]}"), &p,
	    err, sizeof(err)), 0);
	assert_string_equal(p.alerts[0].alertname, "Caf\xc3\xa9\xc3\xa9");
	webhook_payload_free(&p);
}

/* Fields at the limit fit; one byte more is refused (a cut service name could select
 * another service). */
static void
test_field_lengths(void **state)
{
	static const char *const keys[] = { "alertname", "dockscale_service", "fingerprint" };
	size_t max = WEBHOOK_FIELD_MAX - 1, cap = 2 * WEBHOOK_FIELD_MAX + 256;
	char *body = malloc(cap), *val = malloc(WEBHOOK_FIELD_MAX + 1), err[128], want[128];
	struct webhook_payload p;

	for (size_t k = 0; k < N(keys); k++) {
		for (size_t len = max; len <= max + 1; len++) {
			bool fp = strcmp(keys[k], "fingerprint") == 0;
			int n;

			memset(val, 'v', len);
			val[len] = '\0';
			n = snprintf(body, cap, fp ?
			    "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":{},"
			    "\"%s\":\"%s\"}]}" :
			    "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":"
			    "{\"%s\":\"%s\"}}]}", keys[k], val);
			assert_true(n > 0 && (size_t)n < cap);
			if (len == max) {
				assert_int_equal(webhook_parse(body, (size_t)n, &p, err,
				    sizeof(err)), 0);
				webhook_payload_free(&p);
				continue;
			}
			assert_int_equal(webhook_parse(body, (size_t)n, &p, err, sizeof(err)), -1);
			n = snprintf(want, sizeof(want), fp ? "alerts[0]: %s too long (max %zu bytes)"
			    : "alerts[0]: label %s too long (max %zu bytes)", keys[k], max);
			assert_true(n > 0 && (size_t)n < sizeof(want));
			assert_string_equal(err, want);
		}
	}
	free(body);
	free(val);
}

/* A huge label we do not copy is fine; a huge label name is echoed cut. */
static void
test_huge_labels(void **state)
{
	size_t big = 100000, cap = big + 256;
	char *body = malloc(cap), *val = malloc(big + 1), err[128];
	struct webhook_payload p;
	int n;

	memset(val, 'z', big);
	val[big] = '\0';
	n = snprintf(body, cap, "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\","
	    "\"labels\":{\"description\":\"%s\",\"alertname\":\"A\"}}]}", val);
	assert_true(n > 0 && (size_t)n < cap);
	assert_int_equal(webhook_parse(body, (size_t)n, &p, err, sizeof(err)), 0);
	assert_string_equal(p.alerts[0].alertname, "A");
	webhook_payload_free(&p);
	n = snprintf(body, cap, "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\","
	    "\"labels\":{\"%s\":false}}]}", val);
	assert_true(n > 0 && (size_t)n < cap);
	assert_int_equal(webhook_parse(body, (size_t)n, &p, err, sizeof(err)), -1);
	assert_int_equal(strncmp(err, "alerts[0]: label zzzz", 21), 0);
	assert_non_null(strstr(err, "z... is not a string"));
	free(body);
	free(val);
}

static void
test_alert_count(void **state)
{
	static const char one[] = "{\"status\":\"firing\",\"labels\":{\"alertname\":\"A\"}},";
	size_t cap = (WEBHOOK_MAX_ALERTS + 1) * sizeof(one) + 64;
	char *body = malloc(cap), err[128];
	struct webhook_payload p;

	for (size_t count = WEBHOOK_MAX_ALERTS; count <= WEBHOOK_MAX_ALERTS + 1; count++) {
		size_t o = (size_t)snprintf(body, cap, "{\"version\":\"4\",\"alerts\":[");

		for (size_t i = 0; i < count; i++) {
			memcpy(body + o, one, sizeof(one) - 1);
			o += sizeof(one) - 1;
		}
		memcpy(body + o - 1, "]}", 2); /* replaces the last comma */
		o++;
		if (count == WEBHOOK_MAX_ALERTS) {
			assert_int_equal(webhook_parse(body, o, &p, err, sizeof(err)), 0);
			assert_int_equal(p.nalerts, WEBHOOK_MAX_ALERTS);
			assert_string_equal(p.alerts[WEBHOOK_MAX_ALERTS - 1].alertname, "A");
			webhook_payload_free(&p);
		} else {
			assert_int_equal(webhook_parse(body, o, &p, err, sizeof(err)), -1);
			assert_string_equal(err, "too many alerts (max 1000)");
		}
	}
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_firing),
		cmocka_unit_test(test_real_resolved),
		cmocka_unit_test(test_several),
		cmocka_unit_test(test_length_bounded),
		cmocka_unit_test(test_valid_shapes),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_strict_json),
		cmocka_unit_test(test_field_lengths),
		cmocka_unit_test(test_huge_labels),
		cmocka_unit_test(test_alert_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
