/* test_passtime.c: table-driven tests of the pass durations behind dockscale_pass_seconds
 * (src/passtime.c; doc/api.md, "Metrics"). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "passtime.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* n passes of 1, 2, ... n ms each. */
static void
fill(struct passtime *p, int n)
{
	int64_t t = 1000;

	memset(p, 0, sizeof(*p));
	for (int i = 1; i <= n; i++) {
		passtime_begin(p, t);
		t += i * 1000;
		passtime_end(p, t);
		t += 5000000; /* the interval between passes is not counted */
	}
}

static void
test_quantiles(void **state)
{
	static const struct {
		const char *name;
		int passes;
		double q, want; /* seconds */
	} cases[] = {
		{ "one pass: every quantile is it", 1, 0.5, 0.001 },
		{ "one pass, p99", 1, 0.99, 0.001 },
		{ "ten: median is the 5th", 10, 0.5, 0.005 },
		{ "ten: p99 is the largest", 10, 0.99, 0.010 },
		{ "ten: q 0 is the smallest", 10, 0.0, 0.001 },
		{ "ten: q 1 is the largest", 10, 1.0, 0.010 },
		{ "a full ring", PASSTIME_RING, 0.5, PASSTIME_RING * 0.0005 },
		{ "past the ring: the oldest are forgotten", PASSTIME_RING + 100, 0.0, 0.101 },
		{ "past the ring: the newest is the largest", PASSTIME_RING + 100, 1.0,
		  (PASSTIME_RING + 100) * 0.001 },
	};
	struct passtime p;

	(void)state;
	for (size_t i = 0; i < N_OF(cases); i++) {
		fill(&p, cases[i].passes);
		print_message("%s\n", cases[i].name);
		assert_true(fabs(passtime_quantile(&p, cases[i].q) - cases[i].want) < 1e-9);
		assert_int_equal(p.count, (uint64_t)cases[i].passes);
	}
}

static void
test_begin_end(void **state)
{
	struct passtime p;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_true(isnan(passtime_quantile(&p, 0.5))); /* none yet */
	passtime_end(&p, 5000);                         /* an end with no begin */
	assert_int_equal(p.count, 0);
	passtime_begin(&p, 1000);
	passtime_end(&p, 3000);
	passtime_end(&p, 9000);                         /* a second end */
	assert_int_equal(p.count, 1);
	assert_true(fabs(p.sum - 0.002) < 1e-12);
	passtime_begin(&p, 1000);                       /* a failed list: begun again */
	passtime_begin(&p, 2000);
	passtime_end(&p, 2500);
	assert_int_equal(p.count, 2);
	assert_true(fabs(passtime_quantile(&p, 0.0) - 0.0005) < 1e-12);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantiles),
		cmocka_unit_test(test_begin_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
