/* headroom.c: host headroom: a replica is started (created or unpaused) only if the
 * host's memory and CPUs less what it keeps for itself can hold it, higher priorities
 * first (doc/headroom.md). A feature: the core asks it through may_create/may_unpause. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "dockscaled.h"
#include "headroom.h"
#include "headroom_calc.h"
#include "hostmem.h"
#include "log.h"
#include "service.h"

#define WHY_MAX 160

/* A service's part. A blocked episode starts at the first refusal (one event) and ends
 * at a start granted or a whole pass without a refusal. */
struct headroom_svc { /* owner: headroom.c */
	bool blocked;
	char why[WHY_MAX];
	int64_t since_ms;        /* loop clock of the episode's first refusal */
	uint64_t refused_pass;   /* d->passes at the latest refusal */
	uint64_t episodes;       /* blocked episodes so far */
};

static struct headroom_svc *
hs_of(const struct svc *s)
{
	return svc_ext(s, &headroom_feature);
}

int
headroom_host_init(struct dsd *d)
{
	d->headroom = calloc(1, sizeof(*d->headroom));
	return d->headroom != NULL ? 0 : -1;
}

void
headroom_host_fini(struct dsd *d)
{
	free(d->headroom);
	d->headroom = NULL;
}

/* Ours to count beside a start of s: a service with a configuration, on the same
 * runtime as s (the one that asks runs containers here; another runtime's replicas run
 * on other hosts: doc/swarm.md). */
static bool
counted(const struct svc *t, const struct svc *s)
{
	return t->conf != NULL && svc_runtime(t) == svc_runtime(s);
}

/* A number of the definition: cJSON's, or the raw integer text ctrdef_add_i64 writes
 * (so that Docker's int64 decoder takes it). -1: neither. */
static int
def_num(const cJSON *it, double *out)
{
	char *end;

	if (cJSON_IsNumber(it)) {
		*out = it->valuedouble;
		return 0;
	}
	if (!cJSON_IsRaw(it) || it->valuestring == NULL)
		return -1;
	*out = strtod(it->valuestring, &end);
	return end != it->valuestring && *end == '\0' ? 0 : -1;
}

/* What one replica of s needs: its definition's MemoryReservation if declared, else its
 * Memory limit; its NanoCpus (0: unlimited). The definition is what every replica is
 * created from, whether from the [service] keys or compose's container. */
static void
per_replica(const struct svc *s, int64_t *mem, double *cpus)
{
	const cJSON *hc = s->def != NULL ? cJSON_GetObjectItemCaseSensitive(s->def, "HostConfig") :
	    NULL;
	double res, lim, nano;

	*mem = s->conf->memory;
	*cpus = s->conf->cpus;
	if (!cJSON_IsObject(hc))
		return;
	if (def_num(cJSON_GetObjectItemCaseSensitive(hc, "MemoryReservation"), &res) == 0 &&
	    res > 0)
		*mem = (int64_t)res;
	else
		*mem = def_num(cJSON_GetObjectItemCaseSensitive(hc, "Memory"), &lim) == 0 &&
		    lim > 0 ? (int64_t)lim : 0;
	*cpus = def_num(cJSON_GetObjectItemCaseSensitive(hc, "NanoCpus"), &nano) == 0 &&
	    nano > 0 ? nano / 1e9 : 0;
}

/* Replicas of s that run or are about to (a paused one is frozen: it counts 0, and its
 * unpause is checked like a creation). */
static int
running(const struct svc *s)
{
	static const enum replica_state live[] = { REP_CREATING, REP_STARTING, REP_READY,
		REP_DRAINING, REP_STOPPING, REP_PAUSING, REP_UNPAUSING };
	int n = 0;

	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		n += svc_count(s, live[i]);
	return n;
}

/* The whole input for a start of s: the host, every managed replica, and the starts the
 * services of a higher priority still want (doc/headroom.md, "Priorities"). -1: the
 * host's memory cannot be read. */
static int
gather(struct svc *s, struct headroom_in *in)
{
	struct dsd *d = s->d;
	struct hostmem hm;
	int top = s->conf->priority;

	memset(in, 0, sizeof(*in));
	in->check_mem = d->cfg.reserve_memory > 0;
	in->check_cpu = d->cfg.reserve_cpus > 0;
	in->reserve_memory = d->cfg.reserve_memory;
	in->reserve_cpus = d->cfg.reserve_cpus;
	in->cpus_online = hostmem_online_cpus();
	per_replica(s, &in->mem_need, &in->cpus_need);
	for (size_t i = 0; i < d->nsvcs; i++) {
		const struct svc *t = d->svcs[i];
		int64_t mem;
		double cpus;
		int n, want;

		if (!counted(t, s))
			continue;
		if (t->conf->priority > top)
			top = t->conf->priority;
		per_replica(t, &mem, &cpus);
		n = running(t);
		in->mem_committed += mem * n;
		in->cpus_running += cpus * n;
		want = t->desired - svc_current(t);
		if (t != s && t->conf->priority > s->conf->priority && want > 0) {
			in->mem_ahead += mem * want;
			in->cpus_ahead += cpus * want;
		}
	}
	/* Self-healing of the top priority class toward its floor is never refused. */
	in->always = s->conf->priority == top && svc_current(s) < s->conf->dp.min_replicas;
	if (!in->check_mem)
		return 0;
	if (hostmem_read("/proc", &hm) == -1)
		return -1;
	if (hm.estimated && d->headroom != NULL && !d->headroom->estimated_said) {
		d->headroom->estimated_said = true;
		log_warning("headroom: /proc/meminfo is hidden (the unit's ProcSubset=pid?): "
		    "available memory is free + buffers, without the page cache; starts may be "
		    "refused early (doc/headroom.md, \"Reading the host\")");
	}
	in->mem_available = hm.available;
	return 0;
}

static void
episode_end(struct svc *s, struct headroom_svc *hs, const char *how)
{
	if (!hs->blocked)
		return;
	hs->blocked = false;
	log_info("%s: host headroom: starts no longer blocked (%s, after %.1fs)", s->name, how,
	    (double)(loop_now(&s->d->loop) - hs->since_ms) / 1000.0);
}

/* May one replica of s start now? A refusal is retried every pass: the host's memory
 * moves without an event to wake us. */
static bool
may_start(struct svc *s)
{
	struct headroom_svc *hs = hs_of(s);
	struct headroom_in in;
	struct headroom_out out;
	char why[WHY_MAX];

	if (hs == NULL || s->conf == NULL || (s->d->cfg.reserve_memory == 0 && s->d->cfg.reserve_cpus == 0))
		return true;
	if (gather(s, &in) == -1) {
		log_warning("%s: host headroom: cannot read the host's memory; the start goes on",
		    s->name);
		return true;
	}
	if (headroom_judge(&in, &out) == HEADROOM_OK) {
		episode_end(s, hs, "a start went");
		return true;
	}
	if (headroom_words(&in, &out, why, sizeof(why)) == -1)
		(void)snprintf(why, sizeof(why), "blocked: host headroom");
	(void)snprintf(hs->why, sizeof(hs->why), "%s", why); /* same size: fits */
	hs->refused_pass = s->d->passes;
	if (!hs->blocked) {
		hs->blocked = true;
		hs->since_ms = loop_now(&s->d->loop);
		hs->episodes++;
		events_log(&s->d->events, LOG_WARNING, EV_REPLICA, s->name,
		    "%s: start %s (priority %d; retried every pass)", s->name, why,
		    s->conf->priority);
	}
	return false;
}

static bool
may_create(struct svc *s)
{
	return may_start(s);
}

static bool
may_unpause(struct svc *s)
{
	return may_start(s);
}

/* Each pass: an episode with no refusal for a whole pass is over (nothing more wanted,
 * or what wanted it is waiting on something else). */
static void
on_plan(struct svc *s, struct plan_input *in, struct plan_replica *view)
{
	struct headroom_svc *hs = hs_of(s);

	(void)in;
	(void)view;
	if (hs != NULL && hs->blocked && s->d->passes > hs->refused_pass + 1)
		episode_end(s, hs, "no start waits for it");
}

static void *
hs_init(struct svc *s)
{
	(void)s;
	return calloc(1, sizeof(struct headroom_svc));
}

static void
hs_fini(struct svc *s, void *state)
{
	(void)s;
	free(state);
}

int
headroom_blocked_words(const struct svc *s, char *buf, size_t len)
{
	const struct headroom_svc *hs = hs_of(s);
	int w;

	if (hs == NULL || !hs->blocked)
		return -1;
	w = snprintf(buf, len, "%s", hs->why);
	return w > 0 && (size_t)w < len ? 0 : -1;
}

/* doc/api.md: "headroom" in a service's status. */
void
headroom_metrics(struct buf *b, const struct dsd *d)
{
	buf_printf(b, "# HELP dockscale_headroom_blocked 1 while the service's starts wait for "
	    "host headroom.\n# TYPE dockscale_headroom_blocked gauge\n");
	for (size_t i = 0; i < d->nsvcs; i++)
		buf_printf(b, "dockscale_headroom_blocked{service=\"%s\"} %d\n", d->svcs[i]->name,
		    hs_of(d->svcs[i])->blocked ? 1 : 0);
	buf_printf(b, "# HELP dockscale_headroom_blocked_total Times the service's starts began "
	    "to wait for host headroom.\n# TYPE dockscale_headroom_blocked_total counter\n");
	for (size_t i = 0; i < d->nsvcs; i++)
		buf_printf(b, "dockscale_headroom_blocked_total{service=\"%s\"} %" PRIu64 "\n",
		    d->svcs[i]->name, hs_of(d->svcs[i])->episodes);
}

static void
on_status(const struct svc *s, cJSON *o, int64_t now)
{
	const struct headroom_svc *hs = hs_of(s);
	cJSON *h;

	if (hs == NULL || s->conf == NULL || (h = cJSON_AddObjectToObject(o, "headroom")) == NULL)
		return;
	cJSON_AddNumberToObject(h, "priority", s->conf->priority);
	if (hs->blocked) {
		cJSON_AddStringToObject(h, "blocked", hs->why);
		cJSON_AddNumberToObject(h, "blocked_for_ms", (double)(now - hs->since_ms));
	} else {
		cJSON_AddNullToObject(h, "blocked");
		cJSON_AddNullToObject(h, "blocked_for_ms");
	}
	cJSON_AddNumberToObject(h, "blocked_total", (double)hs->episodes);
}

const struct svc_feature headroom_feature = {
	.name = "headroom",
	.init = hs_init,
	.fini = hs_fini,
	.plan = on_plan,
	.may_create = may_create,
	.may_unpause = may_unpause,
	.status = on_status,
};
