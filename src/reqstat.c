/* reqstat.c: counts the requests the balancer sends each replica, from nginx's access log
 * or the balancer's own counters, into a rate, an in-flight count and a latency per pass
 * (doc/traffic.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "dockscaled.h"
#include "idlematch.h"
#include "lb.h"
#include "log.h"
#include "reqstat.h"
#include "reqwin.h"
#include "service.h"

/* A balancer read not answered in this many passes is given up on (its balancer was
 * replaced by a reload: the answer never comes). */
#define LB_READ_PASSES 3
#define QLEN_PATH "/proc/sys/net/unix/max_dgram_qlen"
#define QLEN_WANT 512

/* The access log's reader, for the whole daemon. */
struct reqstat_host { /* owner: reqstat.c */
	struct accesslog *log;
	char *path;               /* where it is bound */
	uint64_t unmatched;       /* lines whose address is none of our replicas' */
};

static const double hist_bounds[REQSTAT_HIST_N - 1] = REQSTAT_HIST_BOUNDS;

static const char *const class_names[REQSTAT_CLASSES] = { "other", "1xx", "2xx", "3xx",
	"4xx", "5xx" };

const char *
reqstat_class_name(int c)
{
	return c >= 0 && c < REQSTAT_CLASSES ? class_names[c] : class_names[0];
}

static int
status_class(int status)
{
	return status >= 100 && status <= 599 ? status / 100 : 0;
}

static void
hist_add(struct replica_reqs *q, double upstream_s)
{
	size_t i = 0;

	if (upstream_s < 0)
		return;
	while (i < REQSTAT_HIST_N - 1 && upstream_s > hist_bounds[i])
		i++;
	q->hist[i]++;
	q->hist_sum_s += upstream_s;
}

void
reqstat_svc_init(struct svc *s)
{
	memset(&s->rq, 0, sizeof(s->rq));
	s->rq.win_start_ms = loop_now(&s->d->loop);
	s->rq.fig.latency_ms = -1;
	(void)snprintf(s->rq.why, sizeof(s->rq.why), "no traffic data yet");
}

static bool
log_open(const struct svc *s)
{
	return s->d->reqstat != NULL && s->d->reqstat->log != NULL;
}

/* ---- the access log ------------------------------------------------------------------ */

static struct replica *
replica_at(struct svc *s, const char *addr)
{
	for (size_t i = 0; i < s->nreps; i++)
		if (s->reps[i]->addr[0] != '\0' && strcmp(s->reps[i]->addr, addr) == 0)
			return s->reps[i];
	return NULL;
}

/* The service a request to addr is for: one of its replicas', or its wake listener. */
static struct svc *
service_at(struct dsd *d, const char *addr, struct replica **r)
{
	struct replica *found = NULL;
	struct svc *owner = NULL;

	for (size_t i = 0; i < d->nsvcs && owner == NULL; i++) {
		struct svc *s = d->svcs[i];

		if ((found = replica_at(s, addr)) != NULL ||
		    (s->conf != NULL && s->conf->wake_listen[0] != '\0' &&
		    strcmp(s->conf->wake_listen, addr) == 0))
			owner = s;
	}
	*r = found;
	return owner;
}

bool
reqstat_log_heard(const struct dsd *d)
{
	struct reqstat_log_stats st;

	reqstat_log_stats(d, &st);
	return st.open && st.lines > 0;
}

/* A request that counts for idleness (or, ignored, only counted as such). */
static void
note_request(struct svc *s, const char *path, const char *agent)
{
	const struct svc_conf *c = s->conf;

	if (c != NULL && idlematch_ignored(c->idle_ignore_paths.v, c->idle_ignore_paths.n,
	    c->idle_ignore_agents.v, c->idle_ignore_agents.n, path, agent)) {
		s->rq.ignored++;
		return;
	}
	s->rq.last_req_ms = loop_now(&s->d->loop);
	(void)log_escape(s->rq.last_path, sizeof(s->rq.last_path), path != NULL ? path : "");
	(void)log_escape(s->rq.last_agent, sizeof(s->rq.last_agent), agent != NULL ? agent : "");
}

/* One request as nginx logged it: each upstream try counts at its replica; the request
 * counts once at its service, with the time of all its tries. */
static void
on_line(void *arg, const struct accesslog_line *line)
{
	struct dsd *d = arg;
	struct svc *owner = NULL;
	double total_s = -1;

	for (size_t i = 0; i < line->ntries; i++) {
		const struct accesslog_try *t = &line->tries[i];
		struct replica *r;
		struct svc *s = service_at(d, t->addr, &r);

		if (s == NULL)
			continue;
		if (owner == NULL)
			owner = s;
		if (t->upstream_s >= 0)
			total_s = (total_s < 0 ? 0 : total_s) + t->upstream_s;
		if (r == NULL)
			continue;
		r->rq.requests++;
		r->rq.classes[status_class(t->status)]++;
		hist_add(&r->rq, t->upstream_s);
		reqwin_add(&r->rq.win, t->upstream_s);
	}
	if (owner == NULL) {
		d->reqstat->unmatched++;
		return;
	}
	owner->rq.flowing = true;
	owner->rq.classes[status_class(line->status)]++;
	note_request(owner, line->uri, line->agent);
	reqwin_add(&owner->rq.win, total_s);
}

/* The socket queues at most net.unix.max_dgram_qlen datagrams, read when it is bound, and
 * nginx drops a line rather than wait (doc/balancers.md, "nginx access log"). */
static void
warn_queue(void)
{
	FILE *f = fopen(QLEN_PATH, "re");
	char buf[32], *end;
	long qlen;

	if (f == NULL)
		return;
	if (fgets(buf, sizeof(buf), f) != NULL && (qlen = strtol(buf, &end, 10)) >= 0 &&
	    end != buf && qlen < QLEN_WANT)
		log_warning("access log: net.unix.max_dgram_qlen is %ld: nginx drops a line when "
		    "more than %ld wait to be read; systemd sets %d (sysctl -w "
		    "net.unix.max_dgram_qlen=%d, then reload)", qlen, qlen, QLEN_WANT, QLEN_WANT);
	fclose(f);
}

int
reqstat_apply(struct dsd *d)
{
	const char *path = d->cfg.nginx_access_log;
	struct reqstat_host *h = d->reqstat;
	char err[256];

	if (h == NULL && (h = d->reqstat = calloc(1, sizeof(*h))) == NULL) {
		log_err("access log: out of memory");
		return -1;
	}
	if (h->log != NULL && h->path != NULL && strcmp(h->path, path) == 0)
		return 0;
	if (h->log != NULL) {
		accesslog_close(h->log);
		h->log = NULL;
		log_info("access log: closed %s", h->path);
	}
	free(h->path);
	h->path = NULL;
	if (path[0] == '\0')
		return 0;
	if ((h->path = strdup(path)) == NULL ||
	    (h->log = accesslog_open(&d->loop, path, on_line, d, err, sizeof(err))) == NULL) {
		log_err("access log: cannot open %s: %s; no service reads nginx's log until the "
		    "next reload", path, h->path == NULL ? "out of memory" : err);
		free(h->path);
		h->path = NULL;
		return -1;
	}
	log_info("access log: reading nginx's lines on %s", path);
	warn_queue();
	return 0;
}

void
reqstat_stop(struct dsd *d)
{
	if (d->reqstat == NULL)
		return;
	if (d->reqstat->log != NULL)
		accesslog_close(d->reqstat->log);
	free(d->reqstat->path);
	free(d->reqstat);
	d->reqstat = NULL;
}

void
reqstat_log_stats(const struct dsd *d, struct reqstat_log_stats *out)
{
	struct accesslog_stats st = { 0 };

	memset(out, 0, sizeof(*out));
	if (d->reqstat == NULL)
		return;
	out->unmatched = d->reqstat->unmatched;
	if (d->reqstat->log == NULL)
		return;
	accesslog_stats(d->reqstat->log, &st);
	out->open = true;
	out->lines = st.lines;
	out->bad = st.bad;
}

/* ---- a pass -------------------------------------------------------------------------- */

static int
ready_count(const struct svc *s)
{
	int n = svc_count(s, REP_READY);

	return n > 0 ? n : 1;
}

static void
set_none(struct svc *s, const char *why)
{
	s->rq.fig = (struct reqstat_figures){ .have = false, .latency_ms = -1 };
	s->rq.fig_at = loop_now(&s->d->loop);
	(void)snprintf(s->rq.why, sizeof(s->rq.why), "%s", why);
}

/* The window since the last pass into figures: the access log's. */
static void
close_log_window(struct svc *s, int64_t now)
{
	double secs = (double)(now - s->rq.win_start_ms) / 1000.0, p;
	int ready = ready_count(s);

	if (secs <= 0)
		return;
	p = s->conf->latency_percentile;
	for (size_t i = 0; i < s->nreps; i++) {
		struct replica_reqs *q = &s->reps[i]->rq;

		q->fig.have = s->rq.flowing;
		q->fig.rate = (double)q->win.requests / secs;
		q->fig.in_flight = q->win.busy_s / secs;
		q->fig.latency_ms = reqwin_percentile(&q->win, p);
		memset(&q->win, 0, sizeof(q->win));
	}
	if (log_open(s)) {
		if (!s->rq.flowing) {
			set_none(s, "no access-log line for this service yet");
		} else {
			s->rq.rate_total = (double)s->rq.win.requests / secs;
			s->rq.in_flight_total = s->rq.win.busy_s / secs;
			s->rq.fig.have = true;
			s->rq.fig.rate = s->rq.rate_total / ready;
			s->rq.fig.in_flight = s->rq.in_flight_total / ready;
			/* No request: no latency to speak of, and nothing slow. */
			s->rq.fig.latency_ms = s->rq.win.nlat > 0 ? reqwin_percentile(&s->rq.win, p) : 0;
			s->rq.fig_at = now;
			s->rq.why[0] = '\0';
		}
	} else {
		set_none(s, "the access log's socket is not open ([nginx] access_log_socket)");
	}
	memset(&s->rq.win, 0, sizeof(s->rq.win));
	s->rq.win_start_ms = now;
}

/* The balancer's counters (their deltas since its last read) into figures. */
static void
on_lb_traffic(void *arg, bool ok, const struct lb_traffic *rows, size_t n)
{
	struct svc *s = arg;
	int64_t now = loop_now(&s->d->loop);
	double secs = (double)(now - s->rq.lb_read_ms) / 1000.0;
	double rate = 0, in_flight = 0, lat_w = 0, lat_sum = 0;
	bool first = s->rq.lb_read_ms == 0;

	s->rq.lb_busy = false;
	if (!ok) {
		s->rq.lb_failed++;
		set_none(s, "the balancer's counters could not be read");
		return;
	}
	s->rq.lb_read_ms = now;
	for (size_t i = 0; i < n; i++) {
		struct replica *r = replica_at(s, rows[i].addr);
		struct replica_reqs *q;
		uint64_t delta;
		bool seen;

		if (r == NULL)
			continue;
		q = &r->rq;
		/* A replica this daemon started joined with its server's counters at 0: all it
		 * served counts. One found running at start-up may have served before: its
		 * first read is the base. A counter that went back: the server was re-added
		 * (its counters start over). */
		seen = q->lb_seen;
		if (!q->lb_seen && !r->adopted)
			q->lb_seen = true; /* from 0 */
		delta = !q->lb_seen ? 0 : rows[i].requests >= q->lb_requests ?
		    rows[i].requests - q->lb_requests : rows[i].requests;
		for (int c = 0; c < REQSTAT_CLASSES; c++) {
			uint64_t dc = !q->lb_seen ? 0 : rows[i].responses[c] >= q->lb_classes[c] ?
			    rows[i].responses[c] - q->lb_classes[c] : rows[i].responses[c];

			q->classes[c] += dc;
			s->rq.classes[c] += dc;
			q->lb_classes[c] = rows[i].responses[c];
		}
		q->requests += delta;
		q->lb_requests = rows[i].requests;
		q->fig.have = seen && !first && secs > 0;
		q->fig.rate = q->fig.have ? (double)delta / secs : 0;
		q->fig.in_flight = rows[i].in_flight;
		q->fig.latency_ms = rows[i].rtime_ms;
		q->lb_seen = true;
		rate += q->fig.rate;
		in_flight += rows[i].in_flight;
		if (rows[i].rtime_ms >= 0) {
			lat_sum += rows[i].rtime_ms * (double)delta;
			lat_w += (double)delta;
		}
	}
	if (first || !(secs > 0)) {
		set_none(s, "waiting for a second read of the balancer's counters");
		return;
	}
	s->rq.flowing = true;
	s->rq.rate_total = rate;
	s->rq.in_flight_total = in_flight;
	s->rq.fig.have = true;
	s->rq.fig.rate = rate / ready_count(s);
	s->rq.fig.in_flight = in_flight / ready_count(s);
	/* HAProxy's own average over each server's last 1024 requests, weighed by the
	 * requests each served since the last read. Without a request since, that average
	 * is old news (it does not decay): nothing was slow. */
	s->rq.fig.latency_ms = lat_w > 0 ? lat_sum / lat_w : 0;
	s->rq.fig_at = now;
	/* The counters say neither path nor User-Agent: any request counts. */
	if (rate > 0 || in_flight > 0) {
		s->rq.last_req_ms = now;
		s->rq.last_path[0] = s->rq.last_agent[0] = '\0';
	}
	s->rq.why[0] = '\0';
}

void
reqstat_pass(struct svc *s)
{
	int64_t now = loop_now(&s->d->loop);
	struct lb *b = s->tr.lb;

	if (s->conf == NULL)
		return;
	s->rq.source = NULL;
	s->rq.percentile = false;
	if (b != NULL && lb_reads_log(b)) {
		s->rq.source = "access_log";
		s->rq.percentile = true;
		close_log_window(s, now);
		return;
	}
	if (b == NULL || !lb_has_traffic(b)) {
		set_none(s, "the balancer carries no traffic figures (balancer = none)");
		return;
	}
	s->rq.source = "counters";
	if (s->rq.lb_busy && now - s->rq.win_start_ms < LB_READ_PASSES * s->d->cfg.interval_ms)
		return;
	s->rq.win_start_ms = now; /* when the read went out */
	if (lb_traffic(b, on_lb_traffic, s) == 0)
		s->rq.lb_busy = true;
}

bool
reqstat_value(const struct svc *s, int k, double *v, const char **why)
{
	const struct reqstat_figures *f = &s->rq.fig;

	*why = s->rq.why[0] != '\0' ? s->rq.why : "no traffic data";
	if (!f->have)
		return false;
	switch (k) {
	case METRIC_REQUESTS:
		*v = f->rate;
		return true;
	case METRIC_CONCURRENCY:
		*v = f->in_flight;
		return true;
	case METRIC_LATENCY:
		if (f->latency_ms < 0) {
			*why = "no response time in the balancer's figures";
			return false;
		}
		*v = f->latency_ms;
		return true;
	default:
		*why = "not a traffic metric";
		return false;
	}
}

int
reqstat_words(const struct svc *s, char *buf, size_t len)
{
	const struct svc_reqs *q = &s->rq;
	char lat[48] = "";
	int r;

	if (!q->fig.have)
		return -1;
	if (q->fig.latency_ms >= 0 && q->percentile)
		(void)snprintf(lat, sizeof(lat), ", p%g %.0f ms", s->conf->latency_percentile,
		    q->fig.latency_ms);
	else if (q->fig.latency_ms >= 0)
		(void)snprintf(lat, sizeof(lat), ", average %.0f ms", q->fig.latency_ms);
	r = snprintf(buf, len, "%.1f req/s, %.1f in flight%s", q->rate_total,
	    q->in_flight_total, lat);
	return r < 0 || (size_t)r >= len ? -1 : 0;
}
