/* metric.c: samples load: replica CPU from the Docker Engine, or a PromQL value. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dockscaled.h"
#include "log.h"
#include "prom.h"
#include "service.h"

#define ONCE_RESAMPLE_MS 1000 /* --once: a CPU rate needs a second sample */

static void
evaluate_cpu(struct svc *s)
{
	double sum = 0;
	int n = 0;

	for (size_t i = 0; i < s->nreps; i++) {
		const struct replica *r = s->reps[i];

		if (r->state == REP_READY && r->cpu_pct >= 0) {
			sum += r->cpu_pct;
			n++;
		}
	}
	if (n > 0)
		scale_evaluate(s, true, sum / n, loop_now(&s->d->loop), "docker_cpu");
	else
		scale_evaluate(s, false, NAN, 0, "docker_cpu: no ready replica with two samples yet");
}

static void
stats_round_done(struct svc *s)
{
	if (s->conf == NULL || s->conf->metric != METRIC_DOCKER_CPU)
		return;
	/* --once has no earlier pass to difference against: sample again a second later. */
	if (s->d->once && !s->once_resampled) {
		s->once_resampled = true;
		loop_timer_start(&s->d->loop, &s->resample, ONCE_RESAMPLE_MS);
		return;
	}
	evaluate_cpu(s);
}

static void
on_stats(void *arg, const struct docker_reply *rep, const struct docker_stats *st)
{
	struct replica *r = arg;
	struct svc *s = r->svc;

	r->stats_busy = false;
	if (rep->ok) {
		double cpus = s->conf != NULL ? s->conf->cpus : 0;

		r->cpu_pct = r->have_cpu_sample ? docker_cpu_percent(r->cpu_total_ns,
		    r->system_prev_ns, st->cpu_total_ns, st->system_ns, st->online_cpus, cpus) : -1;
		r->cpu_total_ns = st->cpu_total_ns;
		r->system_prev_ns = st->system_ns;
		r->mem_bytes = st->mem_usage;
		r->have_cpu_sample = true;
	} else {
		r->cpu_pct = -1;
	}
	if (--s->stats_pending == 0)
		stats_round_done(s);
}

static void
on_prom(void *arg, const struct prom_value *v)
{
	struct svc *s = arg;

	s->prom_q = NULL;
	if (v->ok)
		scale_evaluate(s, true, v->value, loop_now(&s->d->loop), "prometheus");
	else
		scale_evaluate(s, false, NAN, 0, v->error);
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
	if (c->metric == METRIC_PROMETHEUS && s->prom_q == NULL)
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

/* The engine did not answer: docker_cpu services have no data this pass. */
void
metric_docker_down(struct dsd *d)
{
	for (size_t i = 0; i < d->nsvcs; i++) {
		struct svc *s = d->svcs[i];

		if (s->conf != NULL && s->conf->metric == METRIC_DOCKER_CPU)
			scale_evaluate(s, false, NAN, 0, "docker_cpu: Docker Engine unreachable");
		else if (s->conf != NULL && s->conf->metric == METRIC_PROMETHEUS)
			metric_sample(s);
	}
}
