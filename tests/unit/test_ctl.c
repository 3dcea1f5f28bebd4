/* test_ctl.c: dockscalectl's argument parsing, config defaults and output formatting
 * from fixed API answers (doc/operating.md). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "ctl.h"

/* Parse a NULL-terminated list of words (argv[0] added). */
static int
parse(struct ctl_args *a, char *err, ...)
{
	char *argv[16] = { "dockscalectl" };
	int argc = 1;
	va_list ap;
	char *w;

	va_start(ap, err);
	while ((w = va_arg(ap, char *)) != NULL && argc < 15)
		argv[argc++] = w;
	va_end(ap);
	argv[argc] = NULL;
	return ctl_args_parse(argc, argv, a, err, 256);
}

static void
test_args_commands(void **state)
{
	struct ctl_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(&a, err, "status", NULL), 0);
	assert_int_equal(a.cmd, CTL_STATUS);
	assert_null(a.service);
	assert_int_equal(parse(&a, err, "status", "web", NULL), 0);
	assert_string_equal(a.service, "web");
	assert_int_equal(parse(&a, err, "scale", "web", "3", NULL), 0);
	assert_int_equal(a.cmd, CTL_SCALE);
	assert_int_equal(a.replicas, 3);
	assert_int_equal(parse(&a, err, "pause", "web", NULL), 0);
	assert_int_equal(a.replicas, -1);
	assert_int_equal(parse(&a, err, "pause", "web", "0", NULL), 0);
	assert_int_equal(a.replicas, 0);
	assert_int_equal(parse(&a, err, "resume", "web", NULL), 0);
	assert_int_equal(a.cmd, CTL_RESUME);
	/* options anywhere, before or after the command */
	assert_int_equal(parse(&a, err, "events", "web", "-f", "--since", "42", NULL), 0);
	assert_true(a.follow);
	assert_int_equal(a.since, 42);
	assert_int_equal(parse(&a, err, "--json", "-H", "http://h:1", "rollout", "web",
	    "--restart", "--token-file", "/t", "-c", "/c", NULL), 0);
	assert_true(a.json && a.restart);
	assert_string_equal(a.url, "http://h:1");
	assert_string_equal(a.token_file, "/t");
	assert_string_equal(a.config, "/c");
	assert_int_equal(parse(&a, err, "--help", NULL), 0);
	assert_int_equal(a.cmd, CTL_HELP);
	assert_int_equal(parse(&a, err, "version", NULL), 0);
	assert_int_equal(a.cmd, CTL_VERSION);
}

static void
test_args_usage_errors(void **state)
{
	struct ctl_args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(&a, err, NULL), -1);
	assert_string_equal(err, "no command given");
	assert_int_equal(parse(&a, err, "frobnicate", NULL), -1);
	assert_non_null(strstr(err, "unknown command 'frobnicate'"));
	assert_int_equal(parse(&a, err, "scale", "web", NULL), -1);
	assert_non_null(strstr(err, "missing N"));
	assert_int_equal(parse(&a, err, "explain", NULL), -1);
	assert_non_null(strstr(err, "missing SERVICE"));
	assert_int_equal(parse(&a, err, "scale", "web", "three", NULL), -1);
	assert_non_null(strstr(err, "'three'"));
	assert_int_equal(parse(&a, err, "scale", "web", "1001", NULL), -1);
	assert_int_equal(parse(&a, err, "scale", "web", "2x", NULL), -1);
	assert_int_equal(parse(&a, err, "scale", "web", "", NULL), -1);
	assert_int_equal(parse(&a, err, "status", "a", "b", NULL), -1);
	assert_non_null(strstr(err, "unexpected argument 'b'"));
	assert_int_equal(parse(&a, err, "status", "-f", NULL), -1);
	assert_non_null(strstr(err, "only goes with events"));
	assert_int_equal(parse(&a, err, "status", "--restart", NULL), -1);
	assert_int_equal(parse(&a, err, "events", "--since", "x", NULL), -1);
	assert_int_equal(parse(&a, err, "status", "--bogus", NULL), -1);
	assert_non_null(strstr(err, "unknown option '--bogus'"));
	assert_int_equal(parse(&a, err, "status", "-H", NULL), -1);
	assert_non_null(strstr(err, "needs a value"));
	assert_int_equal(parse(&a, err, "status", "", NULL), -1);
}

static void
test_listen_url(void **state)
{
	char url[128];

	(void)state;
	assert_int_equal(ctl_conf_listen_url("127.0.0.1:9280", url, sizeof(url)), 0);
	assert_string_equal(url, "http://127.0.0.1:9280");
	assert_int_equal(ctl_conf_listen_url("0.0.0.0:80", url, sizeof(url)), 0);
	assert_string_equal(url, "http://127.0.0.1:80");
	assert_int_equal(ctl_conf_listen_url("[::]:81", url, sizeof(url)), 0);
	assert_string_equal(url, "http://[::1]:81");
	assert_int_equal(ctl_conf_listen_url("[::1]:82", url, sizeof(url)), 0);
	assert_string_equal(url, "http://[::1]:82");
	assert_int_equal(ctl_conf_listen_url("localhost:83", url, sizeof(url)), 0);
	assert_string_equal(url, "http://localhost:83");
	assert_int_equal(ctl_conf_listen_url("nocolon", url, sizeof(url)), -1);
	assert_int_equal(ctl_conf_listen_url("127.0.0.1:9280", url, 10), -1);
}

/* flag > environment > config > default */
static void
test_conf_precedence(void **state)
{
	char path[] = "/tmp/test_ctl_XXXXXX", err[256];
	struct ctl_target t;
	struct ctl_args a;
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("# comment\n[daemon]\nlisten = 127.0.0.1:7000 ; inline\ntoken_file = /etc/tok\n"
	      "[service web]\nimage = x\nlisten = ignored:1\n", f);
	fclose(f);
	unsetenv("DOCKSCALE_URL");
	unsetenv("DOCKSCALE_TOKEN_FILE");
	assert_int_equal(parse(&a, err, "-c", path, "status", NULL), 0);
	assert_int_equal(ctl_conf_resolve(&a, &t, err, sizeof(err)), 0);
	assert_string_equal(t.url, "http://127.0.0.1:7000");
	assert_string_equal(t.token_file, "/etc/tok");
	setenv("DOCKSCALE_URL", "http://127.0.0.1:7001/", 1);
	setenv("DOCKSCALE_TOKEN_FILE", "/env/tok", 1);
	assert_int_equal(ctl_conf_resolve(&a, &t, err, sizeof(err)), 0);
	assert_string_equal(t.url, "http://127.0.0.1:7001");
	assert_string_equal(t.token_file, "/env/tok");
	assert_int_equal(parse(&a, err, "-c", path, "-H", "127.0.0.1:7002", "--token-file",
	    "/flag/tok", "status", NULL), 0);
	assert_int_equal(ctl_conf_resolve(&a, &t, err, sizeof(err)), 0);
	assert_string_equal(t.url, "http://127.0.0.1:7002");
	assert_string_equal(t.token_file, "/flag/tok");
	unsetenv("DOCKSCALE_URL");
	unsetenv("DOCKSCALE_TOKEN_FILE");
	unlink(path);
	/* a named config that cannot be read is an error; the default one is skipped */
	assert_int_equal(parse(&a, err, "-c", path, "status", NULL), 0);
	assert_int_equal(ctl_conf_resolve(&a, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_int_equal(parse(&a, err, "-H", "ftp:x", "status", NULL), 0);
	assert_int_equal(ctl_conf_resolve(&a, &t, err, sizeof(err)), -1);
}

static void
test_token_file(void **state)
{
	char path[] = "/tmp/test_ctl_tok_XXXXXX", err[256], tok[64];
	struct ctl_target t = { .url = "http://x" };
	int fd;

	(void)state;
	assert_int_equal(ctl_conf_token(&t, tok, sizeof(tok), err, sizeof(err)), 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "  s3cret \n", 10), 10);
	close(fd);
	(void)snprintf(t.token_file, sizeof(t.token_file), "%s", path);
	assert_int_equal(ctl_conf_token(&t, tok, sizeof(tok), err, sizeof(err)), 1);
	assert_string_equal(tok, "s3cret");
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "two words\n", 10), 10);
	close(fd);
	assert_int_equal(ctl_conf_token(&t, tok, sizeof(tok), err, sizeof(err)), -1);
	unlink(path);
	assert_int_equal(ctl_conf_token(&t, tok, sizeof(tok), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot read token file"));
}

static void
test_escape(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(ctl_http_escape("web-1_a.b", out, sizeof(out)), 0);
	assert_string_equal(out, "web-1_a.b");
	assert_int_equal(ctl_http_escape("a/../b c?", out, sizeof(out)), 0);
	assert_string_equal(out, "a%2F..%2Fb%20c%3F");
	assert_int_equal(ctl_http_escape("abcdef", out, 4), -1);
}

static void
test_fmt_age(void **state)
{
	char b[32];

	(void)state;
	ctl_fmt_age(b, sizeof(b), 999);
	assert_string_equal(b, "0s");
	ctl_fmt_age(b, sizeof(b), 45000);
	assert_string_equal(b, "45s");
	ctl_fmt_age(b, sizeof(b), 192000);
	assert_string_equal(b, "3m12s");
	ctl_fmt_age(b, sizeof(b), (2 * 3600 + 5 * 60 + 7) * 1000LL);
	assert_string_equal(b, "2h5m");
	ctl_fmt_age(b, sizeof(b), (3 * 86400 + 4 * 3600) * 1000LL);
	assert_string_equal(b, "3d4h");
	ctl_fmt_age(b, sizeof(b), -5);
	assert_string_equal(b, "0s");
}

static const char SVC_WEB[] =
    "{\"name\":\"web\",\"desired\":3,\"current\":3,\"ready\":2,\"min_replicas\":1,"
    "\"max_replicas\":5,\"image\":\"shop/web:2.4\",\"cooldown_up_left_ms\":0,"
    "\"cooldown_down_left_ms\":61500,\"metric\":81.25,"
    "\"policy\":{\"name\":\"threshold\",\"metrics\":{\"docker_cpu\":{\"scale_up_threshold\":75,"
    "\"scale_down_threshold\":40,\"target\":60}}},"
    "\"metrics\":{\"docker_cpu\":81.25},"
    "\"last_decision\":{\"direction\":\"up\",\"desired\":3,\"reason\":\"value 81.2 > up 75\","
    "\"metric\":\"docker_cpu\"},\"start_failures\":0,\"backoff_left_ms\":0,"
    "\"last_start_error\":null,\"rollout\":{\"state\":\"idle\",\"updated\":3,\"total\":3,"
    "\"failures\":0,\"reason\":null},\"balancer\":{\"kind\":\"nginx\",\"in_sync\":true},"
    "\"replicas\":[{\"id\":\"0123456789abcdef0123\",\"state\":\"ready\",\"health\":\"healthy\","
    "\"address\":\"127.0.0.1:32768\",\"cpu_percent\":40.5,\"memory_percent\":3.25},"
    "{\"id\":\"fedcba9876543210ffff\",\"state\":\"starting\",\"health\":\"starting\","
    "\"address\":\"\"}],\"paused\":false}";
static const char SVC_API[] =
    "{\"name\":\"api-long-name\",\"desired\":1,\"current\":1,\"ready\":1,\"min_replicas\":0,"
    "\"max_replicas\":2,\"metric\":null,"
    "\"policy\":{\"name\":\"target\",\"metrics\":{\"docker_memory\":{\"scale_up_threshold\":80,"
    "\"scale_down_threshold\":50,\"target\":70}}},\"metrics\":{\"docker_memory\":null},"
    "\"last_decision\":{},\"paused\":true,\"paused_replicas\":1,\"replicas\":[]}";

/* What f printed, as a heap string. */
static char *
capture(void (*fn)(FILE *, const cJSON *), const cJSON *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, o);
	fclose(f);
	return buf;
}

static void
test_fmt_metric_and_decision(void **state)
{
	cJSON *web = cJSON_Parse(SVC_WEB), *api = cJSON_Parse(SVC_API);
	char b[96];

	(void)state;
	assert_non_null(web);
	assert_non_null(api);
	ctl_fmt_metric(b, sizeof(b), web);
	assert_string_equal(b, "cpu 81.2/40..75");
	ctl_fmt_metric(b, sizeof(b), api);
	assert_string_equal(b, "memory -/70");
	ctl_fmt_decision(b, sizeof(b), web);
	assert_string_equal(b, "up to 3");
	ctl_fmt_decision(b, sizeof(b), api);
	assert_string_equal(b, "paused at 1");
	cJSON_DeleteItemFromObject(api, "paused");
	ctl_fmt_decision(b, sizeof(b), api);
	assert_string_equal(b, "-");
	cJSON_DeleteItemFromObject(api, "metrics");
	ctl_fmt_metric(b, sizeof(b), api);
	assert_string_equal(b, "none");
	cJSON_Delete(web);
	cJSON_Delete(api);
}

static void
test_table(void **state)
{
	char list[4096], *out = NULL;
	size_t len = 0;
	cJSON *o, *ev;
	FILE *f;

	(void)state;
	(void)snprintf(list, sizeof(list), "{\"services\":[%s,%s],\"docker_up\":true}", SVC_WEB,
	    SVC_API);
	o = cJSON_Parse(list);
	ev = cJSON_Parse("{\"events\":[{\"id\":1,\"type\":\"decision\",\"service\":\"web\","
	                 "\"unix_ms\":1000},{\"id\":2,\"type\":\"replica\",\"service\":\"web\","
	                 "\"unix_ms\":50000},{\"id\":3,\"type\":\"decision\",\"service\":\"web\","
	                 "\"unix_ms\":10000}],\"last_id\":3}");
	assert_non_null(o);
	assert_non_null(ev);
	f = open_memstream(&out, &len);
	ctl_print_table(f, o, ev, 55000);
	fclose(f);
	assert_string_equal(out,
	    "SERVICE         READY/DESIRED   MIN   MAX   METRIC VALUE/TARGET   LAST DECISION   AGE\n"
	    "web             2/3             1     5     cpu 81.2/40..75       up to 3         45s\n"
	    "api-long-name   1/1             0     2     memory -/70           paused at 1     -\n");
	free(out);
	/* without an event history: AGE is "-" */
	f = open_memstream(&out, &len);
	ctl_print_table(f, o, NULL, 55000);
	fclose(f);
	assert_non_null(strstr(out, "up to 3         -\n"));
	free(out);
	cJSON_Delete(o);
	cJSON_Delete(ev);
}

static void
test_service_detail(void **state)
{
	cJSON *web = cJSON_Parse(SVC_WEB);
	char *out;

	(void)state;
	out = capture(ctl_print_service, web);
	assert_non_null(strstr(out, "Service:        web\n"));
	assert_non_null(strstr(out, "Replicas:       2 ready, 3 current, 3 desired (min 1, max 5)\n"));
	assert_non_null(strstr(out, "Last decision:  up to 3: value 81.2 > up 75\n"));
	assert_non_null(strstr(out, "Cooldowns:      up 0s, down 1m2s\n"));
	assert_non_null(strstr(out, "Rollout:        idle, 3/3 updated, 0 failures\n"));
	assert_non_null(strstr(out, "Paused:         no\n"));
	assert_non_null(strstr(out,
	    "  ID             STATE      HEALTH     ADDRESS           CPU     MEMORY\n"
	    "  0123456789ab   ready      healthy    127.0.0.1:32768   40.5%   3.2%\n"
	    "  fedcba987654   starting   starting   -                 -       -\n"));
	assert_null(strstr(out, "0123456789abc")); /* 12-character ids */
	free(out);
	cJSON_ReplaceItemInObject(web, "paused", cJSON_CreateTrue());
	cJSON_AddNumberToObject(web, "paused_replicas", 2);
	out = capture(ctl_print_service, web);
	assert_non_null(strstr(out, "Paused:         yes, at 2\n"));
	free(out);
	cJSON_ReplaceItemInObject(web, "paused", cJSON_CreateFalse());
	cJSON_AddTrueToObject(web, "manual_hold");
	out = capture(ctl_print_service, web);
	assert_non_null(strstr(out, "Paused:         no (a manual scale"));
	assert_null(strstr(out, "Traffic:")); /* no source, no line */
	assert_null(strstr(out, "Asleep:")); /* nothing paused, no line */
	free(out);
	/* sleep = pause (doc/waking.md): the paused replicas and what they hold */
	{
		cJSON *a = cJSON_AddObjectToObject(web, "asleep");

		cJSON_AddNumberToObject(a, "paused", 2);
		cJSON_AddNumberToObject(a, "memory_bytes", 1572864);
		out = capture(ctl_print_service, web);
		assert_non_null(strstr(out, "Asleep:         2 paused, 1.5 MiB held\n"));
		free(out);
		cJSON_ReplaceItemInObject(a, "memory_bytes", cJSON_CreateNull());
		out = capture(ctl_print_service, web);
		assert_non_null(strstr(out, "Asleep:         2 paused\n"));
		free(out);
		cJSON_ReplaceItemInObject(a, "paused", cJSON_CreateString("2"));
		out = capture(ctl_print_service, web);
		assert_null(strstr(out, "Asleep:")); /* a field of the wrong type: no line */
		free(out);
	}
	cJSON_Delete(web);
}

/* The balancer's figures (doc/traffic.md): a Traffic line, or why there is none, and three
 * more columns once a replica has them. */
static void
test_service_traffic(void **state)
{
	cJSON *web = cJSON_Parse(SVC_WEB), *reps, *t;
	char *out;

	(void)state;
	assert_non_null(web);
	t = cJSON_AddObjectToObject(web, "traffic");
	cJSON_AddStringToObject(t, "source", "access_log");
	cJSON_AddBoolToObject(t, "have", false);
	cJSON_AddStringToObject(t, "why", "no access-log line for this service yet");
	cJSON_AddNullToObject(t, "requests_per_s");
	out = capture(ctl_print_service, web);
	assert_non_null(strstr(out,
	    "Traffic:        none yet: no access-log line for this service yet\n"));
	assert_non_null(strstr(out, "CPU     MEMORY\n")); /* no replica has figures */
	free(out);
	cJSON_DeleteItemFromObject(web, "traffic");
	t = cJSON_AddObjectToObject(web, "traffic");
	cJSON_AddStringToObject(t, "source", "access_log");
	cJSON_AddBoolToObject(t, "have", true);
	cJSON_AddNumberToObject(t, "requests_per_s", 42.04);
	cJSON_AddNumberToObject(t, "in_flight", 3.14);
	cJSON_AddNumberToObject(t, "latency_ms", 120.4);
	cJSON_AddNumberToObject(t, "latency_percentile", 95);
	reps = cJSON_GetObjectItemCaseSensitive(web, "replicas");
	t = cJSON_AddObjectToObject(cJSON_GetArrayItem(reps, 0), "traffic");
	cJSON_AddNumberToObject(t, "requests_per_s", 21.5);
	cJSON_AddNumberToObject(t, "in_flight", 1.25);
	cJSON_AddNumberToObject(t, "latency_ms", 118);
	out = capture(ctl_print_service, web);
	assert_non_null(strstr(out,
	    "Traffic:        42.0 req/s, 3.1 in flight, p95 120ms (access_log)\n"));
	assert_non_null(strstr(out,
	    "  ID             STATE      HEALTH     ADDRESS           CPU     MEMORY   REQ/S   IN FLIGHT   LATENCY\n"
	    "  0123456789ab   ready      healthy    127.0.0.1:32768   40.5%   3.2%     21.5    1.2         118ms\n"
	    "  fedcba987654   starting   starting   -                 -       -        -       -           -\n"));
	free(out);
	/* a balancer's average, not a percentile */
	t = cJSON_GetObjectItemCaseSensitive(web, "traffic");
	cJSON_ReplaceItemInObject(t, "latency_percentile", cJSON_CreateNull());
	cJSON_ReplaceItemInObject(t, "source", cJSON_CreateString("counters"));
	out = capture(ctl_print_service, web);
	assert_non_null(strstr(out, "Traffic:        42.0 req/s, 3.1 in flight, average 120ms (counters)\n"));
	free(out);
	cJSON_Delete(web);
}

static void
test_event_and_explain(void **state)
{
	cJSON *ev = cJSON_Parse("{\"id\":7,\"time\":\"2026-11-30T21:00:00.123Z\",\"type\":\"decision\","
	                        "\"service\":\"web\",\"message\":\"scale up 1->2\"}");
	cJSON *daemon = cJSON_Parse("{\"id\":8,\"time\":\"T\",\"type\":\"reload\",\"service\":\"\","
	                            "\"message\":\"reloaded\"}");
	cJSON *prefixed = cJSON_Parse("{\"time\":\"T\",\"type\":\"replica\",\"service\":\"web\","
	                              "\"message\":\"web: replica web-1 healthy\"}");
	cJSON *ex = cJSON_Parse("{\"service\":\"web\",\"current\":2,\"desired\":2,\"next\":\"hold\","
	                        "\"blocking\":\"scale_down_cooldown: 4m left\",\"lines\":[\"value 41\","
	                        "\"cooldown\"]}");
	char *out;

	(void)state;
	out = capture(ctl_print_event, ev);
	assert_string_equal(out, "2026-11-30T21:00:00.123Z web decision scale up 1->2\n");
	free(out);
	out = capture(ctl_print_event, prefixed);
	assert_string_equal(out, "T web replica replica web-1 healthy\n");
	free(out);
	out = capture(ctl_print_event, daemon);
	assert_string_equal(out, "T - reload reloaded\n");
	free(out);
	out = capture(ctl_print_explain, ex);
	assert_string_equal(out, "value 41\ncooldown\nblocking: scale_down_cooldown: 4m left\n");
	free(out);
	cJSON_Delete(ev);
	cJSON_Delete(daemon);
	cJSON_Delete(prefixed);
	cJSON_Delete(ex);
}

static void
test_error_text(void **state)
{
	char b[128];

	(void)state;
	ctl_error_text(b, sizeof(b), 404, "{\"error\":\"no such service: x\"}");
	assert_string_equal(b, "no such service: x");
	ctl_error_text(b, sizeof(b), 401, "{\"error\":\"missing or wrong bearer token\"}");
	assert_string_equal(b, "unauthorized: missing or wrong bearer token");
	ctl_error_text(b, sizeof(b), 502, "<html>");
	assert_string_equal(b, "HTTP 502 from dockscaled");
}

/* Following the events: the waits after failures in a row double up to 30 s. */
static void
test_follow_wait(void **state)
{
	static const int want[] = { 1, 2, 4, 8, 16, 30, 30, 30 };

	(void)state;
	for (int n = 0; n < 8; n++)
		assert_int_equal(ctl_follow_wait_s(n), want[n]);
	assert_int_equal(ctl_follow_wait_s(1000), 30);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_follow_wait),
		cmocka_unit_test(test_args_commands),
		cmocka_unit_test(test_args_usage_errors),
		cmocka_unit_test(test_listen_url),
		cmocka_unit_test(test_conf_precedence),
		cmocka_unit_test(test_token_file),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_fmt_age),
		cmocka_unit_test(test_fmt_metric_and_decision),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_service_detail),
	    cmocka_unit_test(test_service_traffic),
		cmocka_unit_test(test_event_and_explain),
		cmocka_unit_test(test_error_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
