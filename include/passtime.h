/* passtime.h: how long reconcile passes take (pure; doc/api.md, "Metrics",
 * dockscale_pass_seconds). */
#ifndef DOCKSCALE_PASSTIME_H
#define DOCKSCALE_PASSTIME_H

#include <stddef.h>
#include <stdint.h>

/* The quantiles are over the last PASSTIME_RING passes: at the default 5 s interval
 * about 20 minutes, enough for a summary without a histogram's fixed buckets. */
#define PASSTIME_RING 256

/* The passes timed so far (owner: passtime.c). */
struct passtime {
	int64_t begun_us;           /* the pass in flight began ... */
	int running;                /* ... when 1 (all zero: nothing timed yet) */
	double ring[PASSTIME_RING]; /* the last passes' seconds */
	size_t n, next;             /* filled slots, the next one written */
	uint64_t count;             /* passes timed since start */
	double sum;                 /* their seconds */
};

/* A pass began at now_us (any monotonic clock in microseconds). */
void passtime_begin(struct passtime *p, int64_t now_us);
/* The pass begun last ended at now_us: recorded once (a second end, or an end with no
 * begin, records nothing). */
void passtime_end(struct passtime *p, int64_t now_us);
/* The q-quantile (0..1, nearest rank) of the recorded passes in seconds; NaN when none. */
double passtime_quantile(const struct passtime *p, double q);

#endif
