/* test_config_schedule.c: `schedule` and `timezone` in a [service]: what loads, and each
 * error with its FILE:LINE (src/config/config_schedule.c; doc/scaling.md, "Scheduled
 * bounds"). */
#define _GNU_SOURCE /* fmemopen */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_testutil.h"

#define SVC "[service web]\nimage = app\n"

static void
test_good(void **state)
{
	struct config c;
	struct config_errors e;
	const struct svc_conf *s;

	(void)state;
	assert_int_equal(load_as("s.conf", SVC "max_replicas = 10\ntimezone = Europe/Berlin\n"
	    "schedule = Mon-Fri 08:00-19:00 min=4 max=10\n"
	    "schedule = Sat,Sun 10:00-16:00 min=1\n"
	    "schedule = Sun 22:00-06:00 min=2\n", &c, &e), 0);
	s = config_service(&c, "web");
	assert_non_null(s);
	assert_string_equal(s->timezone, "Europe/Berlin");
	assert_int_equal(s->schedule.n, 3);
	assert_int_equal(s->schedule.w[0].line, 5);
	assert_int_equal(s->schedule.w[0].min, 4);
	assert_int_equal(s->schedule.w[2].line, 7);
	assert_string_equal(s->schedule.w[1].text, "Sat,Sun 10:00-16:00 min=1");
	assert_int_equal(c.warnings.n, 0);
	config_free(&c);
	/* the defaults: no window, the host's zone */
	assert_int_equal(load_as("s.conf", SVC, &c, &e), 0);
	s = config_service(&c, "web");
	assert_int_equal(s->schedule.n, 0);
	assert_string_equal(s->timezone, "");
	config_free(&c);
}

static const struct {
	const char *text;
	const char *err;
} bad[] = {
	{ SVC "schedule = Mon-Fri 08:00-19:00 min=2\nschedule = Wed 18:00-20:00 max=3\n",
	  "s.conf:4: service web: schedule 'Wed 18:00-20:00 max=3' overlaps 'Mon-Fri "
	  "08:00-19:00 min=2' (line 3)" },
	{ SVC "schedule = Sun 23:00-01:00 min=2\nschedule = Mon 00:30-02:00 min=3\n",
	  "s.conf:4: service web: schedule 'Mon 00:30-02:00 min=3' overlaps" },
	{ SVC "timezone = Europe/Berln\nschedule = Mon 08:00-09:00 min=2\n",
	  "s.conf:3: timezone: 'Europe/Berln': no such zone in" },
	{ SVC "timezone = ../../etc/passwd\n", "s.conf:3: timezone: '../../etc/passwd': not a "
	  "zone name" },
	{ SVC "timezone = Europe\n", "s.conf:3: timezone: 'Europe': no such zone" },
	{ SVC "schedule = Mon-Fro 08:00-09:00 min=2\n", "s.conf:3: schedule: 'Mon-Fro' is not a "
	  "day" },
	{ SVC "schedule = Mon 08:00-25:00 min=2\n", "s.conf:3: schedule: '08:00-25:00' is not a "
	  "time range" },
	{ SVC "schedule = Mon 08:00-09:00\n", "s.conf:3: schedule: 'Mon 08:00-09:00' is not "
	  "DAYS HH:MM-HH:MM [min=N] [max=M]" },
	{ SVC "schedule = Mon 08:00-09:00 min=5 max=4\n", "s.conf:3: schedule: min=5 is above "
	  "max=4" },
	{ SVC "schedule = Mon 08:00-09:00 max=1001\n", "s.conf:3: schedule: max=1001: out of "
	  "range [1, 1000]" },
	{ SVC "max_replicas = 5\nschedule = Mon 08:00-09:00 min=6\n", "s.conf:4: service web: "
	  "schedule 'Mon 08:00-09:00 min=6': min=6 is above max_replicas 5 (give the window a "
	  "max= too)" },
	{ SVC "min_replicas = 3\nschedule = Mon 08:00-09:00 max=2\n", "s.conf:4: service web: "
	  "schedule 'Mon 08:00-09:00 max=2': max=2 is below min_replicas 3" },
	{ SVC "timezone = UTC\ntimezone = UTC\n", "s.conf:4: duplicate key 'timezone'" },
};

static void
test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config c;
		struct config_errors e;
		bool found = false;

		print_message("case %zu: %s\n", i, bad[i].err);
		assert_int_equal(load_as("s.conf", bad[i].text, &c, &e), -1);
		for (size_t j = 0; j < e.n; j++) {
			print_message("  error: %s\n", e.msg[j]);
			found |= strstr(e.msg[j], bad[i].err) != NULL;
		}
		assert_true(found);
		config_errors_free(&e);
		config_free(&c);
	}
}

/* A window with min= only whose min fits, and max= in the window above max_replicas:
 * the window's own bounds replace the service's. */
static void
test_window_replaces(void **state)
{
	struct config c;
	struct config_errors e;

	(void)state;
	assert_int_equal(load_as("s.conf", SVC "max_replicas = 5\nschedule = Mon 08:00-09:00 min=6 max=8\n",
	    &c, &e), 0);
	config_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_window_replaces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
