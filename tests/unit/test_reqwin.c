/* test_reqwin.c: table-driven tests of a window of requests and its latency percentile
 * (src/reqwin.c; doc/traffic.md, "Where the figures come from"). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "reqwin.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* A distribution of upstream times, in ms: n values from its function of i. */
enum shape { CONST, UNIFORM, BIMODAL, LOGSPREAD };

struct pct_case {
	const char *name;
	enum shape shape;
	double a, b;      /* CONST a; UNIFORM a..b; BIMODAL 90 % a, 10 % b; LOGSPREAD a..b */
	int n;
	double p;
};

static double
value(const struct pct_case *c, int i)
{
	double f = (double)i / (c->n > 1 ? c->n - 1 : 1);

	switch (c->shape) {
	case CONST:
		return c->a;
	case UNIFORM:
		return c->a + (c->b - c->a) * f;
	case BIMODAL:
		return i < c->n * 9 / 10 ? c->a : c->b;
	default:
		return c->a * pow(c->b / c->a, f);
	}
}

/* The exact percentile as reqwin defines it: the smallest value with at least p % of
 * the samples at or below it (the samples come sorted). */
static double
exact(const struct pct_case *c)
{
	int want = (int)ceil(c->n * c->p / 100.0);

	return value(c, (want < 1 ? 1 : want) - 1);
}

/* clang-format off */
static const struct pct_case pct_cases[] = {
	{ "one value",                  CONST,     40,   0,     1,    95 },
	{ "constant 40 ms, p50",        CONST,     40,   0,     500,  50 },
	{ "constant 250 ms, p99",       CONST,     250,  0,     500,  99 },
	{ "uniform 10..110 ms, p50",    UNIFORM,   10,   110,   1000, 50 },
	{ "uniform 10..110 ms, p90",    UNIFORM,   10,   110,   1000, 90 },
	{ "uniform 10..110 ms, p99",    UNIFORM,   10,   110,   1000, 99 },
	{ "bimodal 20/900 ms, p89",     BIMODAL,   20,   900,   1000, 89 },
	{ "bimodal 20/900 ms, p95",     BIMODAL,   20,   900,   1000, 95 },
	{ "spread 0.2 ms..30 s, p50",   LOGSPREAD, 0.2,  30000, 2000, 50 },
	{ "spread 0.2 ms..30 s, p99.9", LOGSPREAD, 0.2,  30000, 2000, 99.9 },
	{ "sub-ms, p95",                UNIFORM,   0.15, 0.9,   300,  95 },
	{ "p100 is the largest",        UNIFORM,   5,    700,   100,  100 },
};
/* clang-format on */

static void
test_percentiles(void **state)
{
	(void)state;
	for (size_t k = 0; k < N_OF(pct_cases); k++) {
		const struct pct_case *c = &pct_cases[k];
		struct reqwin w;
		double got, want = exact(c);

		memset(&w, 0, sizeof(w));
		/* added in reverse: the window keeps no order */
		for (int i = c->n - 1; i >= 0; i--)
			reqwin_add(&w, value(c, i) / 1000.0);
		got = reqwin_percentile(&w, c->p);
		if (w.requests != (uint64_t)c->n || w.nlat != (uint64_t)c->n)
			fail_msg("%s: counted %llu/%llu of %d", c->name, (unsigned long long)w.requests,
			    (unsigned long long)w.nlat, c->n);
		if (fabs(got - want) > 0.025 * want + 1e-9)
			fail_msg("%s: p%g %.4f ms, exact %.4f ms (%.2f %%)", c->name, c->p, got, want,
			    100.0 * (got - want) / want);
	}
}

static void
test_edges(void **state)
{
	struct reqwin w;

	(void)state;
	memset(&w, 0, sizeof(w));
	/* none yet: no percentile */
	assert_true(reqwin_percentile(&w, 95) < 0);
	/* requests without an upstream time count, add nothing to busy time or latency */
	reqwin_add(&w, -1);
	reqwin_add(&w, NAN);
	reqwin_add(&w, INFINITY);
	assert_int_equal(w.requests, 3);
	assert_int_equal(w.nlat, 0);
	assert_true(w.busy_s == 0);
	assert_true(reqwin_percentile(&w, 50) < 0);
	/* Little's law's input: the sum of the times */
	reqwin_add(&w, 0.25);
	reqwin_add(&w, 0.5);
	assert_true(fabs(w.busy_s - 0.75) < 1e-12);
	/* p out of range: none for p <= 0, the largest for p > 100 */
	assert_true(reqwin_percentile(&w, 0) < 0);
	assert_true(fabs(reqwin_percentile(&w, 250) - 500) <= 0.025 * 500);
	/* zero and below the first bucket: the first bucket's middle, below 0.1 ms */
	memset(&w, 0, sizeof(w));
	reqwin_add(&w, 0);
	reqwin_add(&w, 0.00001);
	assert_true(reqwin_percentile(&w, 100) < REQWIN_MIN_MS);
	/* beyond the last bucket: kept in it, not lost */
	memset(&w, 0, sizeof(w));
	reqwin_add(&w, 86400);
	assert_int_equal(w.lat[REQWIN_BUCKETS - 1], 1);
	assert_true(reqwin_percentile(&w, 50) > 60000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
