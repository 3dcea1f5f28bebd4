/* pause.h: pause, resume and the manual-scale guard of a service. */
#ifndef DOCKSCALE_PAUSE_H
#define DOCKSCALE_PAUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct svc;
struct svc_feature;

/* Pause and the manual-scale guard (doc/api.md, "Pause and manual scale"). */
struct pause { /* owner: pause.c */
	bool paused;               /* the policy and alerts leave the service alone */
	int replicas;              /* the count it is held at while paused */
	int64_t since_unix_ms;     /* wall clock of the pause */
	bool manual;               /* a manual scale is settling: the policy waits */
	int manual_n;              /* the count asked for */
	int64_t manual_ready;      /* loop clock when its replicas were all ready; 0 = not yet */
	uint64_t manual_failed;    /* failed_starts when it was asked: a new failure ends it */
};

/* pause.c: pause, resume and the manual-scale guard (doc/api.md, "Pause and manual
 * scale"). */
/* Hold the service at n (n < 0: its current desired count). -1 when n is outside the
 * bounds (err says why; nothing changed). */
int pause_set(struct svc *s, int n, char *err, size_t errlen);
void pause_resume(struct svc *s);
/* A manual scale to n: the policy waits for its replicas and a fresh window. */
void pause_manual(struct svc *s, int n);
/* The service's pause, for the API and /metrics. */
const struct pause *pause_of(const struct svc *s);
/* The feature's hooks (featureset.c registers them): the policy and alerts hold while
 * paused or while a manual scale settles; a reload moves the held count. */
extern const struct svc_feature pause_feature;

#endif
