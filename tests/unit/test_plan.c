/* test_plan.c: table-driven tests of the pure reconcile planner (src/plan.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "plan.h"

#define T0 1000000LL /* an arbitrary "now" in ms */
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define MAXREPS 8

/* ---- shorthands for table rows: index, birth time ---------------------------------- */

/* clang-format off */
#define CR(i, b)  { PLAN_CREATING, (i), (b), true,  0, false, 0, false, 0, 0 }
#define SG(i, b)  { PLAN_STARTING, (i), (b), false, 0, false, 0, false, 0, 0 }
#define RD(i, b)  { PLAN_READY,    (i), (b), false, 0, false, 0, false, 0, 0 }
#define DR(i, b)  { PLAN_DRAINING, (i), (b), false, 0, false, 0, false, 0, 0 }
#define SP(i, b)  { PLAN_STOPPING, (i), (b), false, 0, false, 0, false, 0, 0 }
#define SPB(i, b) { PLAN_STOPPING, (i), (b), true,  0, false, 0, false, 0, 0 }
#define GN(i)     { PLAN_GONE,     (i), 0,   false, 0, false, 0, false, 0, 0 }
#define GNB(i)    { PLAN_GONE,     (i), 0,   true,  0, false, 0, false, 0, 0 }
#define RDOLD(i, b) { PLAN_READY,  (i), (b), false, 1, false, 0, false, 0, 0 } /* runs an older spec */
#define SGOLD(i, b) { PLAN_STARTING, (i), (b), false, 1, false, 0, false, 0, 0 }
#define CROLD(i, b) { PLAN_CREATING, (i), (b), true, 1, false, 0, false, 0, 0 }
/* current generation, READY and in the balancer since ready time r */
#define RDS(i, b, r) { PLAN_READY, (i), (b), false, 0, true, (r), false, 0, 0 }
/* READY but the balancer does not list it yet */
#define RDN(i, b, r) { PLAN_READY, (i), (b), false, 0, false, (r), false, 0, 0 }
/* asleep: paused (PZB: its pause call in flight), of the current or an older definition */
#define PZ(i, b)    { PLAN_PAUSED, (i), (b), false, 0, false, 0, false, 0, 0 }
#define PZB(i, b)   { PLAN_PAUSED, (i), (b), true,  0, false, 0, false, 0, 0 }
#define PZOLD(i, b) { PLAN_PAUSED, (i), (b), false, 1, false, 0, false, 0, 0 }
/* clang-format on */

struct plan_case {
	const char *name;
	struct plan_replica reps[MAXREPS];
	size_t nreps;
	int desired, max;
	int creating;       /* creates in flight */
	int64_t backoff_until;
	int taken[4];
	size_t ntaken;
	const char *want;   /* the actions: "advance #1; retire #0; create 3; hold" */
	const char *reason; /* a substring of the last action's reason */
	int64_t wake_at;
};

/* Table rows: replicas, then desired, max, creates in flight, backoff_until. */
#define REPS(...) { __VA_ARGS__ }, N_OF(((struct plan_replica[]){ __VA_ARGS__ }))
#define NOREPS { { 0 } }, 0

/* clang-format off */
static const struct plan_case cases[] = {
	/* holding */
	{ "empty table at desired 0 holds", NOREPS, 0, 4, false, 0, { 0 }, 0,
	  "hold", "at desired 0", 0 },
	{ "at desired holds", REPS(RD(1, 10), RD(2, 20)), 2, 4, false, 0, { 0 }, 0,
	  "hold", "at desired 2", 0 },
	{ "a creating replica counts as present", REPS(RD(1, 10), CR(2, 20)), 2, 4, true, 0,
	  { 0 }, 0, "hold", "at desired 2", 0 },

	/* creating: lowest free index, one at a time */
	{ "empty table creates index 1", NOREPS, 1, 4, false, 0, { 0 }, 0,
	  "create 1", "scale up 0 -> 1: create at the lowest free index 1", 0 },
	{ "one create at a time", REPS(RD(1, 10)), 4, 4, false, 0, { 0 }, 0,
	  "create 2", "scale up 1 -> 4", 0 },
	{ "lowest free index fills a gap", REPS(RD(1, 10), RD(3, 30)), 3, 4, false, 0, { 0 }, 0,
	  "create 2", "index 2", 0 },
	{ "lowest free index can be 1", REPS(RD(2, 10), RD(3, 30)), 3, 4, false, 0, { 0 }, 0,
	  "create 1", "index 1", 0 },
	{ "a gone record frees its index", REPS(GN(1), RD(2, 10)), 2, 4, false, 0, { 0 }, 0,
	  "create 1", "index 1", 0 },
	{ "taken names are skipped", REPS(RD(2, 10)), 2, 4, false, 0, { 1, 3 }, 2,
	  "create 4", "index 4", 0 },
	{ "taken and used together", NOREPS, 1, 4, false, 0, { 1, 2 }, 2,
	  "create 3", "index 3", 0 },
	{ "a draining replica still holds its name", REPS(RD(1, 10), DR(2, 20)), 2, 4, false, 0,
	  { 0 }, 0, "create 3", "index 3", 0 },
	{ "a renamed (retiring) replica holds no name", REPS(RD(1, 10), SPB(0, 20)), 2, 4, false,
	  0, { 0 }, 0, "create 2", "index 2", 0 },
	{ "a create in flight holds further creation", REPS(CR(1, 10)), 3, 4, true, 0, { 0 }, 0,
	  "hold", "scale up 1 -> 3: a create is in flight", 0 },

	/* backoff after failed starts */
	{ "backoff holds creation and asks to be woken", REPS(RD(1, 10)), 2, 4, false, T0 + 3000,
	  { 0 }, 0, "hold", "backing off 3000ms after failed starts", T0 + 3000 },
	{ "backoff ending now lets creation go", REPS(RD(1, 10)), 2, 4, false, T0, { 0 }, 0,
	  "create 2", "index 2", 0 },
	{ "backoff in the past is no backoff", NOREPS, 1, 4, false, T0 - 1, { 0 }, 0,
	  "create 1", NULL, 0 },
	{ "a create in flight is reported before backoff", NOREPS, 1, 4, true, T0 + 5, { 0 }, 0,
	  "hold", "a create is in flight", 0 },

	/* never above max_replicas, leaving replicas included */
	{ "at max with one draining", REPS(RD(1, 10), RD(2, 20), RD(3, 30), DR(4, 40)), 4, 4,
	  false, 0, { 0 }, 0, "hold", "at max_replicas 4 (1 on their way out)", 0 },
	{ "at max with one stopping, renamed", REPS(RD(1, 10), SPB(0, 20)), 2, 2, false, 0,
	  { 0 }, 0, "hold", "at max_replicas 2 (1 on their way out)", 0 },
	{ "a gone record with a call in flight counts toward max", REPS(RD(1, 10), GNB(2)), 2, 2,
	  false, 0, { 0 }, 0, "hold", "at max_replicas 2", 0 },
	{ "a gone record without a call does not count toward max", REPS(RD(1, 10), GN(2)), 2, 2,
	  false, 0, { 0 }, 0, "create 2", NULL, 0 },
	{ "one under max creates", REPS(RD(1, 10), DR(2, 20)), 2, 3, false, 0, { 0 }, 0,
	  "create 3", NULL, 0 },
	{ "max 0 never creates", NOREPS, 1, 0, false, 0, { 0 }, 0,
	  "hold", "at max_replicas 0 (0 on their way out)", 0 },

	/* retiring: newest first, not-ready before ready, outdated before current */
	{ "scale down retires the newest ready", REPS(RD(1, 100), RD(2, 200), RD(3, 300)), 2, 4,
	  false, 0, { 0 }, 0, "retire #2", "scale down 3 -> 2: retire the newest ready replica", 0 },
	{ "newest by birth, not by index", REPS(RD(3, 100), RD(1, 300), RD(2, 200)), 2, 4,
	  false, 0, { 0 }, 0, "retire #1", NULL, 0 },
	{ "several at once, newest first", REPS(RD(1, 100), RD(2, 200), RD(3, 300), RD(4, 400)),
	  1, 4, false, 0, { 0 }, 0, "retire #3; retire #2; retire #1",
	  "scale down 2 -> 1", 0 },
	{ "starting before ready", REPS(RD(1, 100), SG(2, 50), RD(3, 300)), 2, 4, false, 0,
	  { 0 }, 0, "retire #1", "retire the newest starting replica", 0 },
	{ "creating before ready", REPS(RD(1, 100), CR(2, 200)), 1, 4, true, 0, { 0 }, 0,
	  "retire #1", "retire the newest creating replica", 0 },
	{ "newest of the not-ready first", REPS(SG(1, 100), CR(2, 200), SG(3, 150)), 1, 4, true,
	  0, { 0 }, 0, "retire #1; retire #2", NULL, 0 },
	{ "equal birth: the highest index", REPS(RD(1, 100), RD(2, 100)), 1, 4, false, 0,
	  { 0 }, 0, "retire #1", NULL, 0 },
	{ "outdated before current", REPS(RDOLD(1, 100), RD(2, 200)), 1, 4, false, 0, { 0 }, 0,
	  "retire #0", "retire the newest outdated ready replica", 0 },
	{ "starting current before ready outdated", REPS(RDOLD(1, 100), SG(2, 200)), 1, 4, false,
	  0, { 0 }, 0, "retire #1", "starting", 0 },
	{ "outdated starting first of all", REPS(SG(1, 300), SGOLD(2, 100), RD(3, 50)), 2, 4,
	  false, 0, { 0 }, 0, "retire #1", "outdated starting", 0 },
	{ "leaving replicas are no victims and not counted", REPS(RD(1, 100), RD(2, 200),
	  DR(3, 300), SPB(0, 400)), 2, 4, false, 0, { 0 }, 0, "hold", "at desired 2", 0 },
	{ "scale down ignores creates in flight and backoff", REPS(RD(1, 100), CR(2, 200)), 1, 4, true,
	  T0 + 9000, { 0 }, 0, "retire #1", NULL, 0 },
	{ "scale down to 0", REPS(RD(1, 100), RD(2, 200)), 0, 4, false, 0, { 0 }, 0,
	  "retire #1; retire #0", "scale down 1 -> 0", 0 },
	{ "above max after a reload: scale down, no create", REPS(RD(1, 1), RD(2, 2), RD(3, 3)),
	  2, 2, false, 0, { 0 }, 0, "retire #2", NULL, 0 },

	/* leaving replicas are pushed on every pass */
	{ "a stopping replica advances", REPS(RD(1, 100), SP(2, 200)), 1, 4, false, 0, { 0 }, 0,
	  "advance #1; hold", "at desired 1", 0 },
	{ "a stopping replica with a call in flight waits", REPS(RD(1, 100), SPB(2, 200)), 1, 4,
	  false, 0, { 0 }, 0, "hold", NULL, 0 },
	{ "a draining replica waits for its drain", REPS(RD(1, 100), DR(2, 200)), 1, 4, false, 0,
	  { 0 }, 0, "hold", NULL, 0 },
	{ "advances come before a create", REPS(SP(0, 5), RD(1, 100), SP(2, 200)), 3, 5, false,
	  0, { 0 }, 0, "advance #0; advance #2; create 3", NULL, 0 },
	{ "advances come before retirements", REPS(RD(1, 100), RD(2, 200), SP(0, 5)), 1, 5,
	  false, 0, { 0 }, 0, "advance #2; retire #1", NULL, 0 },

	/* after a restart: adopted replicas start as starting; a retiring one is leaving */
	{ "restart: a retiring replica is finished, never replaced",
	  REPS(SG(1, T0), SG(2, T0), DR(0, T0)), 2, 4, false, 0, { 0 }, 0, "hold", "at desired 2",
	  0 },
	{ "restart: a retiring replica does not block its index",
	  REPS(SG(1, T0), DR(0, T0)), 2, 4, false, 0, { 0 }, 0, "create 2", NULL, 0 },

};
/* clang-format on */

/* "advance #1; retire #0; create 3; hold" */
static void
render(const struct plan_action *a, size_t n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		int w;

		if (a[i].kind == PLAN_CREATE)
			w = snprintf(buf + used, len - used, "%s%s %d", i ? "; " : "",
			             plan_kind_name(a[i].kind), a[i].index);
		else if (a[i].kind == PLAN_HOLD)
			w = snprintf(buf + used, len - used, "%s%s", i ? "; " : "",
			             plan_kind_name(a[i].kind));
		else
			w = snprintf(buf + used, len - used, "%s%s #%zu", i ? "; " : "",
			             plan_kind_name(a[i].kind), a[i].rep);
		if (w < 0)
			return;
		used += (size_t)w;
	}
}

static void
input_of(const struct plan_case *c, struct plan_input *in)
{
	memset(in, 0, sizeof(*in));
	in->reps = c->reps;
	in->nreps = c->nreps;
	in->desired = c->desired;
	in->max_replicas = c->max;
	in->creating = c->creating;
	in->now_ms = T0;
	in->backoff_until = c->backoff_until;
	in->taken = c->taken;
	in->ntaken = c->ntaken;
	in->generation = 0;
}

/* One row: the actions, their reasons and the wake, with scale_down_victim = victim. */
static void
check(const struct plan_case *c, enum plan_victim victim, bool sleep_pause, int parallel)
{
	struct plan_input in;
	struct plan_action out[MAXREPS + 8];
	struct plan_result res;
	char got[512];

	input_of(c, &in);
	in.create_parallel = parallel;
	in.victim = victim;
	in.sleep_pause = sleep_pause;
	memset(out, 0x5a, sizeof(out));
	memset(&res, 0x5a, sizeof(res)); /* nothing may be left over from before the call */
	plan_reconcile(&in, out, N_OF(out), &res);
	render(out, res.nacts, got, sizeof(got));
	if (strcmp(got, c->want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\" (last reason: %s)", c->name, got, c->want,
		         res.nacts ? out[res.nacts - 1].reason : "-");
	if (res.truncated)
		fail_msg("%s: truncated with room for nreps + 8", c->name);
	for (size_t i = 0; i < res.nacts; i++)
		if (memchr(out[i].reason, '\0', sizeof(out[i].reason)) == NULL ||
		    out[i].reason[0] == '\0')
			fail_msg("%s: action %zu has no terminated reason", c->name, i);
	if (c->reason != NULL && strstr(out[res.nacts - 1].reason, c->reason) == NULL)
		fail_msg("%s: reason \"%s\" lacks \"%s\"", c->name, out[res.nacts - 1].reason,
		         c->reason);
	if (res.wake_at != c->wake_at)
		fail_msg("%s: wake_at %lld, want %lld", c->name, (long long)res.wake_at,
		         (long long)c->wake_at);
}

static void
run_case(void **state)
{
	check(*state, PLAN_VICTIM_NEWEST, false, 1);
}

/* ---- edges that do not fit a row ----------------------------------------------------- */

static void
test_no_free_name(void **state)
{
	static int taken[PLAN_MAX_INDEX];
	struct plan_input in = { 0 };
	struct plan_action out[1];
	struct plan_result res;

	for (int i = 0; i < PLAN_MAX_INDEX; i++)
		taken[i] = i + 1;
	in.desired = 1;
	in.max_replicas = 5;
	in.now_ms = T0;
	in.taken = taken;
	in.ntaken = PLAN_MAX_INDEX;
	plan_reconcile(&in, out, 1, &res);
	assert_int_equal(res.nacts, 1);
	assert_int_equal(out[0].kind, PLAN_HOLD);
	assert_non_null(strstr(out[0].reason, "no free name up to 4096"));
	/* The last one free is found. */
	in.ntaken = PLAN_MAX_INDEX - 1;
	plan_reconcile(&in, out, 1, &res);
	assert_int_equal(out[0].kind, PLAN_CREATE);
	assert_int_equal(out[0].index, PLAN_MAX_INDEX);
}

/* doc/compose.md: without a definition the planner
 * holds creations and says why; retiring still works. */
static void
test_create_blocked(void **state)
{
	const struct plan_replica reps[] = { RD(1, 1), RD(2, 2) };
	struct plan_input in = { 0 };
	struct plan_action out[N_OF(reps) + 1];
	struct plan_result res;

	in.reps = reps;
	in.nreps = N_OF(reps);
	in.desired = 3;
	in.max_replicas = 5;
	in.now_ms = T0;
	in.create_blocked = "definition: waiting for compose container shop/web";
	plan_reconcile(&in, out, N_OF(out), &res);
	assert_int_equal(res.nacts, 1);
	assert_int_equal(out[0].kind, PLAN_HOLD);
	assert_string_equal(out[0].reason,
	    "scale up 2 -> 3: definition: waiting for compose container shop/web");
	in.desired = 1;
	plan_reconcile(&in, out, N_OF(out), &res);
	assert_int_equal(out[0].kind, PLAN_RETIRE);
	in.desired = 3;
	in.create_blocked = NULL;
	plan_reconcile(&in, out, N_OF(out), &res);
	assert_int_equal(out[0].kind, PLAN_CREATE);
	/* create_parallel: a blocked creation holds every slot */
	in.create_parallel = 4;
	in.desired = 5;
	in.create_blocked = "definition: waiting for compose container shop/web";
	plan_reconcile(&in, out, N_OF(out), &res);
	assert_int_equal(res.nacts, 1);
	assert_int_equal(out[0].kind, PLAN_HOLD);
}

/* doc/replicas.md, "Restart safety": while which replicas are a rollout's surge is not known
 * (the generation unresolved after a restart), no scale-down; creation is not held. */
static void
test_down_blocked(void **state)
{
	const struct plan_replica reps[] = { SG(1, 1), SG(2, 2), SG(3, 3), SG(4, 4), SP(0, 5) };
	struct plan_input in = { 0 };
	struct plan_action out[N_OF(reps) + 1];
	struct plan_result res;

	in.reps = reps;
	in.nreps = N_OF(reps);
	in.desired = 3;
	in.max_replicas = 5;
	in.now_ms = T0;
	in.down_blocked = "the generation is not known yet";
	plan_reconcile(&in, out, N_OF(out), &res);
	assert_int_equal(res.nacts, 2);
	assert_int_equal(out[0].kind, PLAN_ADVANCE); /* leaving ones still move on */
	assert_int_equal(out[1].kind, PLAN_HOLD);
	assert_string_equal(out[1].reason, "scale down 4 -> 3: the generation is not known yet");
	in.desired = 5;
	plan_reconcile(&in, out, N_OF(out), &res);
	assert_int_equal(out[res.nacts - 1].kind, PLAN_HOLD); /* at max 5 with one leaving */
	in.max_replicas = 6;
	plan_reconcile(&in, out, N_OF(out), &res);
	assert_int_equal(out[res.nacts - 1].kind, PLAN_CREATE);
	in.desired = 3;
	in.down_blocked = NULL;
	plan_reconcile(&in, out, N_OF(out), &res);
	assert_int_equal(out[res.nacts - 1].kind, PLAN_RETIRE);
}

static void
test_truncated(void **state)
{
	const struct plan_replica reps[] = { SP(0, 1), SP(0, 2), RD(1, 3) };
	struct plan_input in = { 0 };
	struct plan_action out[2];
	struct plan_result res;

	in.reps = reps;
	in.nreps = N_OF(reps);
	in.desired = 0;
	in.max_replicas = 5;
	in.now_ms = T0;
	plan_reconcile(&in, out, N_OF(out), &res);
	assert_int_equal(res.nacts, 2);
	assert_true(res.truncated);
	assert_int_equal(out[0].kind, PLAN_ADVANCE);
	assert_int_equal(out[1].kind, PLAN_ADVANCE);
}

static void
test_counts(void **state)
{
	const struct plan_replica reps[] = { CR(1, 1), SG(2, 2), RD(3, 3), DR(4, 4), SP(0, 5),
		                             GN(5), GNB(6) };
	struct plan_input in = { 0 };
	struct plan_action out[N_OF(reps) + 1];
	struct plan_result res;

	in.reps = reps;
	in.nreps = N_OF(reps);
	in.desired = 3;
	in.max_replicas = 10;
	plan_reconcile(&in, out, N_OF(out), &res);
	assert_int_equal(res.current, 3);
	assert_int_equal(res.total, 6);
}

static void
test_kind_names(void **state)
{
	assert_string_equal(plan_kind_name(PLAN_HOLD), "hold");
	assert_string_equal(plan_kind_name(PLAN_CREATE), "create");
	assert_string_equal(plan_kind_name(PLAN_RETIRE), "retire");
	assert_string_equal(plan_kind_name(PLAN_ADVANCE), "advance");
	assert_string_equal(plan_kind_name((enum plan_kind)99), "hold");
}

/* ---- invariants over random tables ------------------------------------------------- */

static unsigned
lcg(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 16) & 0x7fff;
}

static void
test_invariants(void **state)
{
	unsigned seed = 7;

	for (int round = 0; round < 20000; round++) {
		struct plan_replica reps[MAXREPS];
		struct plan_action out[MAXREPS + 4];
		struct plan_result res;
		struct plan_input in = { 0 };
		int slots;
		int taken[2] = { (int)(lcg(&seed) % 6), (int)(lcg(&seed) % 6) };
		size_t n = lcg(&seed) % (MAXREPS + 1);
		int present = 0, total = 0, creates = 0, retires = 0, holds = 0;
		size_t advances = 0, want_adv = 0;

		for (size_t i = 0; i < n; i++) {
			reps[i].state = (enum plan_state)(lcg(&seed) % 6);
			reps[i].index = (int)(lcg(&seed) % 7);
			reps[i].born_ms = lcg(&seed) % 50;
			reps[i].busy = lcg(&seed) % 3 == 0;
			/* one generation: rolling has its own table (roll_cases) */
			reps[i].generation = 0;
			reps[i].serving = lcg(&seed) % 2 == 0;
			reps[i].ready_ms = reps[i].state == PLAN_READY ? T0 - 1 : 0;
			present += reps[i].state <= PLAN_READY;
			total += reps[i].state != PLAN_GONE || reps[i].busy;
			want_adv += reps[i].state == PLAN_STOPPING && !reps[i].busy;
		}
		in.reps = reps;
		in.nreps = n;
		in.desired = (int)(lcg(&seed) % 7);
		in.max_replicas = (int)(lcg(&seed) % 8);
		in.creating = lcg(&seed) % 4 == 0 ? 1 + (int)(lcg(&seed) % 3) : 0;
		in.create_parallel = 1 + (int)(lcg(&seed) % 4);
		slots = in.create_parallel - in.creating;		in.now_ms = T0;
		in.backoff_until = lcg(&seed) % 4 == 0 ? T0 + 1 : 0;
		in.taken = taken;
		in.ntaken = lcg(&seed) % 3;
		plan_reconcile(&in, out, n + 4, &res);

		assert_false(res.truncated);
		assert_true(res.nacts >= 1);
		assert_int_equal(res.current, present);
		assert_int_equal(res.total, total);
		for (size_t k = 0; k < res.nacts; k++) {
			const struct plan_action *a = &out[k];

			switch (a->kind) {
			case PLAN_ADVANCE:
				assert_int_equal(retires + creates + holds, 0); /* advances first */
				assert_true(a->rep < n);
				assert_int_equal(reps[a->rep].state, PLAN_STOPPING);
				assert_false(reps[a->rep].busy);
				advances++;
				break;
			case PLAN_RETIRE:
				assert_true(a->rep < n);
				assert_true(reps[a->rep].state <= PLAN_READY);
				for (size_t j = 0; j < k; j++)
					assert_false(out[j].kind == PLAN_RETIRE && out[j].rep == a->rep);
				retires++;
				break;
			case PLAN_CREATE:
				assert_true(creates < slots);
				assert_true(total + creates < in.max_replicas); /* never above max */
				assert_true(present + creates < in.desired);
				assert_in_range(a->index, 1, PLAN_MAX_INDEX);
				assert_int_equal(a->target, 0); /* not a rollout's */
				for (size_t j = 0; j < n; j++)
					assert_false(reps[j].state != PLAN_GONE &&
					             reps[j].index == a->index);
				for (size_t j = 0; j < in.ntaken; j++)
					assert_int_not_equal(taken[j], a->index);
				/* the lowest free one, after the creates planned before it */
				for (int m = 1; m < a->index; m++) {
					bool used = false;

					for (size_t j = 0; j < k; j++)
						used |= out[j].kind == PLAN_CREATE && out[j].index == m;
					for (size_t j = 0; j < n; j++)
						used |= reps[j].state != PLAN_GONE && reps[j].index == m;
					for (size_t j = 0; j < in.ntaken; j++)
						used |= taken[j] == m;
					assert_true(used);
				}
				creates++;
				break;
			default:
				holds++;
				break;
			}
		}
		assert_int_equal(advances, want_adv);
		assert_true(creates <= (slots > 0 ? slots : 0)); /* create_parallel at most */
		assert_false(creates && retires);
		assert_int_equal(retires, present > in.desired ? present - in.desired : 0);
		assert_int_equal(holds, creates || retires ? 0 : 1);
		if (slots > 0 && present < in.desired && in.backoff_until <= in.now_ms)
			/* as many as allowed: up to desired, max_replicas or the free slots */
			assert_true(creates == slots || present + creates == in.desired ||
			            total + creates >= in.max_replicas);
		assert_int_equal(res.wake_at != 0,
		                 present < in.desired && slots > 0 && in.backoff_until > T0);
	}
}

/* ---- rolling updates: generation 0 is current, 1 outdated; now = T0 -------------- */

struct roll_case {
	const char *name;
	struct plan_replica reps[MAXREPS];
	size_t nreps;
	int desired, max, surge;
	int64_t min_healthy;
	bool op_busy, rollback;
	const char *want, *reason;
	int64_t wake_at;
};

/* clang-format off */
static const struct roll_case roll_cases[] = {
	{ "a rollout starts with one new replica beyond desired",
	  REPS(RDOLD(1, 10), RDOLD(2, 20)), 2, 4, 1, 5000, false, false,
	  "create 3", "rolling: create new replica 1 of 2 at index 3 (2 outdated left)", 0 },
	{ "the surge may pass max_replicas by its size",
	  REPS(RDOLD(1, 10), RDOLD(2, 20)), 2, 2, 1, 5000, false, false,
	  "create 3", "create", 0 },
	{ "never beyond max + surge containers",
	  REPS(RDOLD(1, 10), RDOLD(2, 20), DR(3, 5)), 2, 2, 1, 5000, false, false,
	  "hold", "at max_replicas 3", 0 },
	{ "a starting new replica holds the next",
	  REPS(RDOLD(1, 10), RDOLD(2, 20), SG(3, 30)), 2, 4, 1, 5000, false, false,
	  "hold", "waiting for 1 new replica", 0 },
	{ "a ready new replica must serve min_healthy first",
	  REPS(RDOLD(1, 10), RDOLD(2, 20), RDS(3, 30, T0 - 1000)), 2, 4, 1, 5000, false, false,
	  "hold", "rollout_min_healthy", T0 + 4000 },
	{ "ready but not in the balancer yet: no old one leaves",
	  REPS(RDOLD(1, 10), RDOLD(2, 20), RDN(3, 30, T0 - 9000)), 2, 4, 1, 5000, false, false,
	  "hold", "waiting for 1 new", 0 },
	{ "a new replica that served long enough retires an old one",
	  REPS(RDOLD(1, 10), RDOLD(2, 20), RDS(3, 30, T0 - 5000)), 2, 4, 1, 5000, false, false,
	  "retire #1; create 4", "rolling: create new replica 2 of 2 at index 4", 0 },
	{ "the retirement and the next creation at max + surge",
	  REPS(RDOLD(1, 10), RDOLD(2, 20), RDS(3, 30, T0 - 5000)), 2, 2, 1, 5000, false, false,
	  "retire #1", "rolling: retire an outdated ready replica", 0 },
	{ "the not-ready outdated replica goes first",
	  REPS(RDOLD(1, 10), SGOLD(2, 20), RDS(3, 30, T0 - 5000)), 2, 2, 1, 5000, false, false,
	  "retire #1", "outdated starting", 0 },
	{ "after the retirement, the next new one",
	  REPS(RDOLD(1, 10), DR(2, 20), RDS(3, 30, T0 - 6000)), 2, 4, 1, 5000, false, false,
	  "create 4", "create", 0 },
	{ "surge 2 starts two (one create at a time)",
	  REPS(RDOLD(1, 10), RDOLD(2, 20), RDOLD(3, 30), SG(4, 40)), 3, 4, 2, 0, false, false,
	  "create 5", "create", 0 },
	{ "surge 2: two starting hold the third",
	  REPS(RDOLD(1, 10), RDOLD(2, 20), RDOLD(3, 30), SG(4, 40), CR(5, 50)), 3, 4, 2, 0,
	  true, false, "hold", "2 new", 0 },
	{ "two stable new ones retire two old at once",
	  REPS(RDOLD(1, 10), RDOLD(2, 20), RDOLD(3, 30), RDS(4, 40, T0), RDS(5, 50, T0)), 3, 4,
	  2, 0, false, false, "retire #2; retire #1; create 6", "create new replica 3 of 3", 0 },
	{ "the last old one goes when enough new ones serve",
	  REPS(RDOLD(1, 10), RDS(2, 20, T0), RDS(3, 30, T0)), 2, 4, 1, 0, false, false,
	  "retire #0", "0 outdated left", 0 },
	{ "all new: at desired",
	  REPS(RDS(2, 20, T0), RDS(3, 30, T0)), 2, 4, 1, 0, false, false,
	  "hold", "at desired 2", 0 },
	{ "stop-first: an old one leaves before a new one starts",
	  REPS(RDOLD(1, 10), RDOLD(2, 20)), 2, 2, 0, 5000, false, false,
	  "retire #1", "stop-first", 0 },
	{ "stop-first: then its replacement",
	  REPS(RDOLD(1, 10), DR(2, 20)), 2, 3, 0, 5000, false, false,
	  "create 3", "create", 0 },
	{ "stop-first at max: the replacement waits until the old one is gone",
	  REPS(RDOLD(1, 10), DR(2, 20)), 2, 2, 0, 5000, false, false,
	  "hold", "at max_replicas 2 (1 on their way out)", 0 },
	{ "stop-first: the next old one waits for the new one to serve",
	  REPS(RDOLD(1, 10), RDS(3, 30, T0 - 10)), 2, 2, 0, 5000, false, false,
	  "hold", "waiting for 1 new", T0 + 4990 },
	{ "stop-first: and goes once it has",
	  REPS(RDOLD(1, 10), RDS(3, 30, T0 - 5000)), 2, 2, 0, 5000, false, false,
	  "retire #0", "stop-first", 0 },
	{ "stop-first: never more than desired, the not-ready one goes",
	  REPS(RDOLD(1, 10), RDOLD(2, 20), CR(3, 30)), 2, 4, 0, 0, true, false,
	  "retire #2", "scale down 3 -> 2 while rolling: retire the newest creating", 0 },
	{ "scale-down while rolling: outdated ones first",
	  REPS(RDOLD(1, 10), RDOLD(2, 20), RDOLD(3, 30), RDOLD(4, 40), SG(5, 50)), 3, 4, 1, 5000,
	  false, false, "retire #3", "rolling: retire an outdated ready", 0 },
	{ "scale-up while rolling creates new replicas",
	  REPS(RDOLD(1, 10), RDOLD(2, 20), SG(3, 30)), 4, 4, 1, 5000, false, false,
	  "hold", "waiting for 1 new", 0 },
	{ "scale-up while rolling, surge 2",
	  REPS(RDOLD(1, 10), RDOLD(2, 20), SG(3, 30)), 4, 4, 2, 5000, false, false,
	  "create 4", "create", 0 },
	{ "an outdated create in flight counts as outdated",
	  REPS(CROLD(1, 10), RDS(2, 20, T0)), 1, 4, 1, 0, true, false,
	  "retire #0", "outdated creating", 0 },
	{ "rollback: the failed generation leaves, nothing is created",
	  REPS(RDOLD(1, 10), RDOLD(2, 20), RDS(3, 30, T0), SG(4, 40)), 2, 4, 1, 5000, false, true,
	  "retire #2; retire #3", "rollback: retire a replica of the failed generation", 0 },
	{ "rollback: short of desired, creation holds",
	  REPS(RDOLD(1, 10)), 2, 4, 1, 5000, false, true,
	  "hold", "failed to roll out", 0 },
	{ "rollback still scales down through outdated replicas",
	  REPS(RDOLD(1, 10), RDOLD(2, 20), RDOLD(3, 30)), 1, 4, 1, 5000, false, true,
	  "retire #2; retire #1", "scale down", 0 },
	{ "rollback without outdated replicas is an ordinary pass",
	  REPS(RDS(1, 10, T0)), 2, 4, 1, 5000, false, true,
	  "create 2", "scale up 1 -> 2", 0 },
};
/* clang-format on */

static void
test_roll(void **state)
{
	(void)state;
	for (size_t k = 0; k < N_OF(roll_cases); k++) {
		const struct roll_case *c = &roll_cases[k];
		struct plan_input in = { 0 };
		struct plan_action out[MAXREPS + 1];
		struct plan_result res;
		char got[512];

		in.reps = c->reps;
		in.nreps = c->nreps;
		in.desired = c->desired;
		in.max_replicas = c->max;
		in.surge = c->surge;
		in.min_healthy_ms = c->min_healthy;
		in.creating = c->op_busy; /* a rollout creates one at a time */
		in.rollback = c->rollback;
		in.now_ms = T0;
		plan_reconcile(&in, out, N_OF(out), &res);
		render(out, res.nacts, got, sizeof(got));
		if (strcmp(got, c->want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\" (last reason: %s)", c->name, got,
			         c->want, res.nacts ? out[res.nacts - 1].reason : "-");
		if (c->reason != NULL && strstr(out[res.nacts - 1].reason, c->reason) == NULL)
			fail_msg("%s: reason \"%s\" lacks \"%s\"", c->name,
			         out[res.nacts - 1].reason, c->reason);
		if (res.wake_at != c->wake_at)
			fail_msg("%s: wake_at %lld, want %lld", c->name, (long long)res.wake_at,
			         (long long)c->wake_at);
		/* A rollout's creation carries the count it keeps, for its label; an
		 * ordinary one none (doc/replicas.md, "Restart safety"). */
		for (size_t i = 0; i < res.nacts; i++)
			if (out[i].kind == PLAN_CREATE &&
			    out[i].target != (res.outdated > 0 ? c->desired : 0))
				fail_msg("%s: create target %d, want %d", c->name, out[i].target,
				         res.outdated > 0 ? c->desired : 0);
	}
}

/* ---- the desired count after a start (doc/replicas.md, "Restart safety") ----------- */

/* A container of the first list: generation (0xA old, 0xB new, 0xC newer), the
 * rollout's target label, Created (unix s), adopted as a replica. */
#define RUN(g, t, c)    { (g), (t), (c), true }  /* running, not marked */
#define MARKED(g, t, c) { (g), (t), (c), false } /* leaving, created-not-started, exited */

struct adopt_case {
	const char *name;
	struct plan_found v[MAXREPS];
	size_t n;
	int want;
	const char *why;
};

#define FOUND(...) { __VA_ARGS__ }, N_OF(((struct plan_found[]){ __VA_ARGS__ }))

/* clang-format off */
static const struct adopt_case adopt_cases[] = {
	{ "nothing found: 0", { { 0 } }, 0, 0, "0 running" },
	{ "no rollout: what runs", FOUND(RUN(0xA, 0, 10), RUN(0xA, 0, 20), RUN(0xA, 0, 30)), 3,
	  "3 running" },
	{ "issue 28 finding 9: the surge replica running at the kill is not desired",
	  FOUND(RUN(0xA, 0, 10), RUN(0xA, 0, 11), RUN(0xA, 0, 12), RUN(0xB, 3, 50)), 3,
	  "an unfinished rollout: its count 3 (4 running" },
	{ "mid-rollout, an old one leaving: its count",
	  FOUND(RUN(0xA, 0, 10), RUN(0xA, 0, 11), MARKED(0xA, 0, 12), RUN(0xB, 3, 50)), 3,
	  "its count 3" },
	{ "the last old one leaving (marked): its count",
	  FOUND(MARKED(0xA, 0, 10), RUN(0xB, 3, 50), RUN(0xB, 3, 60), RUN(0xB, 3, 70)), 3, NULL },
	{ "stop-first, the old one leaving before its replacement: not one short",
	  FOUND(RUN(0xA, 0, 10), MARKED(0xA, 0, 11), RUN(0xB, 3, 50), RUN(0xB, 3, 60)), 3, NULL },
	{ "a new replica created but never started at the kill still tells the count",
	  FOUND(RUN(0xA, 0, 10), RUN(0xA, 0, 11), RUN(0xB, 3, 50), MARKED(0xB, 3, 60)), 3, NULL },
	{ "a scale-up during the rollout: the newest creation's count",
	  FOUND(RUN(0xA, 0, 10), RUN(0xA, 0, 11), RUN(0xA, 0, 12), RUN(0xB, 3, 50),
	        RUN(0xB, 5, 60), RUN(0xB, 5, 70)), 5, "its count 5 (6 running" },
	{ "a second definition mid-rollout: the newest generation's count",
	  FOUND(RUN(0xA, 0, 10), RUN(0xB, 2, 50), RUN(0xC, 2, 60)), 2, NULL },
	{ "a rollback under way (failed generation still there): its count",
	  FOUND(RUN(0xA, 0, 10), RUN(0xA, 0, 11), RUN(0xB, 2, 50), MARKED(0xB, 2, 60)), 2, NULL },
	{ "a restart rollout (same definition, salted generation)",
	  FOUND(RUN(0xA, 2, 10), RUN(0xA, 2, 11), RUN(0xB, 2, 50)), 2, NULL },
	{ "the rollout finished: what runs, whatever its label says",
	  FOUND(RUN(0xB, 3, 50), RUN(0xB, 3, 60)), 2, "2 running" },
	{ "finished, then an ordinary scale-up beside a leaving old one: what runs",
	  FOUND(MARKED(0xA, 0, 10), RUN(0xB, 3, 50), RUN(0xB, 3, 60), RUN(0xB, 3, 70),
	        RUN(0xB, 0, 80), RUN(0xB, 0, 90)), 5, "5 running" },
	{ "an older dockscale's rollout (no target label): what runs",
	  FOUND(RUN(0xA, 0, 10), RUN(0xA, 0, 11), RUN(0xA, 0, 12), RUN(0xB, 0, 50)), 4,
	  "without a rollout's target" },
	{ "unlabelled replicas are no generation of their own",
	  FOUND(RUN(0, 0, 10), RUN(0xB, 3, 50)), 2, "2 running" },
	/* Created is in seconds; the engine lists the newest first */
	{ "one second, two creations: the one listed first",
	  FOUND(RUN(0xB, 4, 50), RUN(0xB, 3, 50), RUN(0xA, 0, 10)), 4, NULL },
	{ "one second, two creations, the other order",
	  FOUND(RUN(0xB, 3, 50), RUN(0xB, 4, 50), RUN(0xA, 0, 10)), 3, NULL },
	{ "a rollout's creation in the second of an ordinary one: the rollout's count",
	  FOUND(RUN(0xB, 3, 50), RUN(0xA, 0, 50), RUN(0xA, 0, 50), RUN(0xA, 0, 50)), 3,
	  "its count 3 (4 running" },
	{ "an ordinary creation in the second of a rollout's: what runs",
	  FOUND(RUN(0xB, 0, 50), RUN(0xB, 3, 50), MARKED(0xA, 0, 10)), 2, "2 running" },
	{ "a later Created wins over the list's order",
	  FOUND(RUN(0xA, 0, 10), RUN(0xA, 0, 11), RUN(0xB, 3, 50)), 3, NULL },
};
/* clang-format on */

static void
test_adopt(void **state)
{
	(void)state;
	for (size_t k = 0; k < N_OF(adopt_cases); k++) {
		const struct adopt_case *c = &adopt_cases[k];
		char why[160] = "unset";
		int got = plan_adopt_desired(c->v, c->n, why, sizeof(why));

		if (got != c->want)
			fail_msg("%s: desired %d, want %d (%s)", c->name, got, c->want, why);
		if (c->why != NULL && strstr(why, c->why) == NULL)
			fail_msg("%s: reason \"%s\" lacks \"%s\"", c->name, why, c->why);
	}
}


/* ---- scale_down_victim (doc/traffic.md, "Which replica leaves") ----------------------- */

/* clang-format off */
/* READY with the balancer's figures: in flight, requests per second */
#define RDL(i, b, f, r) { PLAN_READY, (i), (b), false, 0, true, 1, true, (f), (r) }
/* clang-format on */

struct victim_case {
	struct plan_case c;      /* max 8, nothing busy, no wake */
	enum plan_victim rule;
};

/* clang-format off */
static const struct victim_case victim_cases[] = {
	{ { "least busy: fewest in flight", REPS(RDL(1, 100, 3, 10), RDL(2, 200, 0.5, 10),
	  RDL(3, 300, 2, 10)), 2, 8,
	  false, 0, { 0 }, 0, "retire #1", "scale down 3 -> 2: retire the least busy ready replica", 0 }, PLAN_VICTIM_LEAST_BUSY },
	{ { "least busy: a tie in flight goes to fewer requests", REPS(RDL(1, 100, 1, 5),
	  RDL(2, 200, 1, 2), RDL(3, 300, 1, 9)), 2, 8,
	  false, 0, { 0 }, 0, "retire #1", "least busy", 0 }, PLAN_VICTIM_LEAST_BUSY },
	{ { "least busy: a full tie goes to the newest", REPS(RDL(1, 100, 1, 1),
	  RDL(2, 300, 1, 1), RDL(3, 200, 1, 1)), 2, 8,
	  false, 0, { 0 }, 0, "retire #1", NULL, 0 }, PLAN_VICTIM_LEAST_BUSY },
	{ { "least busy: the idle one even if it is the oldest", REPS(RDL(1, 100, 0, 0),
	  RDL(2, 200, 4, 30), RDL(3, 300, 5, 40)), 2, 8,
	  false, 0, { 0 }, 0, "retire #0", "least busy", 0 }, PLAN_VICTIM_LEAST_BUSY },
	{ { "least busy: two at once, least busy first", REPS(RDL(1, 100, 2, 9),
	  RDL(2, 200, 7, 9), RDL(3, 300, 1, 9), RDL(4, 400, 9, 9)), 2, 8,
	  false, 0, { 0 }, 0, "retire #2; retire #0", "least busy", 0 }, PLAN_VICTIM_LEAST_BUSY },
	{ { "least busy: no figures at all: the newest", REPS(RD(1, 100), RD(2, 300), RD(3, 200)), 2, 8,
	  false, 0, { 0 }, 0, "retire #1", "retire the newest ready replica", 0 }, PLAN_VICTIM_LEAST_BUSY },
	{ { "least busy: a replica without figures yet (just joined) is the newest", REPS(RDL(1, 100, 4, 4), RD(2, 300), RDL(3, 200, 0, 0)), 2, 8,
	  false, 0, { 0 }, 0, "retire #1", "newest", 0 }, PLAN_VICTIM_LEAST_BUSY },
	{ { "least busy: not ready still goes first", REPS(RDL(1, 100, 0, 0), SG(2, 50),
	  RDL(3, 300, 5, 5)), 2, 8,
	  false, 0, { 0 }, 0, "retire #1", "starting", 0 }, PLAN_VICTIM_LEAST_BUSY },
	{ { "least busy: outdated still goes first", REPS(RDL(1, 100, 0, 0),
	  { PLAN_READY, 2, 50, false, 1, true, 1, true, 9, 9 }, RDL(3, 300, 5, 5)), 2, 8,
	  false, 0, { 0 }, 0, "retire #1", "outdated", 0 }, PLAN_VICTIM_LEAST_BUSY },
	{ { "newest ignores the figures", REPS(RDL(1, 100, 0, 0), RDL(2, 200, 5, 5)), 1, 8,
	  false, 0, { 0 }, 0, "retire #1", "retire the newest ready replica", 0 }, PLAN_VICTIM_NEWEST },
	{ { "oldest", REPS(RDL(2, 200, 0, 0), RDL(1, 100, 5, 5), RDL(3, 300, 1, 1)), 2, 8,
	  false, 0, { 0 }, 0, "retire #1", "retire the oldest ready replica", 0 }, PLAN_VICTIM_OLDEST },
	{ { "oldest: equal birth, the lowest index", REPS(RD(2, 100), RD(1, 100)), 1, 8,
	  false, 0, { 0 }, 0, "retire #1", "oldest", 0 }, PLAN_VICTIM_OLDEST },
};
/* clang-format on */


/* sleep = pause (doc/waking.md, "Sleeping: stop or pause"): each row with pause or stop */
/* clang-format off */
static const struct {
	struct plan_case c;
	bool pause;
} sleep_cases[] = {
	{ { "pause: to 0 the ready replicas are paused, not retired",
	  REPS(RD(1, 100), RD(2, 200)), 0, 4, false, 0, { 0 }, 0,
	  "pause #1; pause #0", "put the newest ready replica to sleep", 0 }, true },
	{ { "pause: to 0 a starting one is retired, a ready one paused",
	  REPS(RD(1, 100), SG(2, 200)), 0, 4, false, 0, { 0 }, 0,
	  "retire #1; pause #0", "to sleep", 0 }, true },
	{ { "pause: to 0 an outdated ready one is retired (while rolling)",
	  REPS(RDOLD(1, 100)), 0, 4, false, 0, { 0 }, 0, "retire #0", NULL, 0 }, true },
	{ { "pause: down to a count above 0 retires as before",
	  REPS(RD(1, 100), RD(2, 200)), 1, 4, false, 0, { 0 }, 0,
	  "retire #1", "scale down 2 -> 1: retire the newest ready replica", 0 }, true },
	{ { "stop: to 0 retires", REPS(RD(1, 100)), 0, 4, false, 0, { 0 }, 0,
	  "retire #0", NULL, 0 }, false },
	{ { "pause: asleep at 0 holds", REPS(PZ(1, 100), PZ(2, 200)), 0, 4, false, 0, { 0 }, 0,
	  "hold", "at desired 0", 0 }, true },
	{ { "pause: a paused replica is not counted", REPS(RD(1, 100), PZ(2, 200)), 1, 4, false,
	  0, { 0 }, 0, "hold", "at desired 1", 0 }, true },
	{ { "pause: waking unpauses before creating", REPS(PZ(1, 100)), 1, 4, false, 0, { 0 }, 0,
	  "unpause #0", "scale up 0 -> 1: unpause the paused replica at index 1", 0 }, true },
	{ { "pause: as many unpaused at once as are missing",
	  REPS(PZ(1, 100), PZ(2, 200), PZ(3, 300)), 2, 4, false, 0, { 0 }, 0,
	  "unpause #0; unpause #1", "scale up 1 -> 2", 0 }, true },
	{ { "pause: all paused ones woken, then one create", REPS(PZ(1, 100)), 3, 4, false, 0,
	  { 0 }, 0, "unpause #0; create 2", "create at the lowest free index 2", 0 }, true },
	{ { "pause: an unpause goes while a create is in flight and in backoff",
	  REPS(CR(2, 100), PZ(1, 50)), 2, 4, true, T0 + 5000, { 0 }, 0, "unpause #1", NULL, 0 }, true },
	{ { "pause: a paused replica holds its name", REPS(PZOLD(1, 100)), 1, 4, false, 0, { 0 },
	  0, "retire #0; create 2", "index 2", 0 }, true },
	{ { "pause: an older definition's paused replica is removed, never unpaused",
	  REPS(PZOLD(1, 100), PZ(2, 200)), 1, 4, false, 0, { 0 }, 0, "retire #0; unpause #1",
	  "unpause the paused replica at index 2", 0 }, true },
	{ { "pause: one of an older definition is removed while asleep",
	  REPS(PZOLD(1, 100)), 0, 4, false, 0, { 0 }, 0, "retire #0; hold", "at desired 0", 0 }, true },
	{ { "pause: spare paused replicas stay while awake",
	  REPS(RD(1, 100), RD(2, 200), PZ(3, 300), PZ(4, 400)), 2, 4, false, 0, { 0 }, 0,
	  "hold", "at desired 2", 0 }, true },
	{ { "stop: a reload to sleep = stop removes paused replicas",
	  REPS(RD(1, 100), PZ(2, 300)), 1, 4, false, 0, { 0 }, 0, "retire #1; hold",
	  "at desired 1", 0 }, false },
	{ { "pause: a pause in flight is waited for", REPS(PZB(1, 100)), 0, 4, false, 0, { 0 }, 0,
	  "hold", "at desired 0", 0 }, true },
	{ { "pause: paused replicas count toward max_replicas",
	  REPS(RD(1, 100), PZOLD(2, 200)), 2, 2, false, 0, { 0 }, 0, "retire #1; hold",
	  "at max_replicas 2 (0 on their way out, some paused)", 0 }, true },
};
/* clang-format on */

/* create_parallel (doc/replicas.md, "Parallel creates"): several creates in flight. */
/* clang-format off */
static const struct {
	struct plan_case c;
	int parallel;
} par_cases[] = {
	{ { "parallel 1 from empty: one create", NOREPS, 8, 8, 0, 0, { 0 }, 0,
	  "create 1", NULL, 0 }, 1 },
	{ { "parallel 4, none in flight: four at the lowest free indices", NOREPS, 8, 8, 0, 0,
	  { 0 }, 0, "create 1; create 2; create 3; create 4", "scale up 3 -> 8", 0 }, 4 },
	{ { "parallel 4, two in flight: two more", REPS(CR(1, 10), CR(2, 20)), 8, 8, 2, 0, { 0 },
	  0, "create 3; create 4", "index 4", 0 }, 4 },
	{ { "parallel 4, four in flight: hold", REPS(CR(1, 10), CR(2, 20), CR(3, 30), CR(4, 40)),
	  8, 8, 4, 0, { 0 }, 0, "hold", "create_parallel creates are in flight", 0 }, 4 },
	{ { "parallel 2, two in flight (a reload lowered it from 4): hold",
	  REPS(CR(1, 10), CR(2, 20)), 8, 8, 2, 0, { 0 }, 0, "hold", "in flight", 0 }, 2 },
	{ { "parallel 4: never above desired", REPS(RD(1, 10)), 3, 8, 0, 0, { 0 }, 0,
	  "create 2; create 3", "scale up 2 -> 3", 0 }, 4 },
	{ { "parallel 4: never above max_replicas, leaving ones included",
	  REPS(RD(1, 10), DR(2, 20)), 8, 4, 0, 0, { 0 }, 0, "create 3; create 4", NULL, 0 }, 4 },
	{ { "parallel 4: distinct indices around gaps and taken names",
	  REPS(RD(2, 10), RD(5, 20)), 8, 8, 0, 0, { 1, 4 }, 2,
	  "create 3; create 6; create 7; create 8", "index 8", 0 }, 4 },
	{ { "parallel 4: backoff still holds", NOREPS, 8, 8, 0, T0 + 3000, { 0 }, 0,
	  "hold", "backing off 3000ms", T0 + 3000 }, 4 },
	{ { "parallel 4: advances, then the creates", REPS(SP(0, 5), RD(1, 100)), 4, 8, 1, 0,
	  { 0 }, 0, "advance #0; create 2; create 3; create 4", NULL, 0 }, 4 },
};
/* clang-format on */

static void
test_parallel(void **state)
{
	(void)state;
	for (size_t k = 0; k < N_OF(par_cases); k++)
		check(&par_cases[k].c, PLAN_VICTIM_NEWEST, false, par_cases[k].parallel);
}

static void
test_sleep(void **state)
{
	(void)state;
	for (size_t k = 0; k < N_OF(sleep_cases); k++)
		check(&sleep_cases[k].c, PLAN_VICTIM_NEWEST, sleep_cases[k].pause, 1);
}

static void
test_victims(void **state)
{
	(void)state;
	for (size_t k = 0; k < N_OF(victim_cases); k++)
		check(&victim_cases[k].c, victim_cases[k].rule, false, 1);
}

int
main(void)
{
	static struct CMUnitTest tests[N_OF(cases) + 12];
	size_t n = 0;

	for (size_t i = 0; i < N_OF(cases); i++)
		tests[n++] = (struct CMUnitTest){ cases[i].name, run_case, NULL, NULL,
			                          (void *)&cases[i] };
	tests[n++] = (struct CMUnitTest){ "no free name", test_no_free_name, NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "create blocked", test_create_blocked, NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "down blocked", test_down_blocked, NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "truncated", test_truncated, NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "counts", test_counts, NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "kind names", test_kind_names, NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "invariants", test_invariants, NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "rolling updates", test_roll, NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "desired after a start", test_adopt, NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "scale-down victims", test_victims, NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "sleep: pause and unpause", test_sleep, NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "create_parallel", test_parallel, NULL, NULL, NULL };
	return _cmocka_run_group_tests("plan", tests, n, NULL, NULL);
}
