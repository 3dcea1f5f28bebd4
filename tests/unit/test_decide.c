/* test_decide.c: table-driven tests of the pure scaling policy (src/decide.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <cmocka.h>

#include <float.h>
#include <stdio.h>
#include <string.h>

#include "decide.h"

#define S 1000LL      /* milliseconds per second */
#define T0 (1000 * S) /* an arbitrary "now", far from 0 so that T0 - 300s is valid */
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- parameter presets ------------------------------------------------------------ */

/* clang-format off */
#define THR(upfor, downfor, upstep, downstep, alpha, stale, mn, mx) {                      \
	.policy = POLICY_THRESHOLD, .up_threshold = 75, .down_threshold = 40, .target = 60,    \
	.tolerance = 0.1, .up_for_ms = (upfor), .down_for_ms = (downfor), .up_step = (upstep), \
	.down_step = (downstep), .up_cooldown_ms = 60 * S, .down_cooldown_ms = 300 * S,        \
	.smoothing = (alpha), .stale_ms = (stale), .min_replicas = (mn), .max_replicas = (mx) }

#define TGT(tgt, tol, upfor, downfor, mn, mx) {                                            \
	.policy = POLICY_TARGET, .up_threshold = 75, .down_threshold = 40, .target = (tgt),    \
	.tolerance = (tol), .up_for_ms = (upfor), .down_for_ms = (downfor), .up_step = 1,      \
	.down_step = 1, .up_cooldown_ms = 60 * S, .down_cooldown_ms = 300 * S,                 \
	.smoothing = 1.0, .stale_ms = 0, .min_replicas = (mn), .max_replicas = (mx) }

/* The shipped defaults: up 75, down 40, up_for 0, down_for 60s, cooldowns 60s/300s. */
static const struct decide_params thr = THR(0, 60 * S, 1, 1, 1.0, 0, 1, 5);
static const struct decide_params thr_win = THR(30 * S, 60 * S, 1, 1, 1.0, 0, 1, 5);
static const struct decide_params thr_step2 = THR(0, 0, 2, 2, 1.0, 0, 1, 5);
static const struct decide_params thr_ewma = THR(0, 60 * S, 1, 1, 0.5, 0, 1, 5);
static const struct decide_params thr_alpha0 = THR(0, 60 * S, 1, 1, 0.0, 0, 1, 5);
static const struct decide_params thr_stale = THR(0, 60 * S, 1, 1, 1.0, 30 * S, 1, 5);
static const struct decide_params thr_min0 = THR(0, 0, 1, 1, 1.0, 0, 0, 5);
static const struct decide_params thr_step0 = THR(0, 0, 0, 0, 1.0, 0, 1, 5);
static const struct decide_params tgt = TGT(60, 0.1, 0, 0, 1, 10);
static const struct decide_params tgt_win = TGT(60, 0.1, 30 * S, 60 * S, 1, 10);
static const struct decide_params tgt_min0 = TGT(60, 0.1, 0, 0, 0, 10);
static const struct decide_params tgt_edge = TGT(64, 0.125, 0, 0, 1, 10); /* exact in binary */
static const struct decide_params tgt55 = TGT(55, 0.1, 0, 0, 1, 30);
static const struct decide_params tgt_zero = TGT(0, 0.1, 0, 0, 1, 10);
/* predictive: target 60, horizon 30s, down after 30s, cooldowns 15s up / 60s down */
#define PRED(pol, h) {                                                                     \
	.policy = (pol), .up_threshold = 75, .down_threshold = 40, .target = 60,               \
	.tolerance = 0.1, .up_for_ms = 0, .down_for_ms = 30 * S, .up_step = 1, .down_step = 1, \
	.up_cooldown_ms = 15 * S, .down_cooldown_ms = 60 * S, .smoothing = 1.0, .stale_ms = 0, \
	.min_replicas = 1, .max_replicas = 10, .predict_alpha = 0.5, .predict_beta = 0.3,      \
	.horizon_ms = (h) }
static const struct decide_params pred = PRED(POLICY_PREDICTIVE, 30 * S);
static const struct decide_params pred_as_tgt = PRED(POLICY_TARGET, 30 * S);

/* ---- shorthands for states and inputs --------------------------------------------- */

/* decide_state: have_ewma, ewma, up_since, down_since, last_up, last_down (then the
 * predictive level and trend, none here) */
#define NOHOLT false, false, 0.0, 0.0, 0
#define FRESH { false, 0.0, -1, -1, -1, -1, NOHOLT }
#define ST(e, ups, downs, lu, ld) { true, (e), (ups), (downs), (lu), (ld), NOHOLT }
#define NOEWMA(ups, downs, lu, ld) { false, 0.0, (ups), (downs), (lu), (ld), NOHOLT }

/* decide_input: now, have_value, value, sampled, current, starting */
#define IN(v, cur, start) { T0, true, (v), T0, (cur), (start) }
#define NOVAL(cur) { T0, false, 0.0, T0, (cur), 0 }
#define AGED(v, age, cur) { T0, true, (v), T0 - (age), (cur), 0 }
/* clang-format on */

/* ---- checks shared by every table ------------------------------------------------- */

static void
check_result(const char *where, const struct decide_result *out, enum decide_dir dir,
             int desired, const char *substr)
{
	if (memchr(out->reason, '\0', sizeof out->reason) == NULL)
		fail_msg("%s: reason not terminated", where);
	if (out->dir != dir || out->desired != desired)
		fail_msg("%s: got %s %d, want %s %d; reason: %s", where,
		         decide_dir_name(out->dir), out->desired, decide_dir_name(dir), desired,
		         out->reason);
	if (substr != NULL && strstr(out->reason, substr) == NULL)
		fail_msg("%s: reason \"%s\" lacks \"%s\"", where, out->reason, substr);
}

static void
check_i64(const char *where, const char *field, int64_t got, int64_t want)
{
	if (got != want)
		fail_msg("%s: %s is %lld, want %lld", where, field, (long long)got,
		         (long long)want);
}

static void
check_state(const char *where, const struct decide_state *got, const struct decide_state *want)
{
	if (got->have_ewma != want->have_ewma)
		fail_msg("%s: have_ewma is %d, want %d", where, got->have_ewma,
		         want->have_ewma);
	if (want->have_ewma && fabs(got->ewma - want->ewma) > 1e-9)
		fail_msg("%s: ewma is %g, want %g", where, got->ewma, want->ewma);
	check_i64(where, "up_since", got->up_since, want->up_since);
	check_i64(where, "down_since", got->down_since, want->down_since);
	check_i64(where, "last_up", got->last_up, want->last_up);
	check_i64(where, "last_down", got->last_down, want->last_down);
}

/* ---- single evaluations ----------------------------------------------------------- */

struct eval_case {
	const char *name;
	const struct decide_params *p;
	struct decide_state before;
	struct decide_input in;
	enum decide_dir dir;
	int desired;
	bool missing;
	const char *reason; /* a substring of the expected reason */
	struct decide_state after;
};

#define H DECIDE_HOLD
#define U DECIDE_UP
#define D DECIDE_DOWN

/* clang-format off */
static struct eval_case eval_cases[] = {
	/* missing data: hold, reset both windows, keep the EWMA */
	{ "missing: no sample holds", &thr, ST(80, T0 - 10 * S, -1, -1, -1), NOVAL(3),
	  H, 3, true, "missing data (no sample): hold 3", ST(80, -1, -1, -1, -1) },
	{ "missing: NaN holds", &thr, FRESH, IN(NAN, 3, 0),
	  H, 3, true, "missing data (value NaN): hold 3", FRESH },
	{ "missing: +Inf holds", &thr, FRESH, IN(INFINITY, 3, 0),
	  H, 3, true, "missing data (value +Inf): hold 3", FRESH },
	{ "missing: -Inf holds", &thr, FRESH, IN(-INFINITY, 3, 0),
	  H, 3, true, "missing data (value -Inf): hold 3", FRESH },
	{ "missing: stale sample holds", &thr_stale, ST(90, T0 - 5 * S, -1, -1, -1),
	  AGED(90, 45 * S, 3), H, 3, true, "missing data (stale sample 45s old): hold 3",
	  ST(90, -1, -1, -1, -1) },
	{ "missing: sample exactly stale_ms old is fresh", &thr_stale, FRESH, AGED(90, 30 * S, 3),
	  U, 4, false, "value 90.0 > up 75.0: scale up 3->4", ST(90, T0, -1, T0, -1) },
	{ "missing: stale_ms 0 never goes stale", &thr, FRESH, AGED(90, 3600 * S, 3),
	  U, 4, false, "scale up 3->4", ST(90, T0, -1, T0, -1) },
	{ "missing: never scales down however long the fall held", &thr,
	  ST(10, -1, T0 - 600 * S, -1, -1), NOVAL(3),
	  H, 3, true, "missing data", ST(10, -1, -1, -1, -1) },
	{ "missing: keeps the EWMA untouched", &thr_ewma, ST(70, -1, -1, -1, -1), IN(NAN, 3, 0),
	  H, 3, true, "value NaN", ST(70, -1, -1, -1, -1) },
	{ "missing: below min_replicas is still restored", &thr, FRESH, NOVAL(0),
	  U, 1, true, "missing data (no sample); below min_replicas 1: scale up 0->1", FRESH },
	{ "missing: above max_replicas is still corrected", &thr, FRESH, NOVAL(7),
	  D, 5, true, "missing data (no sample); above max_replicas 5: scale down 7->5", FRESH },

	/* bounds come first and ignore windows, cooldowns and the metric */
	{ "bounds: below min ignores window and cooldown", &thr_win,
	  ST(10, -1, T0 - 5 * S, T0 - 1 * S, -1), IN(10, 0, 0),
	  U, 1, false, "value 10.0; below min_replicas 1: scale up 0->1",
	  ST(10, -1, -1, T0 - 1 * S, -1) },
	{ "bounds: above max ignores cooldown and a high metric", &thr,
	  ST(90, T0 - 5 * S, -1, -1, T0 - 1 * S), IN(90, 8, 0),
	  D, 5, false, "above max_replicas 5: scale down 8->5", ST(90, -1, -1, -1, T0 - 1 * S) },
	{ "bounds: above max is corrected despite a pending start", &thr, FRESH, IN(90, 6, 1),
	  D, 5, false, "above max_replicas 5: scale down 6->5", ST(90, -1, -1, -1, -1) },

	/* threshold: the hysteresis band */
	{ "threshold: inside the band holds and resets windows", &thr,
	  ST(80, T0 - 5 * S, -1, -1, -1), IN(55, 3, 0),
	  H, 3, false, "value 55.0 within [40.0, 75.0]: hold 3", ST(55, -1, -1, -1, -1) },
	{ "threshold: exactly up_threshold is inside the band", &thr, FRESH, IN(75, 3, 0),
	  H, 3, false, "within", ST(75, -1, -1, -1, -1) },
	{ "threshold: exactly down_threshold is inside the band", &thr,
	  ST(30, -1, T0 - 90 * S, -1, -1), IN(40, 3, 0),
	  H, 3, false, "within", ST(40, -1, -1, -1, -1) },

	/* threshold: up */
	{ "threshold up: no window acts at once", &thr, FRESH, IN(82.3, 2, 0),
	  U, 3, false, "value 82.3 > up 75.0: scale up 2->3", ST(82.3, T0, -1, T0, -1) },
	{ "threshold up: first sight starts the window", &thr_win, FRESH, IN(82.3, 2, 0),
	  H, 2, false, "value 82.3 > up 75.0 but holding for 0s of 30s: hold 2",
	  ST(82.3, T0, -1, -1, -1) },
	{ "threshold up: window not yet held", &thr_win, ST(80, T0 - 10 * S, -1, -1, -1),
	  IN(82.3, 2, 0), H, 2, false, "holding for 10s of 30s: hold 2",
	  ST(82.3, T0 - 10 * S, -1, -1, -1) },
	{ "threshold up: window held acts and keeps running", &thr_win,
	  ST(80, T0 - 30 * S, -1, -1, -1), IN(82.3, 2, 0),
	  U, 3, false, "value 82.3 > up 75.0 for 30s: scale up 2->3",
	  ST(82.3, T0 - 30 * S, -1, T0, -1) },
	{ "threshold up: breaks a running down window", &thr, ST(30, -1, T0 - 50 * S, -1, -1),
	  IN(90, 3, 0), U, 4, false, "scale up 3->4", ST(90, T0, -1, T0, -1) },
	{ "threshold up: cooldown blocks", &thr, ST(80, T0 - 100 * S, -1, T0 - 18 * S, -1),
	  IN(82.3, 3, 0), H, 3, false, "value 82.3 > up 75.0 but cooldown 42s left: hold 3",
	  ST(82.3, T0 - 100 * S, -1, T0 - 18 * S, -1) },
	{ "threshold up: cooldown left in tenths", &thr, ST(80, T0 - 100 * S, -1, T0 - 18500, -1),
	  IN(90, 3, 0), H, 3, false, "cooldown 41.5s left",
	  ST(90, T0 - 100 * S, -1, T0 - 18500, -1) },
	{ "threshold up: cooldown left under a second", &thr, ST(80, T0 - 100 * S, -1, T0 - 59500, -1),
	  IN(90, 3, 0), H, 3, false, "cooldown 500ms left",
	  ST(90, T0 - 100 * S, -1, T0 - 59500, -1) },
	{ "threshold up: cooldown just over steps", &thr, ST(80, T0 - 100 * S, -1, T0 - 60 * S, -1),
	  IN(90, 3, 0), U, 4, false, "scale up 3->4", ST(90, T0 - 100 * S, -1, T0, -1) },
	{ "threshold up: down cooldown does not block up", &thr, ST(80, -1, -1, -1, T0 - 1 * S),
	  IN(90, 3, 0), U, 4, false, "scale up 3->4", ST(90, T0, -1, T0, T0 - 1 * S) },
	{ "threshold up: pending start blocks", &thr, FRESH, IN(90, 3, 1),
	  H, 3, false, "value 90.0 > up 75.0 but pending start (1 starting): hold 3",
	  ST(90, T0, -1, -1, -1) },
	{ "threshold up: at max_replicas", &thr, FRESH, IN(90, 5, 0),
	  H, 5, false, "but at max_replicas 5: hold 5", ST(90, T0, -1, -1, -1) },
	{ "threshold up: at max_replicas outranks pending start", &thr, FRESH, IN(90, 5, 2),
	  H, 5, false, "at max_replicas", ST(90, T0, -1, -1, -1) },
	{ "threshold up: step 2", &thr_step2, FRESH, IN(90, 2, 0),
	  U, 4, false, "scale up 2->4", ST(90, T0, -1, T0, -1) },
	{ "threshold up: step capped at max_replicas", &thr_step2, FRESH, IN(90, 4, 0),
	  U, 5, false, "scale up 4->5", ST(90, T0, -1, T0, -1) },
	{ "threshold up: step 0 is treated as 1", &thr_step0, FRESH, IN(90, 2, 0),
	  U, 3, false, "scale up 2->3", ST(90, T0, -1, T0, -1) },
	{ "threshold up: wakes a service at zero", &thr_min0, FRESH, IN(90, 0, 0),
	  U, 1, false, "scale up 0->1", ST(90, T0, -1, T0, -1) },

	/* threshold: down */
	{ "threshold down: first sight starts the window", &thr, FRESH, IN(20, 3, 0),
	  H, 3, false, "value 20.0 < down 40.0 but holding for 0s of 60s: hold 3",
	  ST(20, -1, T0, -1, -1) },
	{ "threshold down: window not yet held", &thr, ST(20, -1, T0 - 59500, -1, -1), IN(20, 3, 0),
	  H, 3, false, "holding for 59.5s of 60s", ST(20, -1, T0 - 59500, -1, -1) },
	{ "threshold down: window held acts", &thr, ST(20, -1, T0 - 60 * S, -1, -1), IN(20, 3, 0),
	  D, 2, false, "value 20.0 < down 40.0 for 60s: scale down 3->2",
	  ST(20, -1, T0 - 60 * S, -1, T0) },
	{ "threshold down: breaks a running up window", &thr, ST(80, T0 - 10 * S, -1, -1, -1),
	  IN(20, 3, 0), H, 3, false, "holding for 0s of 60s", ST(20, -1, T0, -1, -1) },
	{ "threshold down: cooldown blocks", &thr, ST(20, -1, T0 - 120 * S, -1, T0 - 200 * S),
	  IN(20, 3, 0), H, 3, false, "but cooldown 100s left: hold 3",
	  ST(20, -1, T0 - 120 * S, -1, T0 - 200 * S) },
	{ "threshold down: up cooldown does not block down", &thr,
	  ST(20, -1, T0 - 60 * S, T0 - 1 * S, -1), IN(20, 3, 0),
	  D, 2, false, "scale down 3->2", ST(20, -1, T0 - 60 * S, T0 - 1 * S, T0) },
	{ "threshold down: at min_replicas", &thr, ST(20, -1, T0 - 60 * S, -1, -1), IN(20, 1, 0),
	  H, 1, false, "but at min_replicas 1: hold 1", ST(20, -1, T0 - 60 * S, -1, -1) },
	{ "threshold down: pending start does not block", &thr, ST(20, -1, T0 - 60 * S, -1, -1),
	  IN(20, 3, 1), D, 2, false, "scale down 3->2", ST(20, -1, T0 - 60 * S, -1, T0) },
	{ "threshold down: step floored at min_replicas", &thr_step2, FRESH, IN(10, 2, 0),
	  D, 1, false, "scale down 2->1", ST(10, -1, T0, -1, T0) },
	{ "threshold down: to zero when min is 0", &thr_min0, FRESH, IN(10, 1, 0),
	  D, 0, false, "scale down 1->0", ST(10, -1, T0, -1, T0) },
	{ "threshold down: at zero holds at min_replicas 0", &thr_min0, FRESH, IN(10, 0, 0),
	  H, 0, false, "at min_replicas 0: hold 0", ST(10, -1, T0, -1, -1) },

	/* EWMA */
	{ "ewma: first sample is taken as is", &thr_ewma, FRESH, IN(90, 3, 0),
	  U, 4, false, "value 90.0", ST(90, T0, -1, T0, -1) },
	{ "ewma: a spike is smoothed into the band", &thr_ewma, ST(50, -1, -1, -1, -1),
	  IN(90, 3, 0), H, 3, false, "value 70.0 within", ST(70, -1, -1, -1, -1) },
	{ "ewma: a sustained rise crosses", &thr_ewma, ST(70, -1, -1, -1, -1), IN(90, 3, 0),
	  U, 4, false, "value 80.0 > up 75.0", ST(80, T0, -1, T0, -1) },
	{ "ewma: smoothing 1.0 compares the raw value", &thr, ST(10, -1, -1, -1, -1),
	  IN(90, 3, 0), U, 4, false, "value 90.0", ST(90, T0, -1, T0, -1) },
	{ "ewma: smoothing 0 (out of range) means none", &thr_alpha0, ST(10, -1, -1, -1, -1),
	  IN(90, 3, 0), U, 4, false, "value 90.0", ST(90, T0, -1, T0, -1) },

	/* target (HPA): tolerance band edges */
	{ "target: inside tolerance holds and resets windows", &tgt, ST(90, T0 - 5 * S, -1, -1, -1),
	  IN(63, 2, 0), H, 2, false, "target: 63.0/60.0=1.05 within tolerance 0.10: hold 2",
	  ST(63, -1, -1, -1, -1) },
	{ "target: upper edge is inside", &tgt_edge, FRESH, IN(72, 2, 0),
	  H, 2, false, "=1.12 within tolerance", ST(72, -1, -1, -1, -1) },
	{ "target: just above upper edge scales", &tgt_edge, FRESH, IN(72.1, 2, 0),
	  U, 3, false, "ceil(2*1.13)=3: scale up 2->3", ST(72.1, T0, -1, T0, -1) },
	{ "target: lower edge is inside", &tgt_edge, FRESH, IN(56, 8, 0),
	  H, 8, false, "within tolerance", ST(56, -1, -1, -1, -1) },
	{ "target: just below lower edge scales", &tgt_edge, FRESH, IN(55.9, 8, 0),
	  D, 7, false, "scale down 8->7", ST(55.9, -1, T0, -1, T0) },
	{ "target: 66/60 sits on the 0.1 edge despite float error", &tgt, FRESH, IN(66, 4, 0),
	  H, 4, false, "within tolerance", ST(66, -1, -1, -1, -1) },
	{ "target: outside band but rounding lands on current", &tgt, ST(90, T0 - 5 * S, -1, -1, -1),
	  IN(51, 1, 0), H, 1, false, "target: 51.0/60.0=0.85, ceil(1*0.85)=1: hold 1",
	  ST(51, -1, -1, -1, -1) },

	/* target: up and down, jumping to the computed count */
	{ "target: up", &tgt, FRESH, IN(90, 2, 0),
	  U, 3, false, "target: 90.0/60.0=1.50, ceil(2*1.50)=3: scale up 2->3",
	  ST(90, T0, -1, T0, -1) },
	{ "target: jumps by more than up_step", &tgt, FRESH, IN(180, 2, 0),
	  U, 6, false, "ceil(2*3.00)=6: scale up 2->6", ST(180, T0, -1, T0, -1) },
	{ "target: ceil ignores float error", &tgt55, FRESH, IN(125, 11, 0),
	  U, 25, false, "=25: scale up 11->25", ST(125, T0, -1, T0, -1) },
	{ "target: up clamped to max_replicas", &tgt, FRESH, IN(180, 4, 0),
	  U, 10, false, "ceil(4*3.00)=12, clamped to 10: scale up 4->10", ST(180, T0, -1, T0, -1) },
	{ "target: huge value clamped to max_replicas", &tgt, FRESH, IN(1e300, 2, 0),
	  U, 10, false, "target: ", ST(1e300, T0, -1, T0, -1) },
	{ "target: at max_replicas", &tgt, FRESH, IN(180, 10, 0),
	  H, 10, false, "but at max_replicas 10: hold 10", ST(180, T0, -1, -1, -1) },
	{ "target: down", &tgt, FRESH, IN(30, 4, 0),
	  D, 2, false, "target: 30.0/60.0=0.50, ceil(4*0.50)=2: scale down 4->2",
	  ST(30, -1, T0, -1, T0) },
	{ "target: down clamped to min_replicas", &tgt, FRESH, IN(0, 4, 0),
	  D, 1, false, "ceil(4*0.00)=0, clamped to 1: scale down 4->1", ST(0, -1, T0, -1, T0) },
	{ "target: negative value clamped to min_replicas", &tgt, FRESH, IN(-60, 4, 0),
	  D, 1, false, "clamped to 1", ST(-60, -1, T0, -1, T0) },
	{ "target: at min_replicas", &tgt, FRESH, IN(0, 1, 0),
	  H, 1, false, "but at min_replicas 1: hold 1", ST(0, -1, T0, -1, -1) },
	{ "target: current 0 counts as 1 to wake", &tgt_min0, FRESH, IN(90, 0, 0),
	  U, 2, false, "ceil(1*1.50)=2: scale up 0->2", ST(90, T0, -1, T0, -1) },
	{ "target: current 0 and low load stays at 0", &tgt_min0, FRESH, IN(0, 0, 0),
	  H, 0, false, "ceil(0*0.00)=0: hold 0", ST(0, -1, -1, -1, -1) },
	{ "target: below min_replicas", &tgt, FRESH, IN(0, 0, 0),
	  U, 1, false, "below min_replicas 1: scale up 0->1", ST(0, -1, -1, -1, -1) },
	{ "target: pending start blocks up", &tgt, FRESH, IN(90, 2, 1),
	  H, 2, false, "pending start (1 starting): hold 2", ST(90, T0, -1, -1, -1) },
	{ "target: pending start does not block down", &tgt, FRESH, IN(30, 4, 1),
	  D, 2, false, "scale down 4->2", ST(30, -1, T0, -1, T0) },
	{ "target: up cooldown blocks", &tgt, ST(90, -1, -1, T0 - 10 * S, -1), IN(90, 2, 0),
	  H, 2, false, "ceil(2*1.50)=3 but cooldown 50s left: hold 2",
	  ST(90, T0, -1, T0 - 10 * S, -1) },
	{ "target: down cooldown blocks", &tgt, ST(30, -1, -1, -1, T0 - 100 * S), IN(30, 4, 0),
	  H, 4, false, "cooldown 200s left: hold 4", ST(30, -1, T0, -1, T0 - 100 * S) },
	{ "target: up window holding", &tgt_win, FRESH, IN(90, 2, 0),
	  H, 2, false, "but holding for 0s of 30s: hold 2", ST(90, T0, -1, -1, -1) },
	{ "target: up window held acts", &tgt_win, ST(90, T0 - 30 * S, -1, -1, -1), IN(90, 2, 0),
	  U, 3, false, "=3 for 30s: scale up 2->3", ST(90, T0 - 30 * S, -1, T0, -1) },
	{ "target: down window holding", &tgt_win, ST(30, -1, T0 - 30 * S, -1, -1), IN(30, 4, 0),
	  H, 4, false, "holding for 30s of 60s: hold 4", ST(30, -1, T0 - 30 * S, -1, -1) },
	{ "target: down breaks the up window", &tgt_win, ST(90, T0 - 20 * S, -1, -1, -1),
	  IN(30, 4, 0), H, 4, false, "holding for 0s of 60s", ST(30, -1, T0, -1, -1) },
	{ "target: a target of 0 holds instead of dividing", &tgt_zero, ST(90, T0 - 5 * S, -1, -1, -1),
	  IN(90, 2, 0), H, 2, false, "target 0.0 is not positive: hold 2", ST(90, -1, -1, -1, -1) },
};
/* clang-format on */

static void
run_eval_case(void **state)
{
	const struct eval_case *c = *state;
	struct decide_state st = c->before;
	struct decide_result out;

	memset(&out, 0x5a, sizeof out); /* nothing may be left over from before the call */
	decide_eval(c->p, &st, &c->in, &out);
	check_result(c->name, &out, c->dir, c->desired, c->reason);
	if (out.missing != c->missing)
		fail_msg("%s: missing is %d, want %d", c->name, out.missing, c->missing);
	if (c->missing ? !isnan(out.smoothed) : out.smoothed != st.ewma)
		fail_msg("%s: smoothed is %g (ewma %g)", c->name, out.smoothed, st.ewma);
	check_state(c->name, &st, &c->after);
}

/* ---- alerts ------------------------------------------------------------------------ */

struct alert_case {
	const char *name;
	const struct decide_params *p;
	struct decide_state before;
	int current, starting;
	enum decide_dir ask;
	enum decide_dir dir;
	int desired;
	const char *reason;
	struct decide_state after;
};

/* clang-format off */
static struct alert_case alert_cases[] = {
	{ "alert: up steps and stamps", &thr, FRESH, 2, 0, U,
	  U, 3, "alert asks up: scale up 2->3", NOEWMA(-1, -1, T0, -1) },
	{ "alert: up uses up_step", &thr_step2, FRESH, 2, 0, U,
	  U, 4, "scale up 2->4", NOEWMA(-1, -1, T0, -1) },
	{ "alert: up step capped at max_replicas", &thr_step2, FRESH, 4, 0, U,
	  U, 5, "scale up 4->5", NOEWMA(-1, -1, T0, -1) },
	{ "alert: up inside cooldown holds", &thr, NOEWMA(-1, -1, T0 - 30 * S, -1), 3, 0, U,
	  H, 3, "alert asks up but cooldown 30s left: hold 3", NOEWMA(-1, -1, T0 - 30 * S, -1) },
	{ "alert: up at max_replicas", &thr, FRESH, 5, 0, U,
	  H, 5, "at max_replicas 5: hold 5", FRESH },
	{ "alert: up blocked by pending start", &thr, FRESH, 3, 1, U,
	  H, 3, "pending start (1 starting): hold 3", FRESH },
	{ "alert: up needs no window", &thr_win, FRESH, 2, 0, U,
	  U, 3, "scale up 2->3", NOEWMA(-1, -1, T0, -1) },
	{ "alert: up leaves the policy's windows alone", &thr_win,
	  ST(80, T0 - 5 * S, -1, -1, -1), 2, 0, U, U, 3, "scale up 2->3",
	  ST(80, T0 - 5 * S, -1, T0, -1) },
	{ "alert: up with target policy steps by up_step", &tgt, FRESH, 2, 0, U,
	  U, 3, "scale up 2->3", NOEWMA(-1, -1, T0, -1) },
	{ "alert: down steps and stamps", &thr, FRESH, 3, 0, D,
	  D, 2, "alert asks down: scale down 3->2", NOEWMA(-1, -1, -1, T0) },
	{ "alert: down uses down_step, floored at min", &thr_step2, FRESH, 2, 0, D,
	  D, 1, "scale down 2->1", NOEWMA(-1, -1, -1, T0) },
	{ "alert: down inside cooldown holds", &thr, NOEWMA(-1, -1, -1, T0 - 100 * S), 3, 0, D,
	  H, 3, "cooldown 200s left: hold 3", NOEWMA(-1, -1, -1, T0 - 100 * S) },
	{ "alert: down ignores the up cooldown", &thr, NOEWMA(-1, -1, T0 - 1 * S, -1), 3, 0, D,
	  D, 2, "scale down 3->2", NOEWMA(-1, -1, T0 - 1 * S, T0) },
	{ "alert: down at min_replicas", &thr, FRESH, 1, 0, D,
	  H, 1, "at min_replicas 1: hold 1", FRESH },
	{ "alert: down not blocked by pending start", &thr, FRESH, 3, 1, D,
	  D, 2, "scale down 3->2", NOEWMA(-1, -1, -1, T0) },
	{ "alert: hold asks nothing", &thr, FRESH, 3, 0, H,
	  H, 3, "alert asks hold: hold 3", FRESH },
	{ "alert: below min_replicas is corrected without a stamp", &thr, FRESH, 0, 0, D,
	  U, 1, "alert asks down; below min_replicas 1: scale up 0->1", FRESH },
	{ "alert: above max_replicas is corrected without a stamp", &thr, FRESH, 7, 0, U,
	  D, 5, "alert asks up; above max_replicas 5: scale down 7->5", FRESH },
};
/* clang-format on */

static void
run_alert_case(void **state)
{
	const struct alert_case *c = *state;
	struct decide_state st = c->before;
	struct decide_result out;

	memset(&out, 0x5a, sizeof out);
	decide_alert(c->p, &st, T0, c->current, c->starting, c->ask, &out);
	check_result(c->name, &out, c->dir, c->desired, c->reason);
	if (out.missing || !isnan(out.smoothed))
		fail_msg("%s: an alert carries no metric (missing %d, smoothed %g)", c->name,
		         out.missing, out.smoothed);
	check_state(c->name, &st, &c->after);
}

/* ---- scenarios: sequences through one state ----------------------------------------- */

enum step_kind { EVAL = 0, ALERT_UP, ALERT_DOWN };
#define FOLLOW (-1) /* current = the previous desired (the action took effect) */
#define GAP NAN     /* a missing sample */

struct step {
	int t_s;     /* seconds from the scenario's start */
	int current; /* FOLLOW or an explicit count */
	int starting;
	int desired;
	double value;
	const char *reason; /* NULL: not checked */
	enum step_kind kind;
};

/* A row reads: at t, value v with current/starting replicas -> desired, reason. */
#define AT(t, v, cur, start, want, why, k)                                                     \
	{                                                                                      \
		.t_s = (t), .current = (cur), .starting = (start), .desired = (want),          \
		.value = (v), .reason = (why), .kind = (k)                                     \
	}

struct scenario {
	const char *name;
	const struct decide_params *p;
	int initial;
	const struct step *steps;
	size_t n;
};

/* clang-format off */
#define SCEN(nm, params, init, arr) { (nm), (params), (init), (arr), N_OF(arr) }

static const struct step sc_band[] = {
	AT(0, 41, FOLLOW, 0, 3, "within", EVAL),
	AT(15, 74, FOLLOW, 0, 3, "within", EVAL),
	AT(30, 45, FOLLOW, 0, 3, NULL, EVAL),
	AT(45, 70, FOLLOW, 0, 3, NULL, EVAL),
	AT(60, 40, FOLLOW, 0, 3, NULL, EVAL),
	AT(75, 75, FOLLOW, 0, 3, NULL, EVAL),
	AT(90, 50, FOLLOW, 0, 3, NULL, EVAL),
	AT(400, 74.9, FOLLOW, 0, 3, NULL, EVAL),
	AT(800, 40.1, FOLLOW, 0, 3, "within", EVAL),
};

static const struct step sc_flap[] = {
	AT(0, 80, FOLLOW, 0, 2, "holding for 0s of 30s", EVAL),
	AT(15, 70, FOLLOW, 0, 2, "within", EVAL),
	AT(30, 80, FOLLOW, 0, 2, "holding for 0s of 30s", EVAL),
	AT(45, 70, FOLLOW, 0, 2, "within", EVAL),
	AT(60, 80, FOLLOW, 0, 2, "holding for 0s", EVAL),
	AT(75, 80, FOLLOW, 0, 2, "holding for 15s of 30s", EVAL),
	AT(90, 80, FOLLOW, 0, 3, "for 30s: scale up 2->3", EVAL),
};

static const struct step sc_spike[] = {
	AT(0, 50, FOLLOW, 0, 2, "within", EVAL),
	AT(15, 99, FOLLOW, 0, 2, "holding for 0s of 30s", EVAL),
	AT(30, 50, FOLLOW, 0, 2, "within", EVAL),
	AT(45, 50, FOLLOW, 0, 2, "within", EVAL),
	AT(60, 99, FOLLOW, 0, 2, "holding for 0s of 30s", EVAL),
};

/* up_for 30s, up cooldown 60s: one step per cooldown, the window is not held again. */
static const struct step sc_rise[] = {
	AT(0, 90, FOLLOW, 0, 1, "holding for 0s of 30s", EVAL),
	AT(15, 90, FOLLOW, 0, 1, "holding for 15s of 30s", EVAL),
	AT(30, 90, FOLLOW, 0, 2, "for 30s: scale up 1->2", EVAL),
	AT(45, 90, FOLLOW, 0, 2, "cooldown 45s left", EVAL),
	AT(75, 90, FOLLOW, 0, 2, "cooldown 15s left", EVAL),
	AT(90, 90, FOLLOW, 0, 3, "for 90s: scale up 2->3", EVAL),
	AT(105, 90, FOLLOW, 0, 3, "cooldown", EVAL),
	AT(150, 90, FOLLOW, 0, 4, "scale up 3->4", EVAL),
	AT(210, 90, FOLLOW, 0, 5, "scale up 4->5", EVAL),
	AT(225, 90, FOLLOW, 0, 5, "at max_replicas 5: hold 5", EVAL),
	AT(270, 90, FOLLOW, 0, 5, "at max_replicas 5: hold 5", EVAL),
	AT(900, 90, FOLLOW, 0, 5, "at max_replicas", EVAL),
};

/* down_for 60s, down cooldown 300s. */
static const struct step sc_recover[] = {
	AT(0, 10, FOLLOW, 0, 5, "holding for 0s of 60s", EVAL),
	AT(30, 10, FOLLOW, 0, 5, "holding for 30s of 60s", EVAL),
	AT(60, 10, FOLLOW, 0, 4, "scale down 5->4", EVAL),
	AT(120, 10, FOLLOW, 0, 4, "cooldown 240s left", EVAL),
	AT(360, 10, FOLLOW, 0, 3, "scale down 4->3", EVAL),
	AT(660, 10, FOLLOW, 0, 2, "scale down 3->2", EVAL),
	AT(960, 10, FOLLOW, 0, 1, "scale down 2->1", EVAL),
	AT(1260, 10, FOLLOW, 0, 1, "at min_replicas 1: hold 1", EVAL),
	AT(5000, 10, FOLLOW, 0, 1, "at min_replicas", EVAL),
};

static const struct step sc_gap[] = {
	AT(0, 10, FOLLOW, 0, 3, "holding for 0s of 60s", EVAL),
	AT(30, 10, FOLLOW, 0, 3, "holding for 30s of 60s", EVAL),
	AT(45, GAP, FOLLOW, 0, 3, "missing data (value NaN): hold 3", EVAL),
	AT(60, 10, FOLLOW, 0, 3, "holding for 0s of 60s", EVAL),    /* would have stepped */
	AT(90, 10, FOLLOW, 0, 3, "holding for 30s of 60s", EVAL),
	AT(105, GAP, FOLLOW, 0, 3, "missing data", EVAL),
	AT(120, 10, FOLLOW, 0, 3, "holding for 0s", EVAL),
	AT(180, 10, FOLLOW, 0, 2, "scale down 3->2", EVAL),
};

static const struct step sc_pending[] = {
	AT(0, 90, FOLLOW, 0, 3, "scale up 2->3", EVAL),
	AT(60, 90, 3, 1, 3, "pending start (1 starting)", EVAL),
	AT(70, 90, 3, 1, 3, "pending start", EVAL),
	AT(75, 90, 3, 0, 4, "scale up 3->4", EVAL),         /* healthy now: steps at once */
	AT(80, 10, 4, 1, 4, "holding for 0s of 60s", EVAL),
	AT(140, 10, 4, 1, 3, "scale down 4->3", EVAL),      /* a start does not block down */
};

static const struct step sc_alerts[] = {
	AT(0, 0, FOLLOW, 0, 3, "alert asks up: scale up 2->3", ALERT_UP),
	AT(10, 0, FOLLOW, 0, 3, "cooldown 50s left", ALERT_UP),         /* re-sent: no step */
	AT(30, 0, FOLLOW, 0, 3, "cooldown 30s left", ALERT_UP),
	AT(40, 90, FOLLOW, 0, 3, "cooldown 20s left", EVAL),            /* the stamp is shared */
	AT(60, 0, 4, 1, 4, "pending start", ALERT_UP),
	AT(61, 0, 4, 0, 5, "scale up 4->5", ALERT_UP),
	AT(200, 0, FOLLOW, 0, 5, "at max_replicas 5", ALERT_UP),
	AT(210, 0, FOLLOW, 0, 4, "alert asks down: scale down 5->4", ALERT_DOWN),
	AT(220, 0, FOLLOW, 0, 4, "cooldown", ALERT_DOWN),
	AT(510, 0, FOLLOW, 0, 3, "scale down 4->3", ALERT_DOWN),
	AT(810, 0, FOLLOW, 0, 2, NULL, ALERT_DOWN),
	AT(1110, 0, FOLLOW, 0, 1, NULL, ALERT_DOWN),
	AT(1410, 0, FOLLOW, 0, 1, "at min_replicas 1", ALERT_DOWN),
	AT(1420, 0, 0, 0, 1, "below min_replicas", ALERT_DOWN),
};

static const struct step sc_target[] = {
	AT(0, 90, FOLLOW, 0, 3, "ceil(2*1.50)=3: scale up 2->3", EVAL),
	AT(15, 90, FOLLOW, 0, 3, "ceil(3*1.50)=5 but cooldown 45s left", EVAL),
	AT(60, 80, FOLLOW, 0, 4, "scale up 3->4", EVAL),
	AT(120, 60, FOLLOW, 0, 4, "within tolerance", EVAL),
	AT(180, 30, FOLLOW, 0, 2, "scale down 4->2", EVAL),
	AT(240, 20, FOLLOW, 0, 2, "cooldown 240s left", EVAL),
	AT(480, 20, FOLLOW, 0, 1, "scale down 2->1", EVAL),
	AT(600, GAP, FOLLOW, 0, 1, "missing data", EVAL),
};

static const struct step sc_pred_ramp[] = {
	AT(0, 30, FOLLOW, 0, 2, "level 30.0 trend +0.00/s horizon 30s forecast 30.0; target: 30.0/60.0=0.50, ceil(2*0.50)=1 but holding for 0s of 30s: hold 2", EVAL),
	AT(15, 30, FOLLOW, 0, 2, "level 30.0 trend +0.00/s horizon 30s forecast 30.0; target: 30.0/60.0=0.50, ceil(2*0.50)=1 but holding for 15s of 30s: hold 2", EVAL),
	AT(30, 36, FOLLOW, 0, 2, "level 33.0 trend +0.06/s horizon 30s forecast 34.8; target: 36.0/60.0=0.60, ceil(2*0.60)=2: hold 2", EVAL),
	AT(45, 42, FOLLOW, 0, 2, "level 38.0 trend +0.14/s horizon 30s forecast 42.2; target: 42.0/60.0=0.70, ceil(2*0.70)=2: hold 2", EVAL),
	AT(60, 48, FOLLOW, 0, 2, "level 44.0 trend +0.22/s horizon 30s forecast 50.6; target: 48.0/60.0=0.80, ceil(2*0.80)=2: hold 2", EVAL),
	AT(75, 54, FOLLOW, 0, 2, "level 50.7 trend +0.29/s horizon 30s forecast 59.3; target: 54.0/60.0=0.90 within tolerance 0.10: hold 2", EVAL),
	AT(90, 60, FOLLOW, 0, 3, "level 57.5 trend +0.34/s horizon 30s forecast 67.6; forecast: 67.6/60.0=1.13, ceil(2*1.13)=3: scale up 2->3", EVAL),
	AT(105, 66, FOLLOW, 0, 4, "level 64.3 trend +0.37/s horizon 30s forecast 75.4; forecast: 75.4/60.0=1.26, ceil(3*1.26)=4: scale up 3->4", EVAL),
	AT(120, 72, FOLLOW, 0, 6, "level 70.9 trend +0.39/s horizon 30s forecast 82.7; forecast: 82.7/60.0=1.38, ceil(4*1.38)=6: scale up 4->6", EVAL),
	AT(135, 78, FOLLOW, 0, 9, "level 77.4 trend +0.41/s horizon 30s forecast 89.6; forecast: 89.6/60.0=1.49, ceil(6*1.49)=9: scale up 6->9", EVAL),
	AT(150, 84, FOLLOW, 0, 10, "level 83.7 trend +0.41/s horizon 30s forecast 96.0; forecast: 96.0/60.0=1.60, ceil(9*1.60)=15, clamped to 10: scale up 9->10", EVAL),
	AT(165, 90, FOLLOW, 0, 10, "level 89.9 trend +0.41/s horizon 30s forecast 102.3; forecast: 102.3/60.0=1.70, ceil(10*1.70)=18, clamped to 10 but at max_replicas 10: hold 10", EVAL),
};
static const struct step sc_pred_ramp_tgt[] = {
	AT(0, 30, FOLLOW, 0, 2, "target: 30.0/60.0=0.50, ceil(2*0.50)=1 but holding for 0s of 30s: hold 2", EVAL),
	AT(15, 30, FOLLOW, 0, 2, "target: 30.0/60.0=0.50, ceil(2*0.50)=1 but holding for 15s of 30s: hold 2", EVAL),
	AT(30, 36, FOLLOW, 0, 2, "target: 36.0/60.0=0.60, ceil(2*0.60)=2: hold 2", EVAL),
	AT(45, 42, FOLLOW, 0, 2, "target: 42.0/60.0=0.70, ceil(2*0.70)=2: hold 2", EVAL),
	AT(60, 48, FOLLOW, 0, 2, "target: 48.0/60.0=0.80, ceil(2*0.80)=2: hold 2", EVAL),
	AT(75, 54, FOLLOW, 0, 2, "target: 54.0/60.0=0.90 within tolerance 0.10: hold 2", EVAL),
	AT(90, 60, FOLLOW, 0, 2, "target: 60.0/60.0=1.00 within tolerance 0.10: hold 2", EVAL),
	AT(105, 66, FOLLOW, 0, 2, "target: 66.0/60.0=1.10 within tolerance 0.10: hold 2", EVAL),
	AT(120, 72, FOLLOW, 0, 3, "target: 72.0/60.0=1.20, ceil(2*1.20)=3: scale up 2->3", EVAL),
	AT(135, 78, FOLLOW, 0, 4, "target: 78.0/60.0=1.30, ceil(3*1.30)=4: scale up 3->4", EVAL),
	AT(150, 84, FOLLOW, 0, 6, "target: 84.0/60.0=1.40, ceil(4*1.40)=6: scale up 4->6", EVAL),
	AT(165, 90, FOLLOW, 0, 9, "target: 90.0/60.0=1.50, ceil(6*1.50)=9: scale up 6->9", EVAL),
};
static const struct step sc_pred_spike[] = {
	AT(0, 60, FOLLOW, 0, 2, "level 60.0 trend +0.00/s horizon 30s forecast 60.0; target: 60.0/60.0=1.00 within tolerance 0.10: hold 2", EVAL),
	AT(15, 60, FOLLOW, 0, 2, "level 60.0 trend +0.00/s horizon 30s forecast 60.0; target: 60.0/60.0=1.00 within tolerance 0.10: hold 2", EVAL),
	AT(30, 150, FOLLOW, 0, 5, "level 105.0 trend +0.90/s horizon 30s forecast 132.0; target: 150.0/60.0=2.50, ceil(2*2.50)=5: scale up 2->5", EVAL),
	AT(45, 60, FOLLOW, 0, 5, "level 89.2 trend +0.31/s horizon 30s forecast 98.7; target: 60.0/60.0=1.00 within tolerance 0.10: hold 5", EVAL),
	AT(60, 60, FOLLOW, 0, 5, "level 77.0 trend -0.02/s horizon 30s forecast 76.2; target: 60.0/60.0=1.00 within tolerance 0.10: hold 5", EVAL),
	AT(75, 60, FOLLOW, 0, 5, "level 68.3 trend -0.19/s horizon 30s forecast 62.6; target: 60.0/60.0=1.00 within tolerance 0.10: hold 5", EVAL),
	AT(90, 60, FOLLOW, 0, 5, "level 62.7 trend -0.25/s horizon 30s forecast 55.4; target: 60.0/60.0=1.00 within tolerance 0.10: hold 5", EVAL),
	AT(105, 60, FOLLOW, 0, 5, "level 59.5 trend -0.24/s horizon 30s forecast 52.4; target: 60.0/60.0=1.00 within tolerance 0.10: hold 5", EVAL),
	AT(120, 60, FOLLOW, 0, 5, "level 58.0 trend -0.20/s horizon 30s forecast 52.1; target: 60.0/60.0=1.00 within tolerance 0.10: hold 5", EVAL),
	AT(135, 60, FOLLOW, 0, 5, "level 57.5 trend -0.15/s horizon 30s forecast 53.1; target: 60.0/60.0=1.00 within tolerance 0.10: hold 5", EVAL),
	AT(150, 60, FOLLOW, 0, 5, "level 57.7 trend -0.10/s horizon 30s forecast 54.7; target: 60.0/60.0=1.00 within tolerance 0.10: hold 5", EVAL),
	AT(165, 60, FOLLOW, 0, 5, "level 58.1 trend -0.06/s horizon 30s forecast 56.2; target: 60.0/60.0=1.00 within tolerance 0.10: hold 5", EVAL),
};
static const struct step sc_pred_gap[] = {
	AT(0, 30, FOLLOW, 0, 2, "level 30.0 trend +0.00/s horizon 30s forecast 30.0; target: 30.0/60.0=0.50, ceil(2*0.50)=1 but holding for 0s of 30s: hold 2", EVAL),
	AT(15, 40, FOLLOW, 0, 2, "level 35.0 trend +0.33/s horizon 30s forecast 45.0; target: 40.0/60.0=0.67, ceil(2*0.67)=2: hold 2", EVAL),
	AT(30, 50, FOLLOW, 0, 2, "level 45.0 trend +0.43/s horizon 30s forecast 58.0; target: 50.0/60.0=0.83, ceil(2*0.83)=2: hold 2", EVAL),
	AT(45, GAP, FOLLOW, 0, 2, "missing data (value NaN): hold 2", EVAL),
	AT(60, 55, FOLLOW, 0, 2, "level 55.0 trend +0.00/s horizon 30s forecast 55.0; target: 55.0/60.0=0.92 within tolerance 0.10: hold 2", EVAL),
	AT(75, 60, FOLLOW, 0, 2, "level 57.5 trend +0.17/s horizon 30s forecast 62.5; target: 60.0/60.0=1.00 within tolerance 0.10: hold 2", EVAL),
	AT(90, GAP, FOLLOW, 0, 2, "missing data (value NaN): hold 2", EVAL),
	AT(105, GAP, FOLLOW, 0, 2, "missing data (value NaN): hold 2", EVAL),
	AT(120, 56, FOLLOW, 0, 2, "level 56.0 trend +0.00/s horizon 30s forecast 56.0; target: 56.0/60.0=0.93 within tolerance 0.10: hold 2", EVAL),
};


static struct scenario scenarios[] = {
	SCEN("predictive: a ramp scales up a horizon (30s) before target does", &pred, 2, sc_pred_ramp),
	SCEN("predictive: the same ramp under target, for comparison", &pred_as_tgt, 2, sc_pred_ramp_tgt),
	SCEN("predictive: a spike scales once, its passing asks for nothing more", &pred, 2, sc_pred_spike),
	SCEN("predictive: missing data resets the trend", &pred, 2, sc_pred_gap),
	SCEN("scenario: a metric oscillating inside the band never scales", &thr_win, 3, sc_band),
	SCEN("scenario: flapping across up_threshold restarts the window", &thr_win, 2, sc_flap),
	SCEN("scenario: a one-sample spike does not scale with scale_up_for", &thr_win, 2, sc_spike),
	SCEN("scenario: a sustained rise steps once per cooldown up to max", &thr_win, 1, sc_rise),
	SCEN("scenario: recovery steps down to min", &thr, 5, sc_recover),
	SCEN("scenario: missing data mid-fall restarts the down window", &thr, 3, sc_gap),
	SCEN("scenario: pending starts block up steps but not down", &thr, 2, sc_pending),
	SCEN("scenario: alerts step, dedupe in cooldown, respect bounds", &thr, 2, sc_alerts),
	SCEN("scenario: target policy follows load up and down", &tgt, 2, sc_target),
};
/* clang-format on */

static void
run_scenario(void **state)
{
	const struct scenario *sc = *state;
	struct decide_state st;
	struct decide_result out;
	int cur = sc->initial;
	char where[160];
	enum decide_dir want;

	decide_state_init(&st);
	for (size_t i = 0; i < sc->n; i++) {
		const struct step *s = &sc->steps[i];
		int64_t now = T0 + s->t_s * S;

		if (s->current != FOLLOW)
			cur = s->current;
		(void)snprintf(where, sizeof where, "%s, step %zu (t=%ds)", sc->name, i,
		               s->t_s);
		if (s->kind == EVAL) {
			struct decide_input in = {now, true, s->value, now, cur, s->starting};

			decide_eval(sc->p, &st, &in, &out);
		} else {
			decide_alert(sc->p, &st, now, cur, s->starting,
			             s->kind == ALERT_UP ? DECIDE_UP : DECIDE_DOWN, &out);
		}
		if (s->desired > cur)
			want = DECIDE_UP;
		else if (s->desired < cur)
			want = DECIDE_DOWN;
		else
			want = DECIDE_HOLD;
		check_result(where, &out, want, s->desired, s->reason);
		cur = out.desired;
	}
}

/* ---- predictive: properties over whole runs ------------------------------------------ */

/* A level falling away: the forecast asks for fewer replicas than the current value
 * (inside the band) does, and the count holds: no scale-down on a forecast. */
static void
test_pred_no_down_on_forecast(void **state)
{
	static const double v[] = { 66, 56, 54.5 };
	struct decide_state st;
	struct decide_result out;

	decide_state_init(&st);
	for (size_t i = 0; i < N_OF(v); i++) {
		struct decide_input in = { T0 + (int64_t)i * 15 * S, true, v[i],
			T0 + (int64_t)i * 15 * S, 4, 0 };

		decide_eval(&pred, &st, &in, &out);
		check_result("falling forecast", &out, DECIDE_HOLD, 4, "within tolerance");
		assert_true(out.predicted);
	}
	/* ceil(4 * forecast / 60) < 4: the forecast alone would have scaled down */
	assert_true(out.forecast < 45.0);
	assert_true(out.trend_per_s < 0);
	assert_int_equal(out.horizon_ms, 30 * S);
}

/* Flat load with noise of +-4 around the target (inside the 10% band) for 2,000
 * evaluations: the count never moves, up or down. */
static void
test_pred_flat_noise_holds(void **state)
{
	struct decide_state st;
	struct decide_result out;
	uint32_t seed = 99;

	decide_state_init(&st);
	for (int i = 0; i < 2000; i++) {
		int64_t now = T0 + (int64_t)i * 15 * S;
		double v = 60.0 + (double)(((seed = seed * 1664525u + 1013904223u) >> 24) % 9) - 4;
		struct decide_input in = { now, true, v, now, 3, 0 };

		decide_eval(&pred, &st, &in, &out);
		if (out.desired != 3)
			fail_msg("step %d: value %.0f moved the count: %s", i, v, out.reason);
	}
}

/* The reactive count is a floor: whatever the trend, predictive never wants fewer
 * replicas than target tracking on the same samples, and only more when rising. */
static void
test_pred_at_least_target(void **state)
{
	struct decide_state sp, stt;
	struct decide_result op, ot;
	uint32_t seed = 4242;
	double v = 60;

	decide_state_init(&sp);
	decide_state_init(&stt);
	for (int i = 0; i < 5000; i++) {
		int64_t now = T0 + (int64_t)i * 15 * S;
		int cur = 1 + (int)((seed = seed * 1664525u + 1013904223u) >> 16) % 10;
		struct decide_input in;

		v += (double)(((seed = seed * 1664525u + 1013904223u) >> 24) % 21) - 10;
		if (v < 0)
			v = 0;
		in = (struct decide_input){ now, true, v, now, cur, 0 };
		/* fresh windows and cooldowns each time: compare the counts asked for */
		sp.up_since = sp.down_since = sp.last_up = sp.last_down = -1;
		stt = sp;
		decide_eval(&pred, &sp, &in, &op);
		decide_eval(&pred_as_tgt, &stt, &in, &ot);
		if (op.wanted < ot.wanted)
			fail_msg("step %d: predictive wants %d < target's %d: %s", i, op.wanted,
			         ot.wanted, op.reason);
		if (op.wanted > ot.wanted && !(op.trend_per_s > 0))
			fail_msg("step %d: more than target without a rising trend: %s", i,
			         op.reason);
	}
}

/* ---- several metrics (decide_eval_multi) -------------------------------------------- */

struct multi_case {
	const char *name;
	const struct decide_params *p; /* docker_cpu's; docker_memory's thresholds 80/50,
	                                * target 30 */
	struct decide_state cpu_st, mem_st;
	struct decide_input cpu_in, mem_in;
	enum decide_dir dir;
	int desired;
	bool missing;
	const char *metric;
	const char *reason;
	int64_t last_up_after, last_down_after; /* in both states */
};

/* clang-format off */
static const struct multi_case multi_cases[] = {
	{ "multi: cpu above, memory inside: cpu steps", &thr, FRESH, FRESH, IN(90, 2, 0),
	  IN(60, 2, 0), U, 3, false, "docker_cpu", "docker_cpu: value 90.0 > up 75.0: scale up 2->3",
	  T0, -1 },
	{ "multi: memory above its own threshold wins", &thr, FRESH, FRESH, IN(50, 2, 0),
	  IN(85, 2, 0), U, 3, false, "docker_memory", "docker_memory: value 85.0 > up 80.0: scale up 2->3",
	  T0, -1 },
	{ "multi: the largest target count wins", &tgt, FRESH, FRESH, IN(90, 2, 0),
	  IN(60, 2, 0), U, 4, false, "docker_memory", "docker_memory: target: 60.0/30.0=2.00, ceil(2*2.00)=4",
	  T0, -1 },
	{ "multi: both down: the smaller step down wins", &tgt, FRESH, FRESH, IN(15, 4, 0),
	  IN(15, 4, 0), D, 2, false, "docker_memory", "docker_memory: target: 15.0/30.0=0.50, ceil(4*0.50)=2: scale down 4->2",
	  -1, T0 },
	{ "multi: memory missing blocks cpu's scale-down", &thr_step2, FRESH, FRESH, IN(10, 3, 0),
	  NOVAL(3), H, 3, true, "docker_memory", "docker_memory: missing data (no sample): hold 3",
	  -1, -1 },
	{ "multi: memory missing does not block cpu's scale-up", &thr, FRESH, FRESH, IN(90, 3, 0),
	  NOVAL(3), U, 4, true, "docker_cpu", "docker_cpu: value 90.0 > up 75.0: scale up 3->4",
	  T0, -1 },
	{ "multi: both missing hold", &thr, FRESH, FRESH, NOVAL(3), NOVAL(3), H, 3, true,
	  "docker_cpu", "docker_cpu: missing data (no sample): hold 3", -1, -1 },
	{ "multi: the service's cooldown binds every metric", &thr, ST(50, -1, -1, T0 - 10 * S, -1),
	  FRESH, IN(50, 2, 0), IN(85, 2, 0), H, 2, false, "docker_memory",
	  "docker_memory: value 85.0 > up 80.0 but cooldown 50s left: hold 2", T0 - 10 * S, -1 },
	{ "multi: an up held by a pending start outbids a down", &thr_step2, FRESH, FRESH,
	  IN(90, 3, 1), IN(10, 3, 1), H, 3, false, "docker_cpu",
	  "docker_cpu: value 90.0 > up 75.0 but pending start (1 starting): hold 3", -1, -1 },
};
/* clang-format on */

static void
test_multi(void **state)
{
	for (size_t i = 0; i < N_OF(multi_cases); i++) {
		const struct multi_case *c = &multi_cases[i];
		struct decide_state cst = c->cpu_st, mst = c->mem_st;
		struct decide_metric m[2] = {
			{ "docker_cpu", *c->p, &cst, c->cpu_in },
			{ "docker_memory", *c->p, &mst, c->mem_in },
		};
		struct decide_result out;

		m[1].p.up_threshold = 80;
		m[1].p.down_threshold = 50;
		m[1].p.target = 30;
		decide_eval_multi(m, 2, &out);
		check_result(c->name, &out, c->dir, c->desired, c->reason);
		if (out.missing != c->missing)
			fail_msg("%s: missing is %d", c->name, out.missing);
		if (out.metric == NULL || strcmp(out.metric, c->metric) != 0)
			fail_msg("%s: metric %s, want %s", c->name, out.metric ? out.metric : "-",
			         c->metric);
		check_i64(c->name, "cpu last_up", cst.last_up, c->last_up_after);
		check_i64(c->name, "mem last_up", mst.last_up, c->last_up_after);
		check_i64(c->name, "cpu last_down", cst.last_down, c->last_down_after);
		check_i64(c->name, "mem last_down", mst.last_down, c->last_down_after);
	}
	/* one metric: its own reason, unprefixed */
	{
		struct decide_state st = FRESH;
		struct decide_metric m = { "docker_cpu", thr, &st, IN(90, 2, 0) };
		struct decide_result out;

		decide_eval_multi(&m, 1, &out);
		check_result("multi: one metric", &out, U, 3, NULL);
		assert_string_equal(out.reason, "value 90.0 > up 75.0: scale up 2->3");
		assert_string_equal(out.metric, "docker_cpu");
	}
}

/* ---- the small functions --------------------------------------------------------------- */

static void
test_state_init(void **state)
{
	struct decide_state st;

	memset(&st, 0x7f, sizeof st);
	decide_state_init(&st);
	assert_false(st.have_ewma);
	assert_int_equal(st.up_since, -1);
	assert_int_equal(st.down_since, -1);
	assert_int_equal(st.last_up, -1);
	assert_int_equal(st.last_down, -1);
}

static void
test_dir_name(void **state)
{
	assert_string_equal(decide_dir_name(DECIDE_HOLD), "hold");
	assert_string_equal(decide_dir_name(DECIDE_UP), "up");
	assert_string_equal(decide_dir_name(DECIDE_DOWN), "down");
	assert_string_equal(decide_dir_name((enum decide_dir)7), "hold");
}

struct cooldown_case {
	int64_t last_up, last_down, now;
	enum decide_dir dir;
	int64_t left;
};

static void
test_cooldown_left(void **state)
{
	/* clang-format off */
	static const struct cooldown_case cases[] = {
		{ -1, -1, T0, DECIDE_UP, 0 },                   /* never stepped */
		{ -1, -1, T0, DECIDE_DOWN, 0 },
		{ T0, T0, T0, DECIDE_UP, 60 * S },              /* just stepped */
		{ T0, T0, T0, DECIDE_DOWN, 300 * S },
		{ T0 - 20 * S, -1, T0, DECIDE_UP, 40 * S },
		{ -1, T0 - 20 * S, T0, DECIDE_DOWN, 280 * S },
		{ T0 - 60 * S, -1, T0, DECIDE_UP, 0 },          /* exactly over */
		{ T0 - 61 * S, -1, T0, DECIDE_UP, 0 },
		{ T0 - 1 * S, -1, T0, DECIDE_DOWN, 0 },          /* per direction */
		{ T0, T0, T0, DECIDE_HOLD, 0 },
		{ T0 + 10 * S, -1, T0, DECIDE_UP, 60 * S },      /* clock stepped back: capped */
	};
	/* clang-format on */

	struct decide_state st;

	for (size_t i = 0; i < N_OF(cases); i++) {
		decide_state_init(&st);
		st.last_up = cases[i].last_up;
		st.last_down = cases[i].last_down;
		if (decide_cooldown_left(&thr, &st, cases[i].now, cases[i].dir) !=
		    cases[i].left)
			fail_msg("cooldown case %zu: got %lld, want %lld", i,
			         (long long)decide_cooldown_left(&thr, &st, cases[i].now,
			                                         cases[i].dir),
			         (long long)cases[i].left);
	}
}

/* Extremes must truncate the reason, never overflow it. */
static void
test_reason_extremes(void **state)
{
	static const double values[] = {DBL_MAX, -DBL_MAX, 1e300, -1e300, DBL_MIN, 0.0};
	struct decide_params p = tgt;
	struct decide_state st;
	struct decide_result out;

	p.target = DBL_MIN;
	p.up_threshold = DBL_MAX;
	p.down_threshold = -DBL_MAX;
	for (int pol = 0; pol < 2; pol++) {
		p.policy = pol ? POLICY_TARGET : POLICY_THRESHOLD;
		for (size_t i = 0; i < N_OF(values); i++) {
			struct decide_input in = {T0, true, values[i], T0, 3, 0};

			decide_state_init(&st);
			decide_eval(&p, &st, &in, &out);
			assert_non_null(memchr(out.reason, '\0', sizeof out.reason));
			assert_true(out.reason[0] != '\0');
			assert_in_range(out.desired, p.min_replicas, p.max_replicas);
		}
	}
}

/* Invariants over a long pseudo-random run: in bounds, dir agrees with desired, missing
 * data never lowers an in-bounds count, a threshold step is at most one step. */
static uint32_t
lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

static void
test_invariants(void **state)
{
	static const struct decide_params *const presets[] = {
	    &thr,      &thr_win, &thr_step2, &thr_ewma, &thr_stale,
	    &thr_min0, &tgt,     &tgt_win,   &tgt_min0,
	};
	static const double odd[] = {NAN, INFINITY, -INFINITY, 1e300, -1e300, 0.0};
	uint32_t seed = 12345;

	for (size_t k = 0; k < N_OF(presets); k++) {
		const struct decide_params *p = presets[k];
		struct decide_state st;
		struct decide_result out;
		int64_t now = T0;
		int cur = p->min_replicas;

		decide_state_init(&st);
		for (int i = 0; i < 20000; i++) {
			struct decide_input in;
			uint32_t r = lcg(&seed);

			now += (int64_t)(lcg(&seed) % 40000);
			in.now_ms = now;
			in.have_value = r % 17 != 0;
			in.value = r % 23 == 0 ? odd[r % N_OF(odd)]
			                       : (double)(lcg(&seed) % 12000) / 100.0;
			in.sampled_ms = now - (int64_t)(lcg(&seed) % 40000);
			in.starting = lcg(&seed) % 5 == 0 ? 1 : 0;
			if (lcg(&seed) % 29 == 0)
				cur = (int)(lcg(&seed) % (unsigned)(p->max_replicas + 4));
			in.current = cur;
			if (lcg(&seed) % 7 == 0)
				decide_alert(p, &st, now, cur, in.starting,
				             (enum decide_dir)(lcg(&seed) % 3), &out);
			else
				decide_eval(p, &st, &in, &out);

			assert_in_range(out.desired, p->min_replicas, p->max_replicas);
			assert_non_null(memchr(out.reason, '\0', sizeof out.reason));
			assert_true(out.reason[0] != '\0');
			assert_int_equal(out.dir == DECIDE_UP, out.desired > cur);
			assert_int_equal(out.dir == DECIDE_DOWN, out.desired < cur);
			if (out.missing)
				assert_true(isnan(out.smoothed));
			if (out.missing && cur <= p->max_replicas)
				assert_true(out.dir != DECIDE_DOWN);
			if (out.dir == DECIDE_UP && cur >= p->min_replicas && in.starting > 0)
				fail_msg("%s: stepped up past a pending start: %s",
				         "invariants", out.reason);
			if (p->policy == POLICY_THRESHOLD && cur >= p->min_replicas &&
			    cur <= p->max_replicas) {
				assert_true(out.desired - cur <= p->up_step);
				assert_true(cur - out.desired <= p->down_step);
			}
			cur = out.desired;
		}
	}
}

int
main(void)
{
	static struct CMUnitTest
	    tests[N_OF(eval_cases) + N_OF(alert_cases) + N_OF(scenarios) + 12];
	size_t n = 0;

	for (size_t i = 0; i < N_OF(eval_cases); i++)
		tests[n++] = (struct CMUnitTest){eval_cases[i].name, run_eval_case, NULL, NULL,
		                                 &eval_cases[i]};
	for (size_t i = 0; i < N_OF(alert_cases); i++)
		tests[n++] = (struct CMUnitTest){alert_cases[i].name, run_alert_case, NULL,
		                                 NULL, &alert_cases[i]};
	for (size_t i = 0; i < N_OF(scenarios); i++)
		tests[n++] = (struct CMUnitTest){scenarios[i].name, run_scenario, NULL, NULL,
		                                 &scenarios[i]};
	tests[n++] =
	    (struct CMUnitTest){"decide_state_init", test_state_init, NULL, NULL, NULL};
	tests[n++] = (struct CMUnitTest){"decide_dir_name", test_dir_name, NULL, NULL, NULL};
	tests[n++] =
	    (struct CMUnitTest){"decide_cooldown_left", test_cooldown_left, NULL, NULL, NULL};
	tests[n++] =
	    (struct CMUnitTest){"reason extremes", test_reason_extremes, NULL, NULL, NULL};
	tests[n++] = (struct CMUnitTest){"invariants", test_invariants, NULL, NULL, NULL};
	tests[n++] = (struct CMUnitTest){"several metrics", test_multi, NULL, NULL, NULL};
	tests[n++] = (struct CMUnitTest){"predictive: no scale-down on a forecast",
	                                 test_pred_no_down_on_forecast, NULL, NULL, NULL};
	tests[n++] = (struct CMUnitTest){"predictive: flat noisy load never oscillates",
	                                 test_pred_flat_noise_holds, NULL, NULL, NULL};
	tests[n++] = (struct CMUnitTest){"predictive: never fewer than target tracking",
	                                 test_pred_at_least_target, NULL, NULL, NULL};
	return _cmocka_run_group_tests("decide", tests, n, NULL, NULL);
}
