/* readiness.c: the readiness decision and the fast probe schedule (doc/readiness.md
 * "Readiness"), pure so that tests/unit/test_readiness.c can table them. */
#include <stddef.h>
#include <string.h>

#include "readiness.h"

static const char *const mode_names[] = {
	[READINESS_AUTO] = "auto", [READINESS_PROBE] = "probe",
	[READINESS_HEALTH] = "health", [READINESS_BOTH] = "both",
};
_Static_assert(sizeof(mode_names) / sizeof(mode_names[0]) == READINESS_MODES,
    "a readiness mode lacks a name");

/* The fast schedule: until `until` ms after the start, probe every `every` ms. A closed
 * port refuses at once, so early probes cost one connect each. */
static const struct {
	int64_t until, every;
} schedule[] = {
	{ 2000, 25 }, { 4000, 50 }, { 8000, 100 }, { 15000, 250 },
};

enum ready_by
readiness_decide(const struct readiness_in *in)
{
	/* Without a HEALTHCHECK Docker never says healthy: the probe is the only signal,
	 * whatever the mode. */
	if (!in->has_healthcheck)
		return in->probe_ok ? READY_BY_PROBE : READY_BY_NONE;
	switch (in->mode) {
	case READINESS_PROBE:
		return in->probe_ok ? READY_BY_PROBE : READY_BY_NONE;
	case READINESS_HEALTH:
		return in->healthy ? READY_BY_HEALTH : READY_BY_NONE;
	case READINESS_BOTH:
		return in->probe_ok && in->healthy ? READY_BY_BOTH : READY_BY_NONE;
	case READINESS_AUTO:
	default:
		if (in->probe_ok)
			return READY_BY_PROBE;
		return in->healthy ? READY_BY_HEALTH : READY_BY_NONE;
	}
}

bool
readiness_probes(enum readiness_mode mode, bool has_healthcheck)
{
	return !has_healthcheck || mode != READINESS_HEALTH;
}

bool
readiness_probes_ready(enum readiness_mode mode, bool has_healthcheck)
{
	/* auto and health leave a ready replica with a HEALTHCHECK to Docker, as before:
	 * its health_path may not even exist (the probe only sped its start up). */
	return !has_healthcheck || mode == READINESS_PROBE || mode == READINESS_BOTH;
}

int64_t
readiness_probe_delay_ms(int64_t since_ms)
{
	for (size_t i = 0; i < sizeof(schedule) / sizeof(schedule[0]); i++)
		if (since_ms < schedule[i].until)
			return schedule[i].every;
	return READINESS_SLOW_MS;
}

const char *
readiness_mode_name(enum readiness_mode m)
{
	return m < READINESS_MODES ? mode_names[m] : "?";
}

int
readiness_mode_parse(const char *s)
{
	for (int i = 0; i < READINESS_MODES; i++)
		if (strcmp(s, mode_names[i]) == 0)
			return i;
	return -1;
}

const char *
readiness_by_name(enum ready_by by)
{
	switch (by) {
	case READY_BY_PROBE:
		return "probe";
	case READY_BY_HEALTH:
		return "health";
	case READY_BY_BOTH:
		return "both";
	default:
		return NULL;
	}
}
