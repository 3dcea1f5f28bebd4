/* test_readiness.c: table-driven tests of the readiness decision and the fast probe
 * schedule (src/readiness.c; doc/readiness.md). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "readiness.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

enum { A = READINESS_AUTO, P = READINESS_PROBE, H = READINESS_HEALTH, B = READINESS_BOTH };
enum { NONE = READY_BY_NONE, BY_P = READY_BY_PROBE, BY_H = READY_BY_HEALTH,
       BY_B = READY_BY_BOTH };

struct decide_case {
	int mode;
	bool hc, healthy, probe_ok;
	int want;
};

/* clang-format off */
static const struct decide_case decide_cases[] = {
	/* no HEALTHCHECK: the probe alone, whatever the mode */
	{ A, false, false, false, NONE }, { A, false, false, true, BY_P },
	{ P, false, false, false, NONE }, { P, false, false, true, BY_P },
	{ H, false, false, false, NONE }, { H, false, false, true, BY_P },
	{ B, false, false, false, NONE }, { B, false, false, true, BY_P },
	/* a stale "healthy" without a HEALTHCHECK means nothing */
	{ H, false, true, false, NONE },  { A, false, true, false, NONE },
	/* auto with a HEALTHCHECK: whichever comes first; the probe named when both */
	{ A, true, false, false, NONE }, { A, true, false, true, BY_P },
	{ A, true, true, false, BY_H },  { A, true, true, true, BY_P },
	/* probe: Docker's status does not count */
	{ P, true, false, false, NONE }, { P, true, true, false, NONE },
	{ P, true, false, true, BY_P },  { P, true, true, true, BY_P },
	/* health: the probe does not count */
	{ H, true, false, false, NONE }, { H, true, false, true, NONE },
	{ H, true, true, false, BY_H },  { H, true, true, true, BY_H },
	/* both: both */
	{ B, true, false, false, NONE }, { B, true, false, true, NONE },
	{ B, true, true, false, NONE },  { B, true, true, true, BY_B },
};
/* clang-format on */

static void
test_decide(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_OF(decide_cases); i++) {
		const struct decide_case *c = &decide_cases[i];
		struct readiness_in in = { (enum readiness_mode)c->mode, c->hc, c->healthy,
		    c->probe_ok };

		if ((int)readiness_decide(&in) != c->want)
			fail_msg("case %zu: mode %s hc %d healthy %d probe %d: got %d want %d", i,
			    readiness_mode_name(in.mode), c->hc, c->healthy, c->probe_ok,
			    (int)readiness_decide(&in), c->want);
	}
}

/* Who probes: while starting, every mode but health-with-a-HEALTHCHECK; once ready,
 * only where the probe decides (or is all there is). */
static void
test_probes(void **state)
{
	(void)state;
	for (int m = 0; m < READINESS_MODES; m++) {
		assert_true(readiness_probes((enum readiness_mode)m, false));
		assert_true(readiness_probes_ready((enum readiness_mode)m, false));
	}
	assert_true(readiness_probes(READINESS_AUTO, true));
	assert_true(readiness_probes(READINESS_PROBE, true));
	assert_false(readiness_probes(READINESS_HEALTH, true));
	assert_true(readiness_probes(READINESS_BOTH, true));
	assert_false(readiness_probes_ready(READINESS_AUTO, true));
	assert_true(readiness_probes_ready(READINESS_PROBE, true));
	assert_false(readiness_probes_ready(READINESS_HEALTH, true));
	assert_true(readiness_probes_ready(READINESS_BOTH, true));
}

/* The schedule doc/readiness.md documents, at and around each step. */
static void
test_schedule(void **state)
{
	static const struct {
		int64_t since, want;
	} rows[] = {
		{ 0, 25 },     { 1999, 25 },  { 2000, 50 },   { 3999, 50 },
		{ 4000, 100 }, { 7999, 100 }, { 8000, 250 },  { 14999, 250 },
		{ 15000, READINESS_SLOW_MS }, { 600000, READINESS_SLOW_MS },
		{ -5, 25 }, /* a clock step back: still fast */
	};
	int64_t t = 0;
	int probes = 0;

	(void)state;
	for (size_t i = 0; i < N_OF(rows); i++)
		assert_int_equal(readiness_probe_delay_ms(rows[i].since), rows[i].want);
	/* never slower than the old fixed pace, and about 80 + 40 + 40 + 28 probes in
	 * the first 15 s */
	for (; t < 15000; t += readiness_probe_delay_ms(t)) {
		assert_true(readiness_probe_delay_ms(t) <= READINESS_SLOW_MS);
		probes++;
	}
	assert_int_equal(probes, 80 + 40 + 40 + 28);
}

static void
test_names(void **state)
{
	(void)state;
	for (int m = 0; m < READINESS_MODES; m++)
		assert_int_equal(readiness_mode_parse(readiness_mode_name((enum readiness_mode)m)),
		    m);
	assert_int_equal(readiness_mode_parse("Auto"), -1);
	assert_int_equal(readiness_mode_parse(""), -1);
	assert_int_equal(readiness_mode_parse("probes"), -1);
	assert_null(readiness_by_name(READY_BY_NONE));
	assert_string_equal(readiness_by_name(READY_BY_PROBE), "probe");
	assert_string_equal(readiness_by_name(READY_BY_HEALTH), "health");
	assert_string_equal(readiness_by_name(READY_BY_BOTH), "both");
}

/* [service] readiness: each mode parses, auto is the default, and every bad value is a
 * FILE:LINE error that names the modes (dockscale.conf(5)). */
static int
load(const char *text, struct config *c, struct config_errors *e)
{
	FILE *fp = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(fp);
	memset(e, 0, sizeof(*e));
	rc = config_load_stream(fp, "r.conf", c, e);
	fclose(fp);
	return rc;
}

static void
test_config_key(void **state)
{
	static const char *const bad[] = { "Auto", "", "probe,health", "health both", "yes",
	    "0" };
	struct config c;
	struct config_errors e;
	char text[256], want[160];

	(void)state;
	assert_int_equal(load("[service web]\nimage = a\n", &c, &e), 0);
	assert_int_equal(c.svcs[0].readiness, READINESS_AUTO);
	config_free(&c);
	for (int m = 0; m < READINESS_MODES; m++) {
		snprintf(text, sizeof(text), "[service web]\nimage = a\nreadiness = %s\n",
		    readiness_mode_name((enum readiness_mode)m));
		assert_int_equal(load(text, &c, &e), 0);
		assert_int_equal(c.svcs[0].readiness, m);
		config_free(&c);
	}
	for (size_t i = 0; i < N_OF(bad); i++) {
		snprintf(text, sizeof(text), "[service web]\nimage = a\n\nreadiness = %s\n",
		    bad[i]);
		snprintf(want, sizeof(want), "r.conf:4: readiness: '%s' is not one of auto, "
		    "probe, health, both", bad[i]);
		assert_int_equal(load(text, &c, &e), -1);
		assert_int_equal(e.n, 1);
		assert_string_equal(e.msg[0], want);
		config_errors_free(&e);
	}
	/* twice, and outside [service] */
	assert_int_equal(load("[service web]\nimage = a\nreadiness = probe\nreadiness = both\n"
	    "[daemon]\nreadiness = probe\n", &c, &e), -1);
	assert_int_equal(e.n, 2);
	assert_non_null(strstr(e.msg[0], "r.conf:4: duplicate key 'readiness' (first on line 3)"));
	assert_non_null(strstr(e.msg[1], "r.conf:6:"));
	assert_non_null(strstr(e.msg[1], "readiness"));
	config_errors_free(&e);
}

/* [service] sleep (doc/waking.md, "Sleeping: stop or pause"): stop is the default, a bad
 * value is a FILE:LINE error, pause beside runtime = swarm too, and beside min_replicas > 0
 * (given or the default) a warning on sleep's line. */
static void
test_sleep_key(void **state)
{
	struct config c;
	struct config_errors e;

	(void)state;
	assert_int_equal(load("[service web]\nimage = a\nmin_replicas = 0\n", &c, &e), 0);
	assert_int_equal(c.svcs[0].sleep, SLEEP_STOP);
	config_free(&c);
	assert_int_equal(load("[service web]\nimage = a\nmin_replicas = 0\nsleep = pause\n", &c,
	    &e), 0);
	assert_int_equal(c.svcs[0].sleep, SLEEP_PAUSE);
	assert_int_equal(c.warnings.n, 0);
	config_free(&c);
	assert_int_equal(load("[service web]\nimage = a\nsleep = Pause\n", &c, &e), -1);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.msg[0], "r.conf:3: sleep: 'Pause' is not one of stop, pause");
	config_errors_free(&e);
	assert_int_equal(load("[service web]\nruntime = swarm\nmetric = none\nmin_replicas = 0\n"
	    "sleep = pause\n", &c, &e), -1);
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.msg[0], "r.conf:5: service web: sleep = pause needs replicas"));
	config_errors_free(&e);
	/* never at zero: a warning, the file loads */
	assert_int_equal(load("[service web]\nimage = a\nsleep = pause\n", &c, &e), 0);
	assert_int_equal(c.warnings.n, 1);
	assert_non_null(strstr(c.warnings.v[0], "r.conf:3: service web: sleep = pause has no "
	    "effect with min_replicas = 1 (the default)"));
	config_free(&c);
	assert_int_equal(load("[service web]\nimage = a\nmin_replicas = 2\nsleep = pause\n", &c,
	    &e), 0);
	assert_int_equal(c.warnings.n, 1);
	assert_non_null(strstr(c.warnings.v[0], "r.conf:4: service web: sleep = pause has no "
	    "effect with min_replicas = 2: the service never goes to zero"));
	config_free(&c);
	/* stop says nothing */
	assert_int_equal(load("[service web]\nimage = a\nsleep = stop\n", &c, &e), 0);
	assert_int_equal(c.warnings.n, 0);
	config_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_probes),
		cmocka_unit_test(test_schedule),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_config_key),
		cmocka_unit_test(test_sleep_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
