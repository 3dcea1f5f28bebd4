/* schedule.c: scheduled bounds (doc/scaling.md, "Scheduled bounds"): the window in force
 * in the service's timezone replaces min_replicas/max_replicas through the `bounds` hook,
 * and a change of window moves desired into the new bounds at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "dockscaled.h"
#include "log.h"
#include "schedule.h"
#include "schedule_calc.h"
#include "service.h"

#define RECHECK_MS (3600 * 1000) /* a wall clock that jumps is noticed within this */
#define LATE_MS 5                /* fire just past the change, never before it */

static struct schedule *
st_of(const struct svc *s)
{
	return svc_ext(s, &schedule_feature);
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The daemon is single-threaded: the zone is TZ's while a computation runs, and what it
 * was before afterwards (the log's own times stay the host's). */
struct tz_saved {
	bool set;            /* TZ was changed */
	bool had;            /* ... and had a value, old */
	char old[256];
};

static void
tz_enter(const char *zone, struct tz_saved *sv)
{
	const char *o = getenv("TZ");
	char v[CONFIG_TZ_MAX + 2];
	int n;

	sv->set = false;
	if (zone == NULL || zone[0] == '\0')
		return; /* the host's local time */
	n = snprintf(v, sizeof v, ":%s", zone);
	if (n < 0 || (size_t)n >= sizeof v)
		return;
	sv->had = o != NULL;
	if (o != NULL) {
		n = snprintf(sv->old, sizeof sv->old, "%s", o);
		if (n < 0 || (size_t)n >= sizeof sv->old)
			return; /* could not be put back: leave TZ alone */
	}
	if (setenv("TZ", v, 1) == -1)
		return;
	sv->set = true;
	tzset();
}

static void
tz_leave(const struct tz_saved *sv)
{
	if (!sv->set)
		return;
	if (sv->had)
		(void)setenv("TZ", sv->old, 1);
	else
		(void)unsetenv("TZ");
	tzset();
}

static long
offset(int64_t t, void *arg)
{
	time_t tt = (time_t)t;
	struct tm tm;

	(void)arg;
	return localtime_r(&tt, &tm) != NULL ? tm.tm_gmtoff : 0;
}

static const char *
zone_name(const struct svc_conf *c)
{
	return c->timezone != NULL && c->timezone[0] != '\0' ? c->timezone : "local time";
}

/* Work the window in force out at now_ms; the timer is armed for the next change. Sets
 * the bounds in force from it. */
static void
compute(struct svc *s, struct schedule *st, int64_t now_ms)
{
	const struct svc_conf *c = s->conf;
	struct sched_now at;
	struct tz_saved sv;
	int64_t delay = RECHECK_MS;

	st->active = -1;
	st->next_window = -1;
	st->next_unix_ms = 0;
	st->until[0] = '\0';
	st->min = c != NULL ? c->dp.min_replicas : 0;
	st->max = c != NULL ? c->dp.max_replicas : 0;
	loop_timer_stop(&s->d->loop, &st->timer);
	if (c == NULL || c->schedule.n == 0)
		return;
	tz_enter(c->timezone, &sv);
	sched_at(c->schedule.w, c->schedule.n, now_ms / 1000, offset, NULL, &at);
	if (at.next > 0) {
		time_t nt = (time_t)at.next, tn = (time_t)(now_ms / 1000);
		struct tm a, b;

		/* "19:00" today, else "Sat 10:00" */
		if (localtime_r(&nt, &a) != NULL && localtime_r(&tn, &b) != NULL &&
		    strftime(st->until, sizeof st->until, a.tm_yday == b.tm_yday &&
		    a.tm_year == b.tm_year ? "%H:%M" : "%a %H:%M", &a) == 0)
			st->until[0] = '\0';
	}
	tz_leave(&sv);
	st->active = at.active;
	st->next_window = at.next_window;
	st->next_unix_ms = at.next * 1000;
	if (at.active >= 0) {
		const struct sched_window *w = &c->schedule.w[at.active];

		if (w->min >= 0)
			st->min = w->min;
		if (w->max >= 0)
			st->max = w->max;
	}
	if (at.next > 0 && at.next * 1000 - now_ms + LATE_MS < delay)
		delay = at.next * 1000 - now_ms + LATE_MS;
	if (delay < LATE_MS)
		delay = LATE_MS;
	loop_timer_start(&s->d->loop, &st->timer, delay);
}

/* The window changed (or the configuration): desired into the new bounds now, not at the
 * next decision. Leaving a window, a service without a metric (metric = none, nothing
 * else to bring it down) drops what only the window's min held. */
static void
apply(struct svc *s, struct schedule *st, int old_active, int old_min)
{
	const struct svc_conf *c = s->conf;
	char why[SCHED_TEXT_MAX + 64];
	int want = s->desired;

	if (c == NULL || !s->desired_set)
		return; /* the first observation sets desired, within these bounds */
	if (old_active >= 0 && c->metrics == 0 && s->desired == old_min && old_min > st->min)
		want = st->min;
	if (want < st->min)
		want = st->min;
	if (want > st->max)
		want = st->max;
	if (st->active >= 0)
		(void)snprintf(why, sizeof why, "schedule: %s", c->schedule.w[st->active].text);
	else
		(void)snprintf(why, sizeof why, "schedule: no window, the service's bounds");
	if (want != s->desired || old_active != st->active)
		log_info("%s: %s in force: min %d, max %d", s->name, why, st->min, st->max);
	if (want != s->desired)
		svc_set_desired(s, want, why);
}

static void
recompute(struct svc *s)
{
	struct schedule *st = st_of(s);
	int old_active = st->active, old_min = st->min;

	compute(s, st, wall_ms());
	apply(s, st, old_active, old_min);
}

static void
on_timer(struct loop *l, struct loop_timer *t)
{
	struct schedule *st = t->arg;

	(void)l;
	recompute(st->s);
}

static void *
init(struct svc *s)
{
	struct schedule *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	st->s = s;
	st->active = -1;
	st->next_window = -1;
	loop_timer_init(&st->timer, on_timer, st);
	return st;
}

static void
fini(struct svc *s, void *state)
{
	struct schedule *st = state;

	loop_timer_stop(&s->d->loop, &st->timer);
	free(st);
}

static void
on_conf(struct svc *s, bool first)
{
	(void)first;
	recompute(s);
}

static bool
bounds(const struct svc *s, int *min, int *max)
{
	const struct schedule *st = st_of(s);

	if (st == NULL || s->conf == NULL || s->conf->schedule.n == 0)
		return false;
	*min = st->min;
	*max = st->max;
	return true;
}

/* The window's days and times, without its bounds: "Mon-Fri 08:00-19:00". */
static void
when(const struct sched_window *w, char *buf, size_t len)
{
	const char *sp = strchr(w->text, ' ');
	const char *sp2 = sp != NULL ? strchr(sp + 1, ' ') : NULL;
	int n = sp2 != NULL ? (int)(sp2 - w->text) : (int)strlen(w->text);

	(void)snprintf(buf, len, "%.*s", n, w->text);
}

int
schedule_words(const struct svc *s, char *buf, size_t len)
{
	const struct schedule *st = st_of(s);
	const struct svc_conf *c = s->conf;
	char win[SCHED_TEXT_MAX], next[SCHED_TEXT_MAX + CONFIG_TZ_MAX + 64] = "";
	int n;

	if (st == NULL || c == NULL || c->schedule.n == 0)
		return -1;
	if (st->next_unix_ms > 0 && st->active < 0 && st->next_window >= 0) {
		when(&c->schedule.w[st->next_window], win, sizeof win);
		(void)snprintf(next, sizeof next, " until %s %s (%s)", st->until, zone_name(c), win);
	} else if (st->next_unix_ms > 0) {
		(void)snprintf(next, sizeof next, " until %s %s", st->until, zone_name(c));
	}
	if (st->active >= 0) {
		when(&c->schedule.w[st->active], win, sizeof win);
		n = snprintf(buf, len, "%s in force: min %d, max %d%s", win, st->min, st->max,
		    next);
	} else {
		n = snprintf(buf, len, "no window in force: min %d, max %d (the service's)%s",
		    st->min, st->max, next);
	}
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static void
status(const struct svc *s, cJSON *o, int64_t now)
{
	const struct schedule *st = st_of(s);
	const struct svc_conf *c = s->conf;
	cJSON *x, *ws;

	(void)now;
	if (c == NULL || c->schedule.n == 0 || st == NULL) {
		cJSON_AddNullToObject(o, "schedule");
		return;
	}
	if ((x = cJSON_AddObjectToObject(o, "schedule")) == NULL)
		return;
	if (st->active >= 0)
		cJSON_AddStringToObject(x, "active", c->schedule.w[st->active].text);
	else
		cJSON_AddNullToObject(x, "active");
	cJSON_AddNumberToObject(x, "min", st->min);
	cJSON_AddNumberToObject(x, "max", st->max);
	if (st->next_unix_ms > 0) {
		cJSON_AddNumberToObject(x, "next_change_unix_ms", (double)st->next_unix_ms);
		cJSON_AddStringToObject(x, "next_change_local", st->until);
	} else {
		cJSON_AddNullToObject(x, "next_change_unix_ms");
		cJSON_AddNullToObject(x, "next_change_local");
	}
	if (st->next_window >= 0)
		cJSON_AddStringToObject(x, "next_window", c->schedule.w[st->next_window].text);
	else
		cJSON_AddNullToObject(x, "next_window");
	cJSON_AddStringToObject(x, "timezone", zone_name(c));
	if ((ws = cJSON_AddArrayToObject(x, "windows")) != NULL)
		for (size_t i = 0; i < c->schedule.n; i++)
			cJSON_AddItemToArray(ws, cJSON_CreateString(c->schedule.w[i].text));
}

const struct svc_feature schedule_feature = {
	.name = "schedule",
	.init = init,
	.fini = fini,
	.conf = on_conf,
	.bounds = bounds,
	.status = status,
};
