/* metric.c: samples load: replica CPU and memory from the kernel's cgroup files or the
 * Docker Engine's stats API, a PromQL value. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cgroup.h"
#include "dockscaled.h"
#include "log.h"
#include "prom.h"
#include "service.h"

#define ONCE_RESAMPLE_MS 1000 /* --once: a CPU rate needs a second sample */
#define CGROUP_SYS "/sys/fs/cgroup"
#define CGROUP_PROC "/proc"

static void
set_sample_at(struct svc *s, enum metric_kind k, bool have, double v, const char *why,
    int64_t at)
{
	struct metric_sample *m = &s->sampling.samples[k];

	m->have = have;
	m->value = have ? v : NAN;
	m->at = at;
	(void)snprintf(m->why, sizeof m->why, "%.*s", (int)sizeof m->why - 1, have ? "" : why);
}

static void
set_sample(struct svc *s, enum metric_kind k, bool have, double v, const char *why)
{
	set_sample_at(s, k, have, v, why, loop_now(&s->d->loop));
}

static bool
uses(const struct svc *s, enum metric_kind k)
{
	return s->conf != NULL && (s->conf->metrics & METRIC_BIT(k)) != 0;
}

/* The average over the ready replicas that have a value (doc/scaling.md, "The metric"). */
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
	if (s->conf == NULL)
		return;
	if (!(uses(s, METRIC_DOCKER_CPU) || uses(s, METRIC_DOCKER_MEMORY))) {
		/* The traffic metrics were sampled when the round began. */
		if ((s->conf->metrics & METRIC_TRAFFIC) && !uses(s, METRIC_PROMETHEUS))
			scale_evaluate(s);
		return;
	}
	/* --once has no earlier pass to difference against: sample again a second later. */
	if (uses(s, METRIC_DOCKER_CPU) && s->d->once && !s->sampling.once_resampled) {
		s->sampling.once_resampled = true;
		loop_timer_start(&s->d->loop, &s->sampling.resample, ONCE_RESAMPLE_MS);
		return;
	}
	average(s, METRIC_DOCKER_CPU, offsetof(struct replica, smp.cpu_pct),
	    "no ready replica with two samples yet");
	average(s, METRIC_DOCKER_MEMORY, offsetof(struct replica, smp.mem_pct),
	    "no ready replica with a sample yet");
	/* With a PromQL metric too, its answer closes the pass (and weighs these). */
	if (!uses(s, METRIC_PROMETHEUS))
		scale_evaluate(s);
}

/* One replica's sample (ok false: none this round), from the kernel or the API. */
static void
apply_sample(struct replica *r, bool ok, const struct docker_stats *st, bool kernel)
{
	struct svc *s = r->svc;

	s->d->stats.stats_reads[kernel ? 1 : 0] += ok;
	/* The two sources' system CPU bases differ: a rate needs two of the same. */
	if (r->smp.kernel_sample != kernel)
		r->smp.have_cpu_sample = false;
	r->smp.kernel_sample = kernel;
	if (ok) {
		double cpus = s->conf != NULL ? s->conf->cpus : 0;
		struct timespec ts;

		r->smp.cpu_pct = r->smp.have_cpu_sample ? docker_cpu_percent(r->smp.cpu_total_ns,
		    r->smp.system_prev_ns, st->cpu_total_ns, st->system_ns, st->online_cpus, cpus) : -1;
		r->smp.cpu_total_ns = st->cpu_total_ns;
		r->smp.system_prev_ns = st->system_ns;
		r->smp.have_cpu_sample = true;
		/* As `docker stats` shows it: usage minus inactive file cache over the limit. */
		r->smp.mem_pct = st->mem_limit > 0 ? docker_mem_working_set(st) * 100.0 / st->mem_limit
		                               : -1;
		r->smp.st = *st;
		clock_gettime(CLOCK_REALTIME, &ts);
		r->smp.seen_at = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	} else {
		r->smp.cpu_pct = -1;
		r->smp.mem_pct = -1;
	}
}

static void
on_stats(void *arg, const struct docker_reply *rep, const struct docker_stats *st)
{
	struct replica *r = arg;
	struct svc *s = r->svc;

	r->smp.stats_busy = false;
	apply_sample(r, rep->ok, st, false);
	if (--s->sampling.stats_pending == 0)
		stats_round_done(s);
}

/* A paused replica's memory, for the status API and /metrics only: it is no capacity,
 * so it never reaches the policy nor the cAdvisor series (doc/waking.md). */
static void
on_paused_stats(void *arg, const struct docker_reply *rep, const struct docker_stats *st)
{
	struct replica *r = arg;

	r->smp.stats_busy = false;
	if (r->state == REP_PAUSED)
		r->smp.paused_mem = rep->ok ? st->mem_usage : -1;
}

static int kernel_sample(struct replica *r, struct docker_stats *st,
    const struct docker_stats *base);

static void
paused_sample(struct replica *r, const struct docker_stats *base)
{
	struct dsd *d = r->svc->d;
	struct docker_stats st;

	if (r->smp.stats_busy || r->id[0] == '\0')
		return;
	if (r->pid > 0 && kernel_sample(r, &st, base) == 0) {
		r->smp.paused_mem = st.mem_usage;
		return;
	}
	if (d->cfg.stats_source == STATS_CGROUP)
		return;
	if (docker_stats(d->docker, r->id, on_paused_stats, r) == 0)
		r->smp.stats_busy = true;
}

#define NOFILE_PER_REPLICA 8 /* its kept counter files (cgroup v1; 5 on v2) */
#define NOFILE_BASE 256      /* the API's connections, curl's, the logs, the balancer */

/* Kept counter files are up to 8 descriptors a replica: systemd's soft limit of 1024 is
 * kept low for select(), which nothing here uses (epoll, poll), so the soft limit goes up
 * to the hard one; a configured total of max_replicas the hard one cannot hold is said
 * once, with the figure (doc/benchmarks.md, "Idle cost at hundreds of replicas"). */
static void
raise_nofile(const struct dsd *d)
{
	unsigned long long need = NOFILE_BASE, was;
	struct rlimit rl;

	for (size_t i = 0; i < d->cfg.nsvcs; i++)
		need += (unsigned long long)d->cfg.svcs[i].dp.max_replicas * NOFILE_PER_REPLICA;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	was = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			rl.rlim_cur = was;
	}
	if (rl.rlim_cur != RLIM_INFINITY && need > rl.rlim_cur)
		log_warning("open files: the services' max_replicas need about %llu descriptors "
		    "(%d a replica for its counters, %d besides) but the limit is %llu: raise "
		    "LimitNOFILE (past it, opening a descriptor fails)", need,
		    NOFILE_PER_REPLICA, NOFILE_BASE, (unsigned long long)rl.rlim_cur);
	else
		log_info("open files: limit %llu (was %llu); max_replicas need about %llu",
		    (unsigned long long)rl.rlim_cur, was, need);
}

/* The host's cgroups, looked for once (doc/scaling.md, "Counters from the kernel"). */
static const struct cgroup_host *
host_cgroups(struct dsd *d)
{
	if (d->cgroups_probed)
		return d->cgroups;
	d->cgroups_probed = true;
	if ((d->cgroups = malloc(sizeof(*d->cgroups))) != NULL &&
	    cgroup_host_init(d->cgroups, CGROUP_SYS, CGROUP_PROC) == -1) {
		cgroup_host_fini(d->cgroups);
		free(d->cgroups);
		d->cgroups = NULL;
	}
	if (d->cgroups != NULL)
		raise_nofile(d);
	if (d->cgroups != NULL)
		log_info("replica counters: cgroup v%d under " CGROUP_SYS " (stats_source %s)",
		    d->cgroups->version, cgroup_source_name(d->cfg.stats_source));
	else if (d->cfg.stats_source != STATS_API)
		log_warning("replica counters: no readable cgroup v1 or v2 under " CGROUP_SYS
		    "; %s", d->cfg.stats_source == STATS_CGROUP ? "replicas have no CPU or memory "
		    "sample (stats_source = cgroup)" : "the stats API answers instead");
	return d->cgroups;
}

/* r's counters from its cgroup files: 0, or -1 when they cannot be read here (another
 * host's engine, rootless, a restarted container not inspected yet). Synchronous: a
 * handful of small kernel files (doc/benchmarks.md). */
static int
kernel_sample(struct replica *r, struct docker_stats *st, const struct docker_stats *base)
{
	struct dsd *d = r->svc->d;
	const struct cgroup_host *h;

	if (d->cfg.stats_source == STATS_API || (h = host_cgroups(d)) == NULL)
		return -1;
	if (r->smp.cg != NULL && r->smp.cg->pid != r->pid) {
		cgroup_ctr_free(r->smp.cg);
		r->smp.cg = NULL;
	}
	if (r->smp.cg == NULL && (r->smp.cg = cgroup_ctr_find(h, r->pid, r->id)) == NULL)
		return -1;
	if (base->online_cpus > 0 && cgroup_read(h, r->smp.cg, st) == 0) {
		st->system_ns = base->system_ns;
		st->online_cpus = base->online_cpus;
		return 0;
	}
	/* Gone or restarted: found again from the next inspect's pid. */
	cgroup_ctr_free(r->smp.cg);
	r->smp.cg = NULL;
	return -1;
}

static void
on_prom(void *arg, const struct prom_value *v)
{
	struct svc *s = arg;

	s->sampling.prom_q = NULL;
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
	/* The balancer's traffic first: its figures are in hand (an access log's window
	 * closes now; a balancer's counters answered the last read) when the round below
	 * ends in the policy. */
	reqstat_pass(s);
	for (int k = METRIC_REQUESTS; k <= METRIC_LATENCY; k++) {
		const char *why;
		double v = NAN;
		bool have;

		if (!uses(s, (enum metric_kind)k))
			continue;
		have = reqstat_value(s, k, &v, &why);
		set_sample_at(s, (enum metric_kind)k, have, v, why,
		    have ? s->rq.fig_at : loop_now(&d->loop));
	}
	/* Every ready replica: docker_cpu needs them, and /metrics exports them all. A round
	 * still in flight is not doubled, but the query below does not wait for it. */
	s->sampling.sampled_ms = loop_now(&d->loop);
	if (s->sampling.stats_pending == 0) {
		struct docker_stats base = { 0 };

		/* The CPU share's base, once for the round. */
		if (d->cfg.stats_source != STATS_API && host_cgroups(d) != NULL &&
		    cgroup_system(d->cgroups, &base.system_ns, &base.online_cpus) == -1)
			base.online_cpus = 0;
		for (size_t i = 0; i < s->nreps; i++) {
			struct replica *r = s->reps[i];
			struct docker_stats st;

			if (r->state == REP_PAUSED) {
				paused_sample(r, &base);
				continue;
			}
			if (r->state != REP_READY || r->smp.stats_busy || r->id[0] == '\0')
				continue;
			if (kernel_sample(r, &st, &base) == 0) {
				apply_sample(r, true, &st, true);
				continue;
			}
			if (d->cfg.stats_source == STATS_CGROUP) {
				if (!r->smp.cg_warned)
					log_warning("%s: no readable cgroup for %s (pid %d): no sample "
					    "(stats_source = cgroup)", s->name, r->name, r->pid);
				r->smp.cg_warned = true;
				apply_sample(r, false, NULL, true);
				continue;
			}
			if (docker_stats(d->docker, r->id, on_stats, r) == 0) {
				r->smp.stats_busy = true;
				s->sampling.stats_pending++;
			}
		}
		if (s->sampling.stats_pending == 0)
			stats_round_done(s);
	}
	if (uses(s, METRIC_PROMETHEUS) && s->sampling.prom_q == NULL)
		s->sampling.prom_q = prom_query(d->httpc, d->cfg.prom_url, c->query, d->cfg.prom_timeout_ms,
		    on_prom, s);
}

static void
on_resample(struct loop *l, struct loop_timer *t)
{
	metric_sample(t->arg);
}

void
metric_refresh(struct svc *s)
{
	int64_t since = loop_now(&s->d->loop) - s->sampling.sampled_ms;

	/* A round in flight answers soon anyway; one refresh is waiting already. */
	if (s->sampling.stats_pending > 0 || s->sampling.prom_q != NULL || loop_timer_armed(&s->sampling.refresh))
		return;
	if (since >= METRIC_REFRESH_MIN_MS)
		metric_sample(s);
	else
		loop_timer_start(&s->d->loop, &s->sampling.refresh, METRIC_REFRESH_MIN_MS - since);
}

void
metric_conf(struct svc *s)
{
	const struct svc_conf *c = s->conf;

	if (c == NULL)
		return;
	/* A metric the service no longer has must not show its old value or decision. */
	for (int k = 0; k < METRIC_KINDS; k++)
		if (!(c->metrics & METRIC_BIT(k)))
			s->sampling.samples[k].have = false;
}

void
metric_init(struct svc *s)
{
	loop_timer_init(&s->sampling.resample, on_resample, s);
	loop_timer_init(&s->sampling.refresh, on_resample, s);
}

void
metric_fini(struct svc *s)
{
	loop_timer_stop(&s->d->loop, &s->sampling.resample);
	loop_timer_stop(&s->d->loop, &s->sampling.refresh);
	if (s->sampling.prom_q != NULL)
		prom_cancel(s->d->httpc, s->sampling.prom_q);
	s->sampling.prom_q = NULL;
}

void
metric_ctr_init(struct ctr_sample *c)
{
	c->cpu_pct = -1;
	c->mem_pct = -1;
	c->paused_mem = -1;
}

void
metric_ctr_fini(struct ctr_sample *c)
{
	cgroup_ctr_free(c->cg);
	c->cg = NULL;
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
