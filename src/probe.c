/* probe.c: the daemon's HTTP probe of a replica's health_path: on a fast schedule while
 * it starts, once per refresh when ready (doc/readiness.md). Probes are libcurl
 * multi transfers: nothing here blocks the loop. */
#include <stdio.h>

#include "dockscaled.h"
#include "log.h"
#include "probe.h"
#include "service.h"

#define PROBE_TIMEOUT_MS 2000
#define PROBE_URL_MAX 256

/* config.c bounds health_path so that every probe URL fits (doc/configuration.md, "Choices
 * the spec left open"). */
_Static_assert(sizeof("http://") - 1 + sizeof(((struct replica *)0)->addr) - 1 +
    CONFIG_HEALTH_PATH_MAX < PROBE_URL_MAX, "health_path bound does not fit the probe URL");

static void on_fast(struct loop *l, struct loop_timer *t);

void
probe_init(struct replica *r, const struct probe_ops *ops)
{
	r->pr.ops = ops;
	loop_timer_init(&r->pr.timer, on_fast, r);
}

void
probe_stop(struct replica *r)
{
	struct dsd *d = r->svc->d;

	loop_timer_stop(&d->loop, &r->pr.timer);
	if (r->pr.xfer != NULL)
		httpc_cancel(d->httpc, r->pr.xfer);
	r->pr.xfer = NULL;
}

void
probe_fini(struct replica *r)
{
	probe_stop(r);
}

void
probe_reset(struct replica *r)
{
	r->pr.failures = 0;
}

void
probe_became_ready(struct replica *r)
{
	r->pr.failures = 0;
	loop_timer_stop(&r->svc->d->loop, &r->pr.timer);
}

static bool
wanted_starting(const struct replica *r)
{
	return r->state == REP_STARTING && r->inspected &&
	    readiness_probes(svc_readiness_mode(r->svc), r->has_healthcheck);
}

bool
probe_passed(const struct replica *r)
{
	return r->pr.ok_ms != 0 && r->pr.ok_ms >= r->born_ms;
}

bool
probe_first_pending(const struct replica *r)
{
	return r->pr.probes == 0 || (r->pr.probes == 1 && r->pr.xfer != NULL);
}

static void
on_failed_ready(struct replica *r, const struct httpc_result *res)
{
	r->pr.failures++;
	log_warning("%s: probe of %s (%s) failed %d time(s): %s", r->svc->name, r->name,
	    r->addr, r->pr.failures, res->ok ? "bad status" : res->error);
	if (r->pr.failures >= PROBE_FAILS_UNHEALTHY)
		r->pr.ops->unhealthy(r);
}

static void
on_probe(void *arg, const struct httpc_result *res)
{
	struct replica *r = arg;
	struct loop *l = &r->svc->d->loop;
	bool ok = res->ok && res->status >= 200 && res->status < 400;

	r->pr.xfer = NULL;
	if (r->state == REP_STARTING) {
		if (ok) {
			/* Latched: under `both` it waits for Docker's healthy (doc/readiness.md
			 * "Readiness"); a later failure is the ready probes' business. */
			r->pr.ok_ms = loop_now(l);
			r->pr.ops->passed(r);
		} else if (wanted_starting(r)) {
			loop_timer_start(l, &r->pr.timer,
			    readiness_probe_delay_ms(loop_now(l) - r->born_ms));
		}
		return;
	}
	if (r->state != REP_READY)
		return;
	if (ok)
		r->pr.failures = 0;
	else
		on_failed_ready(r, res);
}

static void
send_probe(struct replica *r)
{
	const struct svc_conf *c = r->svc->conf;
	struct httpc_req req = { 0 };
	char url[PROBE_URL_MAX];
	int n;

	if (r->pr.xfer != NULL || r->addr[0] == '\0' || c == NULL)
		return;
	n = snprintf(url, sizeof(url), "http://%s%s", r->addr, c->health_path);
	if (n < 0 || (size_t)n >= sizeof(url)) {
		log_err("%s: probe of %s: URL longer than %d bytes; not probed", r->svc->name,
		    r->name, PROBE_URL_MAX - 1);
		return;
	}
	req.method = "GET";
	req.url = url;
	req.timeout_ms = PROBE_TIMEOUT_MS;
	req.max_body = 64 * 1024;
	/* A probe's connection kept for the next one would look like a request still open at
	 * the replica, which keeps an idle service awake (doc/sleeping.md). */
	req.no_reuse = true;
	req.done = on_probe;
	req.arg = r;
	r->pr.xfer = httpc_start(r->svc->d->httpc, &req); /* NULL is logged by httpc */
	if (r->pr.xfer != NULL && r->state == REP_STARTING)
		r->pr.probes++;
}

static void
on_fast(struct loop *l, struct loop_timer *t)
{
	struct replica *r = t->arg;

	(void)l;
	if (wanted_starting(r) && !probe_passed(r))
		send_probe(r);
}

void
probe_starting(struct replica *r)
{
	/* Under way: a probe in flight rearms the timer when it answers. */
	if (!wanted_starting(r) || probe_passed(r) || r->pr.xfer != NULL ||
	    loop_timer_armed(&r->pr.timer))
		return;
	send_probe(r);
}

void
probe_ready(struct replica *r)
{
	send_probe(r);
}
