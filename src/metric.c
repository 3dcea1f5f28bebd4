/* metric.c: samples load: replica CPU and memory from the Docker Engine, a PromQL value. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dockscaled.h"
#include "log.h"
#include "prom.h"
#include "service.h"

#define ONCE_RESAMPLE_MS 1000 /* --once: a CPU rate needs a second sample */

static void
set_sample(struct svc *s, enum metric_kind k, bool have, double v, const char *why)
{
	struct metric_sample *m = &s->samples[k];

	m->have = have;
	m->value = have ? v : NAN;
	m->at = loop_now(&s->d->loop);
	(void)snprintf(m->why, sizeof m->why, "%.*s", (int)sizeof m->why - 1, have ? "" : why);
}

static bool
uses(const struct svc *s, enum metric_kind k)
{
	return s->conf != NULL && (s->conf->metrics & METRIC_BIT(k)) != 0;
}

/* The average over the ready replicas that have a value (README.md, "The metric"). */
static void
average(struct svc *s, enum metric_kind k, size_t off, const char *none)
{
	double sum = 0;
	int n = 0;

	for (size_t i = 0; i < s->nreps; i++) {
		const struct replica *r = s->reps[i];
		double v;

		memcpy(&v, (const char *)r + off, sizeof v);
		if (r->state == REP_READY && v >= 0) {
			sum += v;
			n++;
		}
	}
	set_sample(s, k, n > 0, n > 0 ? sum / n : NAN, none);
}

static void
stats_round_done(struct svc *s)
{
	if (s->conf == NULL || !(uses(s, METRIC_DOCKER_CPU) || uses(s, METRIC_DOCKER_MEMORY)))
		return;
	/* --once has no earlier pass to difference against: sample again a second later. */
	if (uses(s, METRIC_DOCKER_CPU) && s->d->once && !s->once_resampled) {
		s->once_resampled = true;
		loop_timer_start(&s->d->loop, &s->resample, ONCE_RESAMPLE_MS);
		return;
	}
	average(s, METRIC_DOCKER_CPU, offsetof(struct replica, cpu_pct),
	    "no ready replica with two samples yet");
	average(s, METRIC_DOCKER_MEMORY, offsetof(struct replica, mem_pct),
	    "no ready replica with a sample yet");
	/* With a PromQL metric too, its answer closes the pass (and weighs these). */
	if (!uses(s, METRIC_PROMETHEUS))
		scale_evaluate(s);
}

static void
on_stats(void *arg, const struct docker_reply *rep, const struct docker_stats *st)
{
	struct replica *r = arg;
	struct svc *s = r->svc;

	r->stats_busy = false;
	if (rep->ok) {
		double cpus = s->conf != NULL ? s->conf->cpus : 0;
		struct timespec ts;

		r->cpu_pct = r->have_cpu_sample ? docker_cpu_percent(r->cpu_total_ns,
		    r->system_prev_ns, st->cpu_total_ns, st->system_ns, st->online_cpus, cpus) : -1;
		r->cpu_total_ns = st->cpu_total_ns;
		r->system_prev_ns = st->system_ns;
		r->have_cpu_sample = true;
		/* As `docker stats` shows it: usage minus inactive file cache over the limit. */
		r->mem_pct = st->mem_limit > 0 ? docker_mem_working_set(st) * 100.0 / st->mem_limit
		                               : -1;
		r->st = *st;
		clock_gettime(CLOCK_REALTIME, &ts);
		r->seen_at = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	} else {
		r->cpu_pct = -1;
		r->mem_pct = -1;
	}
	if (--s->stats_pending == 0)
		stats_round_done(s);
}

static void
on_prom(void *arg, const struct prom_value *v)
{
	struct svc *s = arg;

	s->prom_q = NULL;
	set_sample(s, METRIC_PROMETHEUS, v->ok, v->value, v->error);
	scale_evaluate(s);
}

void
metric_sample(struct svc *s)
{
	struct dsd *d = s->d;
	const struct svc_conf *c = s->conf;

	if (c == NULL)
		return;
	/* Every ready replica: docker_cpu needs them, and /metrics exports them all. A round
	 * still in flight is not doubled, but the query below does not wait for it. */
	if (s->stats_pending == 0) {
		for (size_t i = 0; i < s->nreps; i++) {
			struct replica *r = s->reps[i];

			if (r->state != REP_READY || r->stats_busy || r->id[0] == '\0')
				continue;
			if (docker_stats(d->docker, r->id, on_stats, r) == 0) {
				r->stats_busy = true;
				s->stats_pending++;
			}
		}
		if (s->stats_pending == 0)
			stats_round_done(s);
	}
	if (uses(s, METRIC_PROMETHEUS) && s->prom_q == NULL)
		s->prom_q = prom_query(d->httpc, d->cfg.prom_url, c->query, d->cfg.prom_timeout_ms,
		    on_prom, s);
}

static void
on_resample(struct loop *l, struct loop_timer *t)
{
	metric_sample(t->arg);
}

void
metric_init(struct svc *s)
{
	loop_timer_init(&s->resample, on_resample, s);
}

void
metric_fini(struct svc *s)
{
	loop_timer_stop(&s->d->loop, &s->resample);
	if (s->prom_q != NULL)
		prom_cancel(s->d->httpc, s->prom_q);
	s->prom_q = NULL;
}

/* After a container list: one round of concurrent stats calls, and the queries. */
void
metric_collect(struct dsd *d)
{
	for (size_t i = 0; i < d->nsvcs; i++)
		metric_sample(d->svcs[i]);
}

/* The engine did not answer: docker_cpu/docker_memory have no data this pass. */
void
metric_docker_down(struct dsd *d)
{
	for (size_t i = 0; i < d->nsvcs; i++) {
		struct svc *s = d->svcs[i];

		set_sample(s, METRIC_DOCKER_CPU, false, NAN, "Docker Engine unreachable");
		set_sample(s, METRIC_DOCKER_MEMORY, false, NAN, "Docker Engine unreachable");
		if (uses(s, METRIC_PROMETHEUS))
			metric_sample(s);
		else if (uses(s, METRIC_DOCKER_CPU) || uses(s, METRIC_DOCKER_MEMORY))
			scale_evaluate(s);
	}
}
