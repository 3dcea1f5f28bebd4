/* reqwin.h: a window of requests: how many, their summed time, and a histogram of their
 * latencies whose percentile is within 2.5 % of the true one (pure; doc/traffic.md). */
#ifndef DOCKSCALE_REQWIN_H
#define DOCKSCALE_REQWIN_H

#include <stdint.h>

/* Buckets growing by 5 % from 0.1 ms to about 80 s (the last one open): a percentile read
 * at a bucket's geometric middle is within 2.5 % of any value in it. */
#define REQWIN_BUCKETS 280
#define REQWIN_MIN_MS 0.1
#define REQWIN_RATIO 1.05

struct reqwin {
	uint64_t requests;
	double busy_s;             /* their upstream times summed: in flight by Little's law */
	uint64_t nlat;             /* of them, with an upstream time */
	uint32_t lat[REQWIN_BUCKETS];
};

/* One request; upstream_s < 0 (or not finite): it has no upstream time. */
void reqwin_add(struct reqwin *w, double upstream_s);
/* The p-th percentile (0 < p <= 100) of the window's upstream times in ms: the smallest
 * bucket holding at least p % of them, at its middle; < 0 when it has none. */
double reqwin_percentile(const struct reqwin *w, double p);

#endif
