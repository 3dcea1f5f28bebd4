/* explain.h: why a service is at its count and what it does next, in words (doc/api.md,
 * "Pause and manual scale", GET /api/v1/services/{name}/explain). */
#ifndef DOCKSCALE_EXPLAIN_H
#define DOCKSCALE_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decide.h"

#define EXPLAIN_LINES 12
#define EXPLAIN_LINE_MAX 200

/* A service's state as the policy sees it; filled from the service (api_ops.c). */
struct explain_in {
	int current, desired, ready, starting;
	int min, max;
	const char *metric;       /* the deciding metric's name; NULL: metric = none */
	bool have_value;
	double value, smoothed;   /* smoothed: NaN when none yet */
	const char *missing_why;  /* !have_value: why */
	enum decide_policy_kind policy;
	double up, down, target, tolerance;
	int64_t up_held_ms;       /* how long the up condition has held; -1: it does not */
	int64_t down_held_ms;
	int64_t up_for_ms, down_for_ms;
	int64_t cooldown_up_left_ms, cooldown_down_left_ms;
	int64_t backoff_left_ms;
	int start_failures;
	bool paused;
	int paused_replicas;
	const char *manual_hold;  /* the manual-scale guard's reason, NULL: none */
	const char *last_reason;  /* the last decision's, NULL: none */
	const char *traffic;      /* the balancer's figures in words (doc/traffic.md), NULL:
	                           * none */
	const char *schedule;     /* the scheduled window in force and the next change
	                           * (doc/scaling.md, "Scheduled bounds"), NULL: none */
	const char *sleep;        /* asleep or awake, and why (doc/sleeping.md), NULL: none */
	const char *headroom;     /* a start blocked for host headroom, in words
	                           * (doc/headroom.md), NULL: none */
};

struct explain_out {
	enum decide_dir next;     /* what the next pass does if nothing changes */
	char blocking[EXPLAIN_LINE_MAX]; /* what keeps it from moving; "" when nothing */
	char lines[EXPLAIN_LINES][EXPLAIN_LINE_MAX];
	size_t nlines;
};

void explain_build(const struct explain_in *in, struct explain_out *out);
/* {"service", "current", "desired", "next", "blocking", "lines", ...structured} */
struct cJSON;
struct cJSON *explain_json(const char *service, const struct explain_in *in,
    const struct explain_out *out);

#endif
