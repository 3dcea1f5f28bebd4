/* pause.c: pause and resume a service, and keep a manual scale from being undone at once. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "dockscaled.h"
#include "log.h"
#include "pause.h"
#include "service.h"

static struct pause *
pz_of(const struct svc *s)
{
	return svc_ext(s, &pause_feature);
}

const struct pause *
pause_of(const struct svc *s)
{
	return pz_of(s);
}

int
pause_set(struct svc *s, int n, char *err, size_t errlen)
{
	const struct svc_conf *c = s->conf;
	struct pause *pz = pz_of(s);
	int was = s->desired;

	if (c == NULL)
		return -1;
	if (n >= 0 && (n < c->dp.min_replicas || n > c->dp.max_replicas)) {
		(void)snprintf(err, errlen, "replicas must be a whole number in [%d, %d]",
		    c->dp.min_replicas, c->dp.max_replicas);
		return -1;
	}
	if (n < 0)
		n = s->desired; /* the count at pause time (clamped below by svc_set_desired) */
	pz->paused = true;
	pz->manual = false;
	pz->since_unix_ms = history_wall_ms();
	svc_set_desired(s, n, NULL);
	pz->replicas = s->desired;
	events_log(&s->d->events, LOG_NOTICE, EV_PAUSE, s->name,
	    "%s: paused at %d replica(s) (desired was %d): the policy and alerts leave it alone "
	    "until resume", s->name, pz->replicas, was);
	return 0;
}

void
pause_resume(struct svc *s)
{
	struct pause *pz = pz_of(s);

	if (!pz->paused)
		return;
	pz->paused = false;
	pz->manual = false;
	events_log(&s->d->events, LOG_NOTICE, EV_PAUSE, s->name,
	    "%s: resumed at %d replica(s): the policy decides again (after a full window)",
	    s->name, s->desired);
}

void
pause_manual(struct svc *s, int n)
{
	struct pause *pz = pz_of(s);

	if (s->conf == NULL || s->conf->metrics == 0)
		return; /* no policy to hold back */
	pz->manual = true;
	pz->manual_n = n;
	pz->manual_ready = 0;
	pz->manual_failed = s->launch.failed_starts;
}

/* A reload: the held count follows new bounds. */
static void
on_conf(struct svc *s, bool first)
{
	struct pause *pz = pz_of(s);

	if (first)
		return; /* nothing is held yet */
	if (s->conf != NULL && s->conf->metrics == 0)
		pz->manual = false; /* no policy left to hold back */
	if (!pz->paused || s->conf == NULL)
		return;
	/* Bounds still apply to a paused service: new ones move the held count. */
	svc_set_desired(s, pz->replicas, NULL);
	if (s->desired != pz->replicas)
		events_log(&s->d->events, LOG_NOTICE, EV_PAUSE, s->name,
		    "%s: paused count %d -> %d (new bounds [%d, %d])", s->name, pz->replicas,
		    s->desired, s->conf->dp.min_replicas, s->conf->dp.max_replicas);
	pz->replicas = s->desired;
}

/* Every metric of the service has been sampled after t. */
static bool
sampled_after(const struct svc *s, int64_t t)
{
	for (int k = 0; k < METRIC_KINDS; k++)
		if ((s->conf->metrics & METRIC_BIT(k)) && s->sampling.samples[k].at <= t)
			return false;
	return true;
}

/* Must the policy hold now? why says so (into the decision's reason by scale.c). */
static bool
holds_policy(struct svc *s, int64_t now, char *why, size_t n)
{
	struct pause *pz = pz_of(s);
	int ready;

	if (pz->paused) {
		(void)snprintf(why, n, "paused at %d: the policy is off until resume", pz->replicas);
		return true;
	}
	if (!pz->manual || s->conf == NULL)
		return false;
	if (pz->manual_ready == 0) {
		ready = svc_count(s, REP_READY);
		if (s->launch.failed_starts > pz->manual_failed) {
			/* Waiting on replicas that fail would freeze the policy for good. */
			pz->manual = false;
			log_info("%s: a replica of the manual scale to %d failed to start; the policy "
			    "decides again", s->name, pz->manual_n);
			return false;
		}
		if (ready != pz->manual_n || svc_current(s) != pz->manual_n) {
			(void)snprintf(why, n, "manual scale to %d: waiting for its replicas "
			    "(%d/%d ready): hold", pz->manual_n, ready, pz->manual_n);
			return true;
		}
		pz->manual_ready = now;
	}
	if (!sampled_after(s, pz->manual_ready)) {
		(void)snprintf(why, n, "manual scale to %d: replicas ready; waiting for a fresh "
		    "sample: hold", pz->manual_n);
		return true;
	}
	/* The windows were kept empty so far: from this sample on a full one must pass. */
	pz->manual = false;
	return false;
}

/* An alert is held like a bound would hold it: the webhook answers "held" with this. */
static bool
holds_alert(struct svc *s, const char *why, struct decide_result *out)
{
	const struct pause *pz = pz_of(s);

	if (!pz->paused)
		return false;
	*out = (struct decide_result){ .dir = DECIDE_HOLD, .desired = s->desired,
		.smoothed = NAN, .wanted = s->desired };
	(void)snprintf(out->reason, sizeof out->reason, "%s but paused at %d: hold", why,
	    pz->replicas);
	log_info("%s: %s", s->name, out->reason);
	return true;
}

/* doc/api.md, "Pause and manual scale" */
static void
status(const struct svc *s, cJSON *o, int64_t now)
{
	const struct pause *pz = pz_of(s);

	(void)now;
	cJSON_AddBoolToObject(o, "paused", pz->paused);
	if (pz->paused)
		cJSON_AddNumberToObject(o, "paused_replicas", pz->replicas);
	else
		cJSON_AddNullToObject(o, "paused_replicas");
	cJSON_AddBoolToObject(o, "manual_hold", pz->manual);
}

static void *
init(struct svc *s)
{
	(void)s;
	return calloc(1, sizeof(struct pause));
}

static void
fini(struct svc *s, void *state)
{
	(void)s;
	free(state);
}

const struct svc_feature pause_feature = {
	.name = "pause",
	.init = init,
	.fini = fini,
	.conf = on_conf,
	.policy_hold = holds_policy,
	.alert_hold = holds_alert,
	.status = status,
};
