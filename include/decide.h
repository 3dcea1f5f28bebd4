/* decide.h: the pure scaling policy (numbers in, a desired count and a reason out). */
#ifndef DOCKSCALE_DECIDE_H
#define DOCKSCALE_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum decide_policy_kind { POLICY_THRESHOLD = 0, POLICY_TARGET = 1, POLICY_PREDICTIVE = 2 };
enum decide_dir { DECIDE_HOLD = 0, DECIDE_UP = 1, DECIDE_DOWN = 2 };

/* Everything the policy needs from a service's configuration. */
struct decide_params {
	enum decide_policy_kind policy;
	double up_threshold;    /* threshold: value > this -> up */
	double down_threshold;  /* threshold: value < this -> down */
	double target;          /* target: desired = ceil(current * value / target) */
	double tolerance;       /* target: hold while |value/target - 1| <= this (0.1) */
	int64_t up_for_ms;      /* condition must hold this long before acting */
	int64_t down_for_ms;
	int up_step;
	int down_step;
	int64_t up_cooldown_ms; /* no further step in that direction before it passes */
	int64_t down_cooldown_ms;
	double smoothing;       /* EWMA alpha in (0,1]; 1.0 = none */
	int64_t stale_ms;       /* a sample older than this is missing data; 0 = never */
	int min_replicas;
	int max_replicas;
	/* predictive (doc/scaling.md, "Predictive policy"): Holt's level and trend smoothing,
	 * and how far ahead to forecast (the caller resolves the automatic horizon, 0). */
	double predict_alpha;
	double predict_beta;
	int64_t horizon_ms;
};

/* Per-service memory between evaluations; zero-initialise with decide_state_init(). */
struct decide_state {
	bool have_ewma;
	double ewma;
	int64_t up_since;       /* when the up condition started to hold; -1 = not holding */
	int64_t down_since;
	int64_t last_up;        /* when the last up step was taken; -1 = never */
	int64_t last_down;
	/* predictive: Holt's double exponential smoothing */
	bool have_level;        /* a level exists (false after missing data) */
	bool have_trend;        /* two samples since: the trend means something */
	double level;
	double trend;           /* per millisecond */
	int64_t level_at;       /* when the level was last updated */
};

struct decide_input {
	int64_t now_ms;         /* monotonic clock, supplied by the caller */
	bool have_value;        /* false: no sample at all (peer down, empty result) */
	double value;           /* raw metric; NaN or +-Inf count as missing */
	int64_t sampled_ms;     /* when the value was taken (for staleness) */
	int current;            /* replicas counted as present: healthy + starting */
	int starting;           /* replicas from a scale-up not yet healthy nor failed */
};

struct decide_result {
	enum decide_dir dir;
	int desired;            /* always within [min, max] */
	bool missing;           /* the input was missing data */
	double smoothed;        /* the value the policy compared (after EWMA); NaN if missing */
	/* predictive only (else predicted is false) */
	bool predicted;
	double level, trend_per_s, forecast;
	int64_t horizon_ms;
	int wanted;             /* the count the policy asked for before its gate (holds
	                         * included); decide_eval_multi weighs metrics by it */
	const char *metric;     /* decide_eval_multi: the metric that decided; else NULL */
	char reason[256];       /* one line: what decided or what blocked */
};

void decide_state_init(struct decide_state *st);

/* One evaluation: updates *st (EWMA, windows, cooldown stamps when it steps). */
void decide_eval(const struct decide_params *p, struct decide_state *st,
    const struct decide_input *in, struct decide_result *out);

/* An alert asks for one step in dir (UP or DOWN): bounds and that direction's cooldown
 * apply, no `for` window (the alert source already waited). Stamps the cooldown when
 * it steps. */
void decide_alert(const struct decide_params *p, struct decide_state *st,
    int64_t now_ms, int current, int starting, enum decide_dir dir,
    struct decide_result *out);

/* Milliseconds of cooldown left in dir at now (0 when none). */
int64_t decide_cooldown_left(const struct decide_params *p,
    const struct decide_state *st, int64_t now_ms, enum decide_dir dir);

const char *decide_dir_name(enum decide_dir dir);

/* Several metrics for one service (doc/scaling.md, "The metric"), HPA-style: each metric is
 * evaluated with its own parameters (thresholds, target) and state (EWMA, windows,
 * level and trend) and proposes a count; the largest proposal wins and its reason,
 * prefixed with the metric's name when there are several, is the decision. The
 * cooldown stamps are the service's: read from m[0].st, written to every state. A
 * metric with missing data proposes the current count, so it blocks any scale-down
 * but not another metric's scale-up. */
#define DECIDE_METRICS_MAX 6
struct decide_metric {
	const char *name;
	struct decide_params p;
	struct decide_state *st;
	struct decide_input in;
};
void decide_eval_multi(struct decide_metric *m, size_t n, struct decide_result *out);

#endif
