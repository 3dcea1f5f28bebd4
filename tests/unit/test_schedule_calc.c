/* test_schedule_calc.c: table-driven tests of scheduled bounds' windows: the parser's
 * good and bad lines, overlaps, and the window in force and the next change at many
 * instants, in UTC and in Europe/Berlin across its DST days (src/schedule_calc.c;
 * doc/scaling.md, "Scheduled bounds"). */
#define _GNU_SOURCE /* timegm, tm_gmtoff */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schedule_calc.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *line;
	unsigned days;
	int start, end, min, max;
	const char *text;
} good[] = {
	{ "Mon-Fri 08:00-19:00 min=4 max=10", 0x1f, 28800, 68400, 4, 10,
	  "Mon-Fri 08:00-19:00 min=4 max=10" },
	{ "Sat,Sun  10:00-16:00 min=1", 0x60, 36000, 57600, 1, -1, "Sat,Sun 10:00-16:00 min=1" },
	{ "sun 22:00-06:00 max=3", 0x40, 79200, 21600, -1, 3, "sun 22:00-06:00 max=3" },
	{ "Fri-Mon 00:00-24:00 min=0", 0x71, 0, 86400, 0, -1, "Fri-Mon 00:00-24:00 min=0" },
	{ "daily 23:59-00:00 max=1000", 0x7f, 86340, 0, -1, 1000, "daily 23:59-00:00 max=1000" },
	{ "Mon,Wed-Thu 12:00-13:00 max=2 min=2", 0x0d, 43200, 46800, 2, 2,
	  "Mon,Wed-Thu 12:00-13:00 max=2 min=2" },
	{ "Tue 12:00:05-12:00:30 min=2", 0x02, 43205, 43230, 2, -1, "Tue 12:00:05-12:00:30 min=2" },
};

static const struct {
	const char *line;
	const char *err;
} bad[] = {
	{ "Mon-Fri 08:00-19:00", "is not DAYS HH:MM-HH:MM [min=N] [max=M]" },
	{ "Mon-Fri", "is not DAYS HH:MM-HH:MM" },
	{ "Moon 08:00-19:00 min=1", "'Moon' is not a day or a range of days" },
	{ "Mon-Fry 08:00-19:00 min=1", "'Mon-Fry' is not a day" },
	{ "Mon, 08:00-19:00 min=1", "ends with a comma" },
	{ "Mon 8:00-19:00 min=1", "'8:00-19:00' is not a time range" },
	{ "Mon 08:00-24:01 min=1", "is not a time range" },
	{ "Mon 24:00-06:00 min=1", "is not a time range" },
	{ "Mon 08:60-09:00 min=1", "is not a time range" },
	{ "Mon 25:00-26:00 min=1", "is not a time range" },
	{ "Mon 08:00:60-09:00 min=1", "is not a time range" },
	{ "Mon 08:00:1-09:00 min=1", "is not a time range" },
	{ "Mon 08:00-24:00:01 min=1", "is not a time range" },
	{ "Mon 08:00 min=1", "'08:00' is not a time range" },
	{ "Mon 08:00-08:00 min=1", "starts where it ends" },
	{ "Mon 08:00-09:00 min=5 max=4", "min=5 is above max=4" },
	{ "Mon 08:00-09:00 max=1001", "max=1001: out of range [1, 1000] (the bound on "
	  "max_replicas)" },
	{ "Mon 08:00-09:00 max=0", "max=0: out of range [1, 1000]" },
	{ "Mon 08:00-09:00 min=-1", "min=-1: not a whole number" },
	{ "Mon 08:00-09:00 min=2x", "min=2x: not a whole number" },
	{ "Mon 08:00-09:00 min=1 min=2", "min= given twice" },
	{ "Mon 08:00-09:00 replicas=2", "'replicas=2': expected min=N or max=M" },
	{ "Mon 08:00-09:00 min=1 max=2 extra junk here", "more words than" },
};

static void
test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_OF(good); i++) {
		struct sched_window w;
		char err[200] = "";

		print_message("good %zu: %s\n", i, good[i].line);
		assert_int_equal(sched_parse(good[i].line, &w, err, sizeof err), 0);
		assert_int_equal(w.days, good[i].days);
		assert_int_equal(w.start, good[i].start);
		assert_int_equal(w.end, good[i].end);
		assert_int_equal(w.min, good[i].min);
		assert_int_equal(w.max, good[i].max);
		assert_string_equal(w.text, good[i].text);
	}
	for (size_t i = 0; i < N_OF(bad); i++) {
		struct sched_window w;
		char err[200] = "";

		print_message("bad %zu: %s\n", i, bad[i].line);
		assert_int_equal(sched_parse(bad[i].line, &w, err, sizeof err), -1);
		print_message("  -> %s\n", err);
		assert_non_null(strstr(err, bad[i].err));
	}
}

static struct sched_window
win(const char *line)
{
	struct sched_window w;
	char err[200];

	if (sched_parse(line, &w, err, sizeof err) != 0)
		fail_msg("%s: %s", line, err);
	return w;
}

static void
test_overlap(void **state)
{
	static const struct {
		const char *a, *b;
		bool overlap;
	} cases[] = {
		{ "Mon-Fri 08:00-19:00 min=1", "Sat,Sun 08:00-19:00 min=1", false },
		{ "Mon-Fri 08:00-19:00 min=1", "Wed 18:59-20:00 min=1", true },
		{ "Mon-Fri 08:00-19:00 min=1", "Wed 19:00-20:00 min=1", false },  /* side by side */
		{ "Mon 22:00-06:00 min=1", "Tue 05:00-07:00 min=1", true },      /* past midnight */
		{ "Mon 22:00-06:00 min=1", "Tue 06:00-07:00 min=1", false },
		{ "Sun 23:00-01:00 min=1", "Mon 00:30-02:00 min=1", true },      /* Sunday's into Monday */
		{ "Sun 23:00-01:00 min=1", "Mon 01:00-02:00 min=1", false },
		{ "Sun 20:00-24:00 min=1", "Mon 00:00-02:00 min=1", false },
		{ "daily 00:00-24:00 min=1", "Thu 12:00-13:00 min=1", true },
		{ "Sat 22:00-02:00 min=1", "Sun 01:59-03:00 min=1", true },
		{ "Mon 08:00:00-08:00:30 min=1", "Mon 08:00:30-09:00 min=1", false },
		{ "Mon 08:00:00-08:00:31 min=1", "Mon 08:00:30-09:00 min=1", true },
	};

	(void)state;
	for (size_t i = 0; i < N_OF(cases); i++) {
		struct sched_window a = win(cases[i].a), b = win(cases[i].b);

		print_message("overlap %zu: %s / %s\n", i, cases[i].a, cases[i].b);
		assert_int_equal(sched_overlap(&a, &b), cases[i].overlap);
		assert_int_equal(sched_overlap(&b, &a), cases[i].overlap);
	}
}

/* The zone as the daemon reads it: localtime_r's tm_gmtoff under TZ. */
static long
tz_offset(int64_t t, void *arg)
{
	time_t tt = (time_t)t;
	struct tm tm;

	(void)arg;
	if (localtime_r(&tt, &tm) == NULL)
		return 0;
	return tm.tm_gmtoff;
}

/* "YYYY-MM-DD HH:MM" in UTC as epoch seconds (0: none). */
static int64_t
utc(const char *s)
{
	struct tm tm;

	if (s == NULL)
		return 0;
	memset(&tm, 0, sizeof tm);
	if (strptime(s, "%Y-%m-%d %H:%M", &tm) == NULL)
		fail_msg("bad time %s", s);
	return (int64_t)timegm(&tm);
}

struct at_case {
	const char *at;      /* UTC */
	int active;          /* window index, -1 none */
	const char *since;   /* UTC, or NULL */
	const char *next;    /* UTC, or NULL (none) */
	int next_window;
};

static void
run(const char *zone, const char *const *lines, size_t nl, const struct at_case *c,
    size_t nc)
{
	struct sched_window w[8];

	assert_true(nl <= N_OF(w));
	for (size_t i = 0; i < nl; i++)
		w[i] = win(lines[i]);
	setenv("TZ", zone, 1);
	tzset();
	for (size_t i = 0; i < nc; i++) {
		struct sched_now now;

		print_message("%s at %s UTC: window %d, next %s\n", zone, c[i].at, c[i].active,
		    c[i].next ? c[i].next : "none");
		sched_at(w, nl, utc(c[i].at), tz_offset, NULL, &now);
		assert_int_equal(now.active, c[i].active);
		if (c[i].since != NULL)
			assert_int_equal(now.since, utc(c[i].since));
		assert_int_equal(now.next, utc(c[i].next));
		assert_int_equal(now.next_window, c[i].next_window);
	}
}

/* Europe/Berlin's rules, written out (POSIX TZ: no tzdata needed): CET, CEST from the last
 * Sunday of March 02:00 (01:00 UTC) to the last Sunday of October 03:00 (01:00 UTC). In
 * 2026 those are March 29 and October 25. */
#define BERLIN "CET-1CEST,M3.5.0,M10.5.0/3"

static void
test_berlin(void **state)
{
	static const char *const lines[] = {
		"Mon-Fri 08:00-19:00 min=4 max=10", /* 0 */
		"Sat,Sun 10:00-16:00 min=1",        /* 1 */
		"Sun 22:00-06:00 min=2",            /* 2: Sunday night into Monday */
		"Sun 02:30-03:30 max=3",            /* 3: on both DST days' odd hour */
	};
	static const struct at_case cases[] = {
		/* a working day in summer time (UTC+2) */
		{ "2026-03-30 05:59", -1, NULL, "2026-03-30 06:00", 0 },
		{ "2026-03-30 06:00", 0, "2026-03-30 06:00", "2026-03-30 17:00", -1 },
		{ "2026-03-30 16:59", 0, "2026-03-30 06:00", "2026-03-30 17:00", -1 },
		{ "2026-03-30 17:00", -1, NULL, "2026-03-31 06:00", 0 },
		/* Sunday night into Monday: began Sunday 22:00 CEST, ends Monday 06:00 */
		{ "2026-03-29 19:59", -1, NULL, "2026-03-29 20:00", 2 },
		{ "2026-03-29 20:00", 2, "2026-03-29 20:00", "2026-03-30 04:00", -1 },
		{ "2026-03-29 22:00", 2, "2026-03-29 20:00", "2026-03-30 04:00", -1 }, /* midnight */
		{ "2026-03-30 03:59", 2, "2026-03-29 20:00", "2026-03-30 04:00", -1 },
		{ "2026-03-30 04:00", -1, NULL, "2026-03-30 06:00", 0 },
		/* spring forward: 02:30 does not exist, the window begins at the change (03:00
		 * CEST = 01:00 UTC) and ends at 03:30 CEST */
		{ "2026-03-29 00:59", -1, NULL, "2026-03-29 01:00", 3 },
		{ "2026-03-29 01:00", 3, "2026-03-29 01:00", "2026-03-29 01:30", -1 },
		{ "2026-03-29 01:30", -1, NULL, "2026-03-29 08:00", 1 }, /* 10:00 CEST */
		/* the Sunday before, in winter time: 02:30-03:30 CET */
		{ "2026-03-22 01:29", -1, NULL, "2026-03-22 01:30", 3 },
		{ "2026-03-22 02:00", 3, "2026-03-22 01:30", "2026-03-22 02:30", -1 },
		/* fall back: 02:30 happens twice; the window begins at the first (CEST, 00:30
		 * UTC) and ends at 03:30 CET (02:30 UTC): two hours */
		{ "2026-10-25 00:29", -1, NULL, "2026-10-25 00:30", 3 },
		{ "2026-10-25 00:30", 3, "2026-10-25 00:30", "2026-10-25 02:30", -1 },
		{ "2026-10-25 01:29", 3, "2026-10-25 00:30", "2026-10-25 02:30", -1 }, /* 02:29 CET */
		{ "2026-10-25 01:30", 3, "2026-10-25 00:30", "2026-10-25 02:30", -1 }, /* 02:30 again */
		{ "2026-10-25 02:30", -1, NULL, "2026-10-25 09:00", 1 }, /* 10:00 CET */
		/* Saturday and Sunday 10:00-16:00 in winter time (UTC+1) */
		{ "2026-10-31 09:00", 1, "2026-10-31 09:00", "2026-10-31 15:00", -1 },
		{ "2026-11-01 15:00", -1, NULL, "2026-11-01 21:00", 2 },
		/* Friday evening: next is Saturday's */
		{ "2026-11-06 18:00", -1, NULL, "2026-11-07 09:00", 1 },
	};

	(void)state;
	run(BERLIN, lines, N_OF(lines), cases, N_OF(cases));
}

/* The installed tzdata's Europe/Berlin, as the daemon reads timezone = Europe/Berlin. */
static void
test_berlin_tzdata(void **state)
{
	static const char *const lines[] = { "Sun 02:30-03:30 max=3" };
	static const struct at_case cases[] = {
		{ "2026-03-29 00:59", -1, NULL, "2026-03-29 01:00", 0 },
		{ "2026-03-29 01:00", 0, "2026-03-29 01:00", "2026-03-29 01:30", -1 },
		{ "2026-10-25 01:30", 0, "2026-10-25 00:30", "2026-10-25 02:30", -1 },
	};
	FILE *f = fopen("/usr/share/zoneinfo/Europe/Berlin", "r");

	(void)state;
	if (f == NULL)
		skip();
	fclose(f);
	run(":Europe/Berlin", lines, N_OF(lines), cases, N_OF(cases));
}

static void
test_utc_edges(void **state)
{
	static const char *const lines[] = {
		"Sun 20:00-24:00 min=3",   /* 0 */
		"Mon 00:00-02:00 min=5",   /* 1: side by side with 0, across Sunday's midnight */
		"Wed 23:00-01:00 max=2",   /* 2: crosses midnight */
		"Sat 00:00-00:30 min=2",   /* 3: begins at midnight */
	};
	static const struct at_case cases[] = {
		/* 2026-12-06 is a Sunday */
		{ "2026-12-06 19:59", -1, NULL, "2026-12-06 20:00", 0 },
		{ "2026-12-06 23:59", 0, "2026-12-06 20:00", "2026-12-07 00:00", 1 },
		{ "2026-12-07 00:00", 1, "2026-12-07 00:00", "2026-12-07 02:00", -1 },
		{ "2026-12-07 02:00", -1, NULL, "2026-12-09 23:00", 2 },
		{ "2026-12-09 23:30", 2, "2026-12-09 23:00", "2026-12-10 01:00", -1 },
		{ "2026-12-10 00:00", 2, "2026-12-09 23:00", "2026-12-10 01:00", -1 },
		{ "2026-12-10 01:00", -1, NULL, "2026-12-12 00:00", 3 },
		{ "2026-12-11 23:59", -1, NULL, "2026-12-12 00:00", 3 },
		{ "2026-12-12 00:00", 3, "2026-12-12 00:00", "2026-12-12 00:30", -1 },
		{ "2026-12-12 00:30", -1, NULL, "2026-12-13 20:00", 0 },
	};
	static const char *const secs[] = { "Tue 12:00:05-12:00:30 min=2" };
	struct sched_window w = win(secs[0]);
	struct sched_now now;

	(void)state;
	run("UTC0", lines, N_OF(lines), cases, N_OF(cases));
	/* seconds: 2026-12-08 is a Tuesday */
	sched_at(&w, 1, utc("2026-12-08 12:00") + 4, tz_offset, NULL, &now);
	assert_int_equal(now.active, -1);
	assert_int_equal(now.next, utc("2026-12-08 12:00") + 5);
	sched_at(&w, 1, utc("2026-12-08 12:00") + 5, tz_offset, NULL, &now);
	assert_int_equal(now.active, 0);
	assert_int_equal(now.next, utc("2026-12-08 12:00") + 30);
}

static void
test_none(void **state)
{
	struct sched_now now;

	(void)state;
	sched_at(NULL, 0, 1700000000, tz_offset, NULL, &now);
	assert_int_equal(now.active, -1);
	assert_int_equal(now.next, 0);
	assert_int_equal(now.next_window, -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_berlin),
		cmocka_unit_test(test_berlin_tzdata),
		cmocka_unit_test(test_utc_edges),
		cmocka_unit_test(test_none),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
