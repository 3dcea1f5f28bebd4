/* reqwin.c: a window of requests and the percentile of their latencies (pure). */
#include <math.h>

#include "reqwin.h"

static unsigned
bucket(double ms)
{
	double i;

	if (!(ms >= REQWIN_MIN_MS))
		return 0;
	i = floor(log(ms / REQWIN_MIN_MS) / log(REQWIN_RATIO)) + 1;
	return i >= REQWIN_BUCKETS - 1 ? REQWIN_BUCKETS - 1 : (unsigned)i;
}

/* Bucket i's geometric middle, in ms: the error is the same either side. */
static double
middle(unsigned i)
{
	if (i == 0)
		return REQWIN_MIN_MS / 2;
	return REQWIN_MIN_MS * pow(REQWIN_RATIO, (double)i - 0.5);
}

void
reqwin_add(struct reqwin *w, double upstream_s)
{
	w->requests++;
	if (!(upstream_s >= 0) || !isfinite(upstream_s))
		return;
	w->busy_s += upstream_s;
	w->nlat++;
	w->lat[bucket(upstream_s * 1000.0)]++;
}

double
reqwin_percentile(const struct reqwin *w, double p)
{
	uint64_t want, seen = 0;

	if (w->nlat == 0 || !(p > 0))
		return -1;
	want = (uint64_t)ceil((double)w->nlat * (p > 100 ? 100 : p) / 100.0);
	if (want == 0)
		want = 1;
	for (unsigned i = 0; i < REQWIN_BUCKETS; i++) {
		seen += w->lat[i];
		if (seen >= want)
			return middle(i);
	}
	return middle(REQWIN_BUCKETS - 1);
}
