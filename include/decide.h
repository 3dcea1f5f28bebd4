/* decide.h: the pure scaling policy (numbers in, a desired count and a reason out). */
#ifndef DOCKSCALE_DECIDE_H
#define DOCKSCALE_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

enum decide_policy_kind { POLICY_THRESHOLD = 0, POLICY_TARGET = 1 };
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
};

/* Per-service memory between evaluations; zero-initialise with decide_state_init(). */
struct decide_state {
	bool have_ewma;
	double ewma;
	int64_t up_since;       /* when the up condition started to hold; -1 = not holding */
	int64_t down_since;
	int64_t last_up;        /* when the last up step was taken; -1 = never */
	int64_t last_down;
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
	char reason[192];       /* one line: what decided or what blocked */
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

#endif
