/* schedule.h: scheduled bounds, a feature: the window in force replaces the service's
 * min_replicas and max_replicas (doc/scaling.md, "Scheduled bounds"). */
#ifndef DOCKSCALE_SCHEDULE_H
#define DOCKSCALE_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"

struct svc;

/* A service's schedule now (the feature's state, svc_ext): worked out at each change and
 * at each (re)load, not at each pass. */
struct schedule { /* owner: schedule.c */
	struct svc *s;
	struct loop_timer timer;   /* fires at the next change (and at least hourly) */
	int active;                /* the window in force (conf->schedule.w), -1 none */
	int min, max;              /* the bounds in force */
	int64_t next_unix_ms;      /* the next change; 0 none */
	int next_window;           /* the window that begins then; -1: an end */
	char until[32];            /* the next change in local time: "19:00", "Sat 10:00" */
};

struct svc_feature;
extern const struct svc_feature schedule_feature;
/* "Mon-Fri 08:00-19:00 in force: min 4, max 10 until 19:00 Europe/Berlin" for explain:
 * 0, or -1 when the service has no schedule. */
int schedule_words(const struct svc *s, char *buf, size_t len);

#endif
