/* test_wake_share.c: table-driven tests of how a wake's requests are shared among the
 * replicas it starts (src/wake_share.c; doc/waking.md, "Spreading a wake's requests"). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "wake_share.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define NONE WAKE_SHARE_NONE

static void
test_cap(void **state)
{
	static const struct {
		const char *name;
		size_t requests;
		int wake_replicas, ready, coming;
		size_t want;
	} cases[] = {
		{ "one replica woken: no other coming, no cap", 50, 1, 1, 0, NONE },
		{ "three woken, first ready: a third, rounded up", 50, 3, 1, 2, 17 },
		{ "three woken, two ready", 50, 3, 2, 1, 17 },
		{ "three woken, all ready: the cap lifts", 50, 3, 3, 0, NONE },
		{ "exact division", 30, 3, 1, 2, 10 },
		{ "fewer requests than replicas: one each", 2, 3, 1, 2, 1 },
		{ "one request", 1, 3, 1, 2, 1 },
		{ "no request yet", 0, 3, 0, 3, 0 },
		{ "one of three failed: N is what is still expected", 50, 3, 1, 1, 25 },
		{ "the policy raised desired beyond: N stays wake_replicas", 50, 3, 1, 4, 17 },
		{ "nothing ready, nothing coming", 10, 3, 0, 0, NONE },
		{ "nothing ready yet, one coming: N at least 1", 10, 3, 0, 1, 10 },
		{ "a bad wake_replicas counts as 1", 10, 0, 1, 2, 10 },
		{ "a negative count of coming is none", 10, 3, 1, -1, NONE },
	};

	(void)state;
	for (size_t i = 0; i < N_OF(cases); i++) {
		size_t got = wake_share_cap(cases[i].requests, cases[i].wake_replicas,
		    cases[i].ready, cases[i].coming);

		if (got != cases[i].want)
			fail_msg("%s: cap %zu, want %zu", cases[i].name, got, cases[i].want);
	}
}

static void
test_pick(void **state)
{
	static const struct {
		const char *name;
		size_t handed[4];
		size_t n, cap, start;
		int want;
	} cases[] = {
		{ "none ready", { 0 }, 0, 5, 0, -1 },
		{ "one ready below its cap", { 3 }, 1, 5, 0, 0 },
		{ "one ready at its cap", { 5 }, 1, 5, 0, -1 },
		{ "no cap", { 100 }, 1, NONE, 0, 0 },
		{ "the fewest handed first", { 17, 0, 4 }, 3, 17, 0, 1 },
		{ "equals: the first from start", { 2, 2, 2 }, 3, 17, 1, 1 },
		{ "equals: start wraps", { 2, 2, 2 }, 3, 17, 5, 2 },
		{ "the fewest is at its cap too: none", { 3, 3 }, 2, 3, 0, -1 },
		{ "a newcomer with none handed", { 17, 17, 0 }, 3, 17, 0, 2 },
		{ "cap 0 (no request counted): none", { 0, 0 }, 2, 0, 0, -1 },
	};

	(void)state;
	for (size_t i = 0; i < N_OF(cases); i++) {
		int got = wake_share_pick(cases[i].handed, cases[i].n, cases[i].cap,
		    cases[i].start);

		if (got != cases[i].want)
			fail_msg("%s: picked %d, want %d", cases[i].name, got, cases[i].want);
	}
}

/* The rule end to end: 50 requests held, three replicas turning ready one at a time,
 * each handed what it may as it turns ready: no replica gets more than its third while
 * another is on its way, and all 50 go out once the last is ready. */
static void
test_fifty_over_three(void **state)
{
	size_t handed[3] = { 0 }, held = 50, out = 0;

	(void)state;
	for (int ready = 1; ready <= 3; ready++) {
		size_t cap = wake_share_cap(50, 3, ready, 3 - ready);
		int i;

		while (held > 0 && (i = wake_share_pick(handed, (size_t)ready, cap, out)) >= 0) {
			handed[i]++;
			held--;
			out++;
		}
		if (ready < 3)
			assert_int_equal(handed[ready - 1], 17);
	}
	assert_int_equal(held, 0);
	assert_int_equal(handed[0] + handed[1] + handed[2], 50);
	assert_int_equal(handed[0], 17);
	assert_int_equal(handed[1], 17);
	assert_int_equal(handed[2], 16);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_fifty_over_three),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
