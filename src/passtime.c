/* passtime.c: the durations of reconcile passes, kept for /metrics' dockscale_pass_seconds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "passtime.h"

void
passtime_begin(struct passtime *p, int64_t now_us)
{
	p->begun_us = now_us;
	p->running = 1;
}

void
passtime_end(struct passtime *p, int64_t now_us)
{
	double s;

	if (!p->running || now_us < p->begun_us)
		return;
	s = (double)(now_us - p->begun_us) / 1e6;
	p->running = 0;
	p->ring[p->next] = s;
	p->next = (p->next + 1) % PASSTIME_RING;
	if (p->n < PASSTIME_RING)
		p->n++;
	p->count++;
	p->sum += s;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double
passtime_quantile(const struct passtime *p, double q)
{
	double v[PASSTIME_RING];
	size_t rank;

	if (p->n == 0)
		return NAN;
	memcpy(v, p->ring, p->n * sizeof(v[0]));
	qsort(v, p->n, sizeof(v[0]), cmp_double);
	if (q <= 0)
		return v[0];
	/* Nearest rank: the smallest value with at least q of the passes at or below it. */
	rank = (size_t)ceil(q * (double)p->n);
	if (rank < 1)
		rank = 1;
	if (rank > p->n)
		rank = p->n;
	return v[rank - 1];
}
