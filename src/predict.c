/* predict.c: Holt's double exponential smoothing (level and trend) and the start-time
 * percentile that sets the predictive policy's horizon; pure, no clock of its own. */
#include "predict.h"

#include <math.h>
#include <string.h>

void
predict_reset(struct decide_state *st)
{
	st->have_level = false;
	st->have_trend = false;
	st->level = 0;
	st->trend = 0;
	st->level_at = 0;
}

void
predict_update(struct decide_state *st, double alpha, double beta, double v, int64_t now_ms)
{
	double prev = st->level, dt;

	/* Out-of-range factors mean "follow the data" rather than freezing the level. */
	if (!(alpha > 0.0 && alpha <= 1.0))
		alpha = 1.0;
	if (!(beta > 0.0 && beta <= 1.0))
		beta = 1.0;
	if (!st->have_level) {
		st->have_level = true;
		st->have_trend = false;
		st->level = v;
		st->trend = 0;
		st->level_at = now_ms;
		return;
	}
	dt = (double)(now_ms - st->level_at);
	if (dt <= 0) {
		/* A second sample of the same instant (an alert's refresh) has no slope. */
		st->level = alpha * v + (1.0 - alpha) * st->level;
		return;
	}
	st->level = alpha * v + (1.0 - alpha) * (prev + st->trend * dt);
	if (st->have_trend)
		st->trend = beta * (st->level - prev) / dt + (1.0 - beta) * st->trend;
	else
		st->trend = (st->level - prev) / dt;
	st->have_trend = true;
	st->level_at = now_ms;
}

double
predict_forecast(const struct decide_state *st, int64_t horizon_ms)
{
	if (!st->have_level)
		return NAN;
	if (!st->have_trend || horizon_ms <= 0)
		return st->level;
	return st->level + st->trend * (double)horizon_ms;
}

int64_t
predict_p90(const int64_t *v, size_t n)
{
	int64_t s[64];
	size_t m = n < 64 ? n : 64, rank;

	if (m == 0)
		return 0;
	memcpy(s, v, m * sizeof s[0]);
	/* Insertion sort: at most 64 entries, called once per evaluation. */
	for (size_t i = 1; i < m; i++) {
		int64_t x = s[i];
		size_t j = i;
		for (; j > 0 && s[j - 1] > x; j--)
			s[j] = s[j - 1];
		s[j] = x;
	}
	/* Nearest rank: ceil(0.9 * m), 1-based. */
	rank = (9 * m + 9) / 10;
	return s[rank - 1];
}
