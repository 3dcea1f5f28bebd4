/* pause.h: pause, resume and the manual-scale guard of a service. */
#ifndef DOCKSCALE_PAUSE_H
#define DOCKSCALE_PAUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct svc;

/* Pause and the manual-scale guard: owned and written by pause.c only (README.md,
 * "Pause and manual scale"). */
struct pause {
	bool paused;               /* the policy and alerts leave the service alone */
	int replicas;              /* the count it is held at while paused */
	int64_t since_unix_ms;     /* wall clock of the pause */
	bool manual;               /* a manual scale is settling: the policy waits */
	int manual_n;              /* the count asked for */
	int64_t manual_ready;      /* loop clock when its replicas were all ready; 0 = not yet */
	uint64_t manual_failed;    /* failed_starts when it was asked: a new failure ends it */
};

/* pause.c: pause, resume and the manual-scale guard (README.md, "Pause and manual
 * scale"). */
/* Hold the service at n (n < 0: its current desired count). -1 when n is outside the
 * bounds (err says why; nothing changed). */
int pause_set(struct svc *s, int n, char *err, size_t errlen);
void pause_resume(struct svc *s);
/* A manual scale to n: the policy waits for its replicas and a fresh window. */
void pause_manual(struct svc *s, int n);
/* Must the policy hold now? why says so (into out->reason by the caller). */
bool pause_holds_policy(struct svc *s, int64_t now, char *why, size_t n);
/* A reload: the held count follows new bounds. */
void pause_conf(struct svc *s);

#endif
