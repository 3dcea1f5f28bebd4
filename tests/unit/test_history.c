/* test_history.c: the status page's history ring: steps, merged bursts, wrap-around. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "service.h"

static struct history h;

static void
test_steps_and_changes(void **state)
{
	(void)state;
	memset(&h, 0, sizeof h);
	history_add(&h, 1000, 5000, 1, 1, 10.0, 15000);
	assert_int_equal(h.n, 1);
	history_add(&h, 2000, 6000, 1, 1, 20.0, 15000); /* nothing changed, step not over */
	assert_int_equal(h.n, 1);
	history_add(&h, 16000, 20000, 1, 1, 30.0, 15000);
	assert_int_equal(h.n, 2);
	assert_true(history_at(&h, 1)->metric == 30.0);
	history_add(&h, 20000, 24000, 1, 2, NAN, 15000); /* desired changed: a point at once */
	assert_int_equal(h.n, 3);
	history_add(&h, 20500, 24500, 2, 2, NAN, 15000); /* within a second: replaces it */
	assert_int_equal(h.n, 3);
	assert_int_equal(history_at(&h, 2)->ready, 2);
	assert_int_equal(history_at(&h, 2)->unix_ms, 24500);
	assert_null(history_at(&h, 3));
	cJSON *o = history_json(&h, "web", 15000);
	cJSON *pts = cJSON_GetObjectItem(o, "points");
	assert_int_equal(cJSON_GetArraySize(pts), 3);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(pts, 2), "metric")));
	assert_int_equal((int)cJSON_GetObjectItem(cJSON_GetArrayItem(pts, 0), "t")->valuedouble,
	    5000);
	cJSON_Delete(o);
}

static void
test_wraps_oldest_first(void **state)
{
	(void)state;
	memset(&h, 0, sizeof h);
	for (int i = 0; i < HISTORY_POINTS + 10; i++)
		history_add(&h, (int64_t)i * 15000, i, 1, 1, i, 15000);
	assert_int_equal(h.n, HISTORY_POINTS);
	assert_int_equal(history_at(&h, 0)->unix_ms, 10);
	assert_int_equal(history_at(&h, HISTORY_POINTS - 1)->unix_ms, HISTORY_POINTS + 9);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steps_and_changes),
		cmocka_unit_test(test_wraps_oldest_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
