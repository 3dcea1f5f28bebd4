/* schedule_calc.h: scheduled bounds' windows (doc/scaling.md, "Scheduled bounds"): their
 * parser and which one is in force at an instant, pure (no clock, no zone of its own). */
#ifndef DOCKSCALE_SCHEDULE_CALC_H
#define DOCKSCALE_SCHEDULE_CALC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCHED_WINDOWS_MAX 32   /* schedule lines per service */
#define SCHED_TEXT_MAX 64      /* a window as written, normalised */
#define SCHED_REPLICAS_MAX 1000 /* the bound the configuration puts on max_replicas */
#define SCHED_DAY_S 86400

/* One `schedule = DAYS HH:MM[:SS]-HH:MM[:SS] [min=N] [max=M]` line. */
struct sched_window {
	unsigned days;              /* bit 0 Monday .. bit 6 Sunday: the days it starts on */
	int start, end;             /* seconds after local midnight; end <= start: it ends the
	                             * next day; end 86400 is 24:00 */
	int min, max;               /* -1: not given (the service's own) */
	int line;                   /* its line in the configuration (0 none) */
	char text[SCHED_TEXT_MAX];  /* "Mon-Fri 08:00-19:00 min=4 max=10" */
};

/* Parse v into *w. 0, or -1 with why in err. */
int sched_parse(const char *v, struct sched_window *w, char *err, size_t errlen);
/* Do a and b share a second of the week (a window crossing midnight, Sunday's into
 * Monday, included)? */
bool sched_overlap(const struct sched_window *a, const struct sched_window *b);

/* The zone: its offset east of UTC in seconds at the UTC instant t (tm_gmtoff). */
typedef long (*sched_offset_fn)(int64_t t, void *arg);

struct sched_now {
	int active;        /* index of the window in force; -1 none */
	int64_t since;     /* it began at this UTC instant (s); 0 none */
	int64_t next;      /* the next change (a window ends or begins), UTC s; 0 none */
	int next_window;   /* the window that begins then; -1: none begins (an end) */
};

/* Which of w[0..n) is in force at the UTC instant t (s) in the zone off gives, and the
 * next change. A window's start and end are the first instants whose local time
 * reaches them: a time that a DST change skips is the change's instant, a time that
 * happens twice its first occurrence (doc/scaling.md, "Scheduled bounds"). */
void sched_at(const struct sched_window *w, size_t n, int64_t t, sched_offset_fn off,
    void *arg, struct sched_now *out);

/* The first UTC instant whose local time (local seconds since the epoch, as if the zone
 * were UTC) is at least local. */
int64_t sched_boundary(int64_t local, sched_offset_fn off, void *arg);

#endif
