/* test_explain.c: the blocking factor and next step named from a table of states. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "explain.h"

/* A threshold service at 2 of [1, 4], value 50 between down 30 and up 70. */
static struct explain_in
base(void)
{
	return (struct explain_in){ .current = 2, .desired = 2, .ready = 2, .min = 1, .max = 4,
		.metric = "docker_cpu", .have_value = true, .value = 50, .smoothed = 48,
		.policy = POLICY_THRESHOLD, .up = 70, .down = 30, .target = 50,
		.tolerance = 0.1, .up_held_ms = -1, .down_held_ms = -1, .up_for_ms = 30000,
		.down_for_ms = 60000 };
}

struct row {
	const char *what;
	void (*set)(struct explain_in *in);
	enum decide_dir next;
	const char *blocking;     /* a substring; NULL: none */
};

static void none(struct explain_in *in) { (void)in; }
static void up_window(struct explain_in *in) { in->up_held_ms = 10000; }
static void up_ready(struct explain_in *in) { in->up_held_ms = 30000; }
static void up_at_max(struct explain_in *in) { in->up_held_ms = 40000; in->current = 4; }
static void up_pending(struct explain_in *in) { in->up_held_ms = 40000; in->starting = 1; }
static void up_cooldown(struct explain_in *in)
{
	in->up_held_ms = 40000;
	in->cooldown_up_left_ms = 12000;
}
static void down_min(struct explain_in *in) { in->down_held_ms = 90000; in->current = 1; }
static void down_cooldown(struct explain_in *in)
{
	in->down_held_ms = 90000;
	in->cooldown_down_left_ms = 5500;
}
static void down_ready(struct explain_in *in) { in->down_held_ms = 60000; }
static void paused(struct explain_in *in)
{
	in->up_held_ms = 40000;
	in->paused = true;
	in->paused_replicas = 2;
}
static void manual(struct explain_in *in)
{
	in->down_held_ms = 90000;
	in->manual_hold = "manual scale to 2: waiting for its replicas (1/2 ready): hold";
}
static void missing(struct explain_in *in)
{
	in->have_value = false;
	in->missing_why = "stale sample 4s old";
}
static void below_min(struct explain_in *in) { in->current = 0; in->paused = false; }
static void no_metric(struct explain_in *in) { in->metric = NULL; }
/* doc/headroom.md: a start the host cannot hold is the blocking factor, even below min */
static void headroom(struct explain_in *in)
{
	in->current = 0;
	in->desired = 3;
	in->headroom = "blocked: host headroom, needs 256 MiB, 180 MiB available";
}
static void headroom_met(struct explain_in *in)
{
	in->headroom = "blocked: host headroom, needs 256 MiB, 180 MiB available";
}

static const struct row rows[] = {
	{ "inside the band", none, DECIDE_HOLD, NULL },
	{ "up window running", up_window, DECIDE_HOLD, "scale_up_for window: held 10.0s of 30.0s" },
	{ "up window passed", up_ready, DECIDE_UP, NULL },
	{ "up at max", up_at_max, DECIDE_HOLD, "at max_replicas 4" },
	{ "up pending start", up_pending, DECIDE_HOLD, "pending start: 1 replica(s)" },
	{ "up cooldown", up_cooldown, DECIDE_HOLD, "scale-up cooldown: 12.0s left" },
	{ "down at min", down_min, DECIDE_HOLD, "at min_replicas 1" },
	{ "down cooldown", down_cooldown, DECIDE_HOLD, "scale-down cooldown: 5.5s left" },
	{ "down window passed", down_ready, DECIDE_DOWN, NULL },
	{ "paused", paused, DECIDE_HOLD, "paused at 2" },
	{ "manual guard", manual, DECIDE_HOLD, "manual scale to 2" },
	{ "missing data", missing, DECIDE_HOLD, "missing data (stale sample 4s old)" },
	{ "below min", below_min, DECIDE_UP, NULL },
	{ "metric none", no_metric, DECIDE_HOLD, NULL },
	{ "host headroom", headroom, DECIDE_HOLD,
	  "blocked: host headroom, needs 256 MiB, 180 MiB available" },
	{ "host headroom, desired reached", headroom_met, DECIDE_HOLD, NULL },
};

static void
test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct explain_in in = base();
		struct explain_out out;

		rows[i].set(&in);
		explain_build(&in, &out);
		if (out.next != rows[i].next)
			fail_msg("%s: next %d, want %d", rows[i].what, out.next, rows[i].next);
		if (rows[i].blocking == NULL && out.blocking[0] != '\0')
			fail_msg("%s: blocking '%s', want none", rows[i].what, out.blocking);
		if (rows[i].blocking != NULL && strstr(out.blocking, rows[i].blocking) == NULL)
			fail_msg("%s: blocking '%s', want '%s'", rows[i].what, out.blocking,
			    rows[i].blocking);
	}
}

static void
test_lines_and_json(void **state)
{
	struct explain_in in = base();
	struct explain_out out;
	cJSON *o;

	(void)state;
	in.value = 41.2;
	in.smoothed = 39.8;
	in.up_held_ms = 10000;
	explain_build(&in, &out);
	assert_string_equal(out.lines[1], "docker_cpu: value 41.2 (smoothed 39.8) vs up 70.0 / "
	    "down 30.0");
	assert_string_equal(out.lines[2], "scale_up_for 30.0s: held 10.0s");
	assert_string_equal(out.lines[3], "scale_down_for 60.0s: condition not holding");
	assert_string_equal(out.lines[out.nlines - 1], "next: hold");
	o = explain_json("web", &in, &out);
	assert_string_equal(cJSON_GetObjectItem(o, "next")->valuestring, "hold");
	assert_non_null(strstr(cJSON_GetObjectItem(o, "blocking")->valuestring, "window"));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "lines")), (int)out.nlines);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "paused_replicas")));
	assert_int_equal((int)cJSON_GetObjectItem(cJSON_GetObjectItem(o, "metric"),
	    "up_threshold")->valuedouble, 70);
	cJSON_Delete(o);
	in = base();
	in.policy = POLICY_TARGET;
	in.up_held_ms = 40000;
	explain_build(&in, &out);
	assert_string_equal(out.lines[1], "docker_cpu: value 50.0 (smoothed 48.0) vs target 50.0 "
	    "(tolerance 10%)");
	o = explain_json("web", &in, &out);
	assert_string_equal(cJSON_GetObjectItem(o, "next")->valuestring, "scale_up");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "blocking")));
	cJSON_Delete(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_lines_and_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
