/* readiness.h: when a starting replica may join the balancer, and how fast it is probed
 * meanwhile (doc/readiness.md). Pure: no I/O, no clock. */
#ifndef DOCKSCALE_READINESS_H
#define DOCKSCALE_READINESS_H

#include <stdbool.h>
#include <stdint.h>

/* [service] readiness; auto is the default (0: a zeroed svc_conf). */
enum readiness_mode {
	READINESS_AUTO = 0, /* with a HEALTHCHECK: the probe or Docker's healthy, first wins */
	READINESS_PROBE,    /* the daemon's HTTP probe of health_path */
	READINESS_HEALTH,   /* Docker's health status */
	READINESS_BOTH,     /* the probe and Docker's healthy */
	READINESS_MODES,
};

/* Which signal made a replica ready. */
enum ready_by { READY_BY_NONE = 0, READY_BY_PROBE, READY_BY_HEALTH, READY_BY_BOTH };

/* What is known of a starting replica. */
struct readiness_in {
	enum readiness_mode mode;
	bool has_healthcheck; /* its container has a HEALTHCHECK (image's or `healthcheck`) */
	bool healthy;         /* Docker's health status is "healthy" */
	bool probe_ok;        /* a probe of health_path answered 2xx/3xx since it started */
};

/* READY_BY_NONE while it must wait; else the signal that lets it join. */
enum ready_by readiness_decide(const struct readiness_in *in);
/* A starting replica is probed over HTTP (the fast schedule). */
bool readiness_probes(enum readiness_mode mode, bool has_healthcheck);
/* A ready replica is probed at each refresh and replaced after failed probes. */
bool readiness_probes_ready(enum readiness_mode mode, bool has_healthcheck);

/* The fast schedule: the wait before the next probe of a replica started since_ms ago
 * (doc/readiness.md: 25 ms for 2 s, 50 ms to 4 s, 100 ms to 8 s, 250 ms to 15 s,
 * then READINESS_SLOW_MS). */
#define READINESS_SLOW_MS 500
int64_t readiness_probe_delay_ms(int64_t since_ms);

const char *readiness_mode_name(enum readiness_mode m);
/* -1 when s names no mode. */
int readiness_mode_parse(const char *s);
/* "probe", "health", "both"; NULL for READY_BY_NONE. */
const char *readiness_by_name(enum ready_by by);

#endif
