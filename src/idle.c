/* idle.c: an idle service goes to sleep on its own (idle_after), and waking a service
 * wakes what it depends on first (depends_on); doc/sleeping.md. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "dockscaled.h"
#include "events.h"
#include "idle.h"
#include "lb.h"
#include "log.h"
#include "netconn.h"
#include "pause.h"
#include "reqstat.h"
#include "service.h"
#include "text.h"
#include "wake.h"

static struct idle *
st_of(const struct svc *s)
{
	return svc_ext(s, &idle_feature);
}

const struct idle *
idle_of(const struct svc *s)
{
	return st_of(s);
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool
depends_on(const struct svc *s, const struct svc *dep)
{
	if (s->conf == NULL)
		return false;
	for (size_t i = 0; i < s->conf->depends_on.n; i++)
		if (strcmp(s->conf->depends_on.v[i], dep->name) == 0)
			return true;
	return false;
}

/* Awake: something runs or is wanted. Paused replicas (sleep = pause) are not running. */
static bool
awake(const struct svc *s)
{
	return s->desired > 0 || svc_current(s) > 0;
}

/* Asleep now (the state's own flag follows at the next pass) and since when. */
static bool
asleep_now(const struct svc *s, const struct idle *st, int64_t *since_unix_ms)
{
	bool a = !awake(s);

	if (since_unix_ms != NULL)
		*since_unix_ms = a == st->asleep ? st->since_unix_ms : wall_ms();
	return a;
}

/* Sleep and wake, however they came (idle_after, the API, the policy, a request). */
static void
track(struct svc *s, struct idle *st, int64_t now)
{
	bool up = awake(s);

	if (!up && !st->asleep) {
		st->asleep = true;
		st->since_unix_ms = wall_ms();
	} else if (up && st->asleep) {
		st->asleep = false;
		st->wakes++;
		st->since_unix_ms = wall_ms();
		st->awake_ms = now;
	}
}

/* Requests in flight at its replicas now: the balancer's counters say so, and with an
 * access log (a line only at a request's end) the kernel's table of each replica's
 * connections does. true when some are, or when it cannot be known. */
static bool
in_flight(const struct svc *s, char *why, size_t len)
{
	const struct svc_conf *c = s->conf;
	unsigned total = 0;
	size_t relayed = wake_in_flight(s);

	/* Its wake listener relays them while the balancer still lists it (HAProxy counts
	 * those at the wake server, not at a replica). */
	if (relayed > 0) {
		text_format(why, len, "%zu request(s) at its wake listener", relayed);
		return true;
	}
	if (!lb_reads_log(s->tr.lb)) {
		if (s->rq.in_flight_total > 0) {
			text_format(why, len, "%.0f request(s) in flight at the balancer",
			    s->rq.in_flight_total);
			return true;
		}
		return false;
	}
	for (size_t i = 0; i < s->nreps; i++) {
		const struct replica *r = s->reps[i];
		unsigned n = 0;

		if (r->state != REP_READY && r->state != REP_STARTING)
			continue;
		if (r->pid <= 0 || netconn_count("/proc", r->pid, c->port, &n) == -1) {
			text_format(why, len, "the open connections of %s cannot be read (%s)", r->name,
			    r->pid <= 0 ? "no process yet" : strerror(errno));
			return true;
		}
		total += n;
	}
	if (total > 0) {
		text_format(why, len, "%u connection(s) open at its replicas", total);
		return true;
	}
	return false;
}

/* Something other than a request's arrival keeps it awake now: why says what. */
static bool
busy(const struct svc *s, char *why, size_t len)
{
	const struct svc_conf *c = s->conf;
	const struct dsd *d = s->d;
	struct lb *b = s->tr.lb;

	if (pause_of(s)->paused) {
		text_format(why, len, "paused: the policy and sleeping are off until resume");
		return true;
	}
	for (size_t i = 0; i < d->nsvcs; i++)
		if (d->svcs[i] != s && depends_on(d->svcs[i], s) && awake(d->svcs[i])) {
			text_format(why, len, "%s depends on it and is awake", d->svcs[i]->name);
			return true;
		}
	/* A service without traffic of its own (balancer = none) is idle when the services
	 * that need it are. No traffic data never counts as idle. */
	if (b != NULL && (lb_reads_log(b) || lb_has_traffic(b))) {
		if (lb_reads_log(b) && !reqstat_log_heard(d) && !s->rq.flowing) {
			text_format(why, len, "no traffic data: no line from nginx's access log yet");
			return true;
		}
		if (!lb_reads_log(b) && !s->rq.fig.have) {
			text_format(why, len, "no traffic data: %s", s->rq.why[0] != '\0' ? s->rq.why :
			    "the balancer's counters");
			return true;
		}
		if (in_flight(s, why, len))
			return true;
	}
	if (c->idle_cpu_below > 0) {
		double sum = 0;
		int n = 0;

		for (size_t i = 0; i < s->nreps; i++)
			if (s->reps[i]->state == REP_READY && s->reps[i]->smp.cpu_pct >= 0) {
				sum += s->reps[i]->smp.cpu_pct;
				n++;
			}
		if (n == 0 && svc_count(s, REP_READY) > 0) {
			text_format(why, len, "no CPU sample yet (idle_cpu_below)");
			return true;
		}
		if (n > 0 && sum / n >= c->idle_cpu_below) {
			text_format(why, len, "CPU %.1f%% is not below idle_cpu_below %g%%", sum / n,
			    c->idle_cpu_below);
			return true;
		}
	}
	return false;
}

static int64_t
max3(int64_t a, int64_t b, int64_t c)
{
	int64_t m = a > b ? a : b;

	return m > c ? m : c;
}

/* The loop time from which it has been quiet. */
static int64_t
quiet_from(const struct svc *s, const struct idle *st)
{
	return max3(st->busy_ms, st->awake_ms, s->rq.last_req_ms);
}

static void
last_request(const struct svc *s, int64_t now, char *buf, size_t len)
{
	const struct svc_reqs *q = &s->rq;

	if (q->last_req_ms == 0) {
		text_format(buf, len, "no request since the daemon started");
		return;
	}
	if (q->last_path[0] != '\0')
		text_format(buf, len, "last request %.1f s ago (%s, %s)",
		    (double)(now - q->last_req_ms) / 1000.0, q->last_path,
		    q->last_agent[0] != '\0' ? q->last_agent : "no User-Agent");
	else
		text_format(buf, len, "last request %.1f s ago", (double)(now - q->last_req_ms) / 1000.0);
}

static void
check_idle(struct svc *s, struct idle *st, int64_t now)
{
	const struct svc_conf *c = s->conf;
	char why[sizeof st->busy_why], last[160];
	int64_t quiet;

	if (c == NULL || c->idle_after_ms == 0 || s->desired == 0)
		return;
	if (busy(s, why, sizeof why)) {
		st->busy_ms = now;
		memcpy(st->busy_why, why, sizeof why);
		return;
	}
	st->busy_why[0] = '\0';
	quiet = now - quiet_from(s, st);
	if (quiet < c->idle_after_ms)
		return;
	st->sleeps++;
	last_request(s, now, last, sizeof last);
	events_log(&s->d->events, LOG_NOTICE, EV_SLEEP, s->name,
	    "%s: idle for %.1f s (idle_after %.1f s; %s): going to sleep, desired %d -> 0",
	    s->name, (double)quiet / 1000.0, (double)c->idle_after_ms / 1000.0, last,
	    s->desired);
	svc_set_desired(s, 0, NULL);
}

/* Are all of s's dependencies serving? Those asleep are woken (once each). */
static bool
deps_ready(struct svc *s, bool wake)
{
	const struct svc_conf *c = s->conf;
	bool ready = true;

	if (c == NULL)
		return true;
	for (size_t i = 0; i < c->depends_on.n; i++) {
		struct svc *dep = svc_find(s->d, c->depends_on.v[i]);

		if (dep == NULL || svc_count(dep, REP_READY) > 0)
			continue;
		ready = false;
		if (wake && dep->desired == 0 && dep->conf != NULL) {
			events_log(&s->d->events, LOG_NOTICE, EV_WAKE, dep->name,
			    "%s: woken for %s (depends_on): starting a replica", dep->name, s->name);
			svc_set_desired(dep, 1, NULL);
		}
	}
	return ready;
}

static bool
may_create(struct svc *s)
{
	struct idle *st = st_of(s);

	if (deps_ready(s, true)) {
		if (st->waiting)
			log_info("%s: its dependencies serve: creating", s->name);
		st->waiting = false;
		return true;
	}
	if (!st->waiting)
		events_log(&s->d->events, LOG_INFO, EV_WAKE, s->name,
		    "%s: waiting for its dependencies (depends_on) to be ready before a replica "
		    "starts", s->name);
	st->waiting = true;
	return false;
}

/* A dependency has a ready replica: the services waiting for it may go on at once. */
static void
replica_ready(struct replica *r)
{
	const struct dsd *d = r->svc->d;

	for (size_t i = 0; i < d->nsvcs; i++)
		if (st_of(d->svcs[i])->waiting && depends_on(d->svcs[i], r->svc))
			svc_kick(d->svcs[i]);
}

static void
observe(struct svc *s)
{
	struct idle *st = st_of(s);
	int64_t now = loop_now(&s->d->loop);

	track(s, st, now);
	if (st->waiting && deps_ready(s, false))
		svc_kick(s);
	check_idle(s, st, now);
}

static void *
init(struct svc *s)
{
	struct idle *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	st->awake_ms = st->busy_ms = loop_now(&s->d->loop);
	st->since_unix_ms = wall_ms();
	return st;
}

static void
fini(struct svc *s, void *state)
{
	(void)s;
	free(state);
}

static void
fmt_dur(char *buf, size_t len, int64_t ms)
{
	if (ms < 60000)
		text_format(buf, len, "%.1f s", (double)ms / 1000.0);
	else if (ms < 3600000)
		text_format(buf, len, "%.1f min", (double)ms / 60000.0);
	else
		text_format(buf, len, "%.1f h", (double)ms / 3600000.0);
}

int
idle_words(const struct svc *s, int64_t now, char *buf, size_t len)
{
	const struct idle *st = st_of(s);
	const struct svc_conf *c = s->conf;
	char since[32], dur[32], last[160];
	int64_t since_ms;
	bool a = st != NULL && asleep_now(s, st, &since_ms);
	time_t t;
	struct tm tm;

	if (c == NULL || st == NULL || (c->idle_after_ms == 0 && !a))
		return -1;
	t = (time_t)(since_ms / 1000);
	if (gmtime_r(&t, &tm) == NULL || strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ",
	    &tm) == 0)
		(void)snprintf(since, sizeof since, "?");
	if (a) {
		fmt_dur(dur, sizeof dur, wall_ms() - since_ms);
		text_format(buf, len, "asleep since %s, for %s; a request wakes it", since, dur);
		return 0;
	}
	last_request(s, now, last, sizeof last);
	if (c->idle_after_ms == 0) {
		text_format(buf, len, "awake: %s", last);
		return 0;
	}
	if (st->busy_why[0] != '\0') {
		text_format(buf, len, "awake: %s; kept awake: %s", last, st->busy_why);
		return 0;
	}
	fmt_dur(dur, sizeof dur, now - quiet_from(s, st));
	text_format(buf, len, "awake: %s; idle for %s of idle_after %.0f s", last, dur,
	    (double)c->idle_after_ms / 1000.0);
	return 0;
}

static void
status(const struct svc *s, cJSON *o, int64_t now)
{
	const struct idle *st = st_of(s);
	const struct svc_conf *c = s->conf;
	cJSON *x = cJSON_CreateObject(), *deps;
	int64_t since;
	bool a = asleep_now(s, st, &since);

	if (x == NULL)
		return;
	cJSON_AddNumberToObject(x, "idle_after_ms", c != NULL ? (double)c->idle_after_ms : 0);
	cJSON_AddBoolToObject(x, "asleep", a);
	cJSON_AddNumberToObject(x, "since_unix_ms", (double)since);
	if (!a && c != NULL && c->idle_after_ms > 0)
		cJSON_AddNumberToObject(x, "idle_ms", (double)(now - quiet_from(s, st)));
	else
		cJSON_AddNullToObject(x, "idle_ms");
	if (s->rq.last_req_ms > 0) {
		cJSON *l = cJSON_AddObjectToObject(x, "last_request");

		if (l != NULL) {
			cJSON_AddNumberToObject(l, "ago_ms", (double)(now - s->rq.last_req_ms));
			cJSON_AddStringToObject(l, "path", s->rq.last_path);
			cJSON_AddStringToObject(l, "user_agent", s->rq.last_agent);
		}
	} else {
		cJSON_AddNullToObject(x, "last_request");
	}
	if (st->busy_why[0] != '\0' && !a)
		cJSON_AddStringToObject(x, "kept_awake_by", st->busy_why);
	else
		cJSON_AddNullToObject(x, "kept_awake_by");
	cJSON_AddNumberToObject(x, "ignored_requests_total", (double)s->rq.ignored);
	cJSON_AddNumberToObject(x, "sleeps_total", (double)st->sleeps);
	cJSON_AddNumberToObject(x, "wakes_total", (double)st->wakes);
	if ((deps = cJSON_AddArrayToObject(x, "depends_on")) != NULL && c != NULL)
		for (size_t i = 0; i < c->depends_on.n; i++)
			cJSON_AddItemToArray(deps, cJSON_CreateString(c->depends_on.v[i]));
	cJSON_AddBoolToObject(x, "waiting_for_dependencies", st->waiting);
	cJSON_AddItemToObject(o, "sleep", x);
}

void
idle_metrics(struct buf *b, const struct dsd *d)
{
	buf_printf(b, "# HELP dockscale_asleep 1 while the service is asleep (at zero, nothing "
	    "running).\n# TYPE dockscale_asleep gauge\n");
	for (size_t i = 0; i < d->nsvcs; i++)
		buf_printf(b, "dockscale_asleep{service=\"%s\"} %d\n", d->svcs[i]->name,
		    asleep_now(d->svcs[i], st_of(d->svcs[i]), NULL) ? 1 : 0);
	buf_printf(b, "# HELP dockscale_sleeps_total Times idle_after put the service to "
	    "sleep.\n# TYPE dockscale_sleeps_total counter\n");
	for (size_t i = 0; i < d->nsvcs; i++)
		buf_printf(b, "dockscale_sleeps_total{service=\"%s\"} %" PRIu64 "\n",
		    d->svcs[i]->name, st_of(d->svcs[i])->sleeps);
	buf_printf(b, "# HELP dockscale_asleep_wakes_total Times the service woke from asleep, "
	    "by any route.\n# TYPE dockscale_asleep_wakes_total counter\n");
	for (size_t i = 0; i < d->nsvcs; i++)
		buf_printf(b, "dockscale_asleep_wakes_total{service=\"%s\"} %" PRIu64 "\n",
		    d->svcs[i]->name, st_of(d->svcs[i])->wakes);
}

const struct svc_feature idle_feature = {
	.name = "idle",
	.init = init,
	.fini = fini,
	.observe = observe,
	.may_create = may_create,
	.may_unpause = may_create,
	.replica_ready = replica_ready,
	.status = status,
};
