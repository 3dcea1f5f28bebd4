/* predict.h: Holt's double exponential smoothing and the start-time percentile behind
 * policy = predictive (pure; doc/scaling.md, "Predictive policy"). */
#ifndef DOCKSCALE_PREDICT_H
#define DOCKSCALE_PREDICT_H

#include <stddef.h>
#include <stdint.h>

#include "decide.h"

/* One sample v at now_ms into st's level and trend (alpha: level, beta: trend, both in
 * (0,1]). The first sample after a reset sets the level and no trend; a sample at the
 * same time as the last one updates the level only. */
void predict_update(struct decide_state *st, double alpha, double beta, double v,
    int64_t now_ms);
/* Missing data: the next sample starts a new level, with no trend. */
void predict_reset(struct decide_state *st);
/* level + trend * horizon_ms (the level alone until there is a trend); NaN without a
 * level. */
double predict_forecast(const struct decide_state *st, int64_t horizon_ms);
/* The 90th percentile (nearest rank) of v[0..n); 0 when n is 0. v is not modified. */
int64_t predict_p90(const int64_t *v, size_t n);

#endif
