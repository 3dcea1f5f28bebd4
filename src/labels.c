/* labels.c: services declared by containers' dockscale.* labels (doc/labels.md): the
 * containers labelled dockscale.enable=true, listed at start, after each of their events
 * and after the stream reconnects; a change is a reload (daemon.c), which adds their
 * services to the file's (config_labels.c) and reports what became of each. */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "compose.h"
#include "dockscaled.h"
#include "labels.h"
#include "log.h"

#define LABELS_SETTLE_MS 200  /* events of one `docker-compose up` make one list */
#define LABELS_RETRY_MS 2000  /* the stream's reconnects */
/* Only what changes which containers carry which labels: labels are fixed at create,
 * `docker-compose up -d` recreates (create, rename, destroy). */
#define LABELS_FILTER                                                                  \
	"{\"type\":[\"container\"],\"label\":[\"" LABELS_ENABLE "=true\"],"               \
	"\"event\":[\"create\",\"destroy\",\"rename\"]}"

struct labels {
	struct dsd *d;
	struct docker *docker;      /* its own client: its own event stream */
	bool busy, again;           /* a list in flight; another wanted after it */
	bool have;                  /* a list has answered since the stream started */
	bool said_once;             /* the --once warning */
	struct loop_timer settle;   /* events coalesced into one list */
	struct loop_timer apply;    /* labels_apply's work, from the loop */
	struct label_src *src;      /* the sources of the running configuration */
	size_t n;
	struct config_label_result *pend; /* what labels_merge made of src[] */
	size_t npend;
};

static void list(struct labels *l);

static void
report_clear(struct labels_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		strv_free(&r->v[i].r.msgs);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

static void
on_list(void *arg, const struct docker_reply *r, const char *body, size_t len)
{
	struct labels *l = arg;
	struct label_src *v;
	size_t n;

	(void)len;
	l->busy = false;
	if (!r->ok)
		goto again; /* docker.c logged it; the next event or reconnect lists again */
	if (compose_label_sources(body, &v, &n) == -1) {
		log_warning("labels: malformed container list; the label services stay as they "
		    "are");
		goto again;
	}
	if ((l->have || n == 0) && compose_label_sources_same(l->src, l->n, v, n)) {
		l->have = true;
		compose_label_sources_free(v, n);
		goto again;
	}
	compose_label_sources_free(l->src, l->n);
	l->src = v;
	l->n = n;
	l->have = true;
	log_notice("labels: %zu container(s) labelled " LABELS_ENABLE "=true, changed: "
	    "reloading", n);
	(void)dsd_reload(l->d); /* logged there */
again:
	if (l->again) {
		l->again = false;
		list(l);
	}
}

static void
list(struct labels *l)
{
	if (l->docker == NULL)
		return;
	if (l->busy) {
		l->again = true;
		return;
	}
	if (docker_label_list(l->docker, LABELS_ENABLE "=true", on_list, l) == 0)
		l->busy = true;
}

static void
on_settle(struct loop *lp, struct loop_timer *t)
{
	(void)lp;
	list(t->arg);
}

static void
on_event(void *arg, const struct docker_event *ev)
{
	struct labels *l = arg;

	log_debug("labels: docker event %s %s (%.12s)", ev->action, ev->name, ev->id);
	if (!loop_timer_armed(&l->settle))
		(void)loop_timer_start(&l->d->loop, &l->settle, LABELS_SETTLE_MS);
}

static void
on_stream(void *arg, bool up)
{
	struct labels *l = arg;

	l->d->labels_report.following = up;
	if (up)
		list(l); /* what changed while the stream was down, or the first list */
}

static void
stop(struct labels *l)
{
	if (l->docker == NULL)
		return;
	docker_free(l->docker); /* the list in flight is cancelled: its callback never runs */
	l->docker = NULL;
	l->busy = l->again = l->have = false;
	l->d->labels_report.following = false;
	loop_timer_stop(&l->d->loop, &l->settle);
	compose_label_sources_free(l->src, l->n);
	l->src = NULL;
	l->n = 0;
}

static void
start(struct labels *l)
{
	struct dsd *d = l->d;

	l->docker = docker_new(&d->loop, d->httpc, d->cfg.docker_socket,
	    d->cfg.docker_timeout_ms);
	if (l->docker == NULL)
		return;
	docker_events_filter(l->docker, LABELS_FILTER);
	if (docker_events_start(l->docker, on_event, on_stream, l, LABELS_RETRY_MS) == -1) {
		log_err("labels: cannot follow Docker events; no label service");
		stop(l);
		return;
	}
	log_info("labels: following containers labelled " LABELS_ENABLE "=true");
	list(l); /* now, not only once the stream is up */
}

static void
on_apply(struct loop *lp, struct loop_timer *t)
{
	struct labels *l = t->arg;
	struct dsd *d = l->d;
	bool on = d->cfg.labels && !d->once && d->httpc != NULL;

	(void)lp;
	if (l->docker != NULL && (!on || strcmp(docker_socket(l->docker),
	    d->cfg.docker_socket) != 0)) {
		bool had = l->n > 0;

		stop(l);
		if (!on && had)
			log_notice("labels: off; the label services went with the reload");
	}
	if (on && l->docker == NULL)
		start(l);
	else if (l->docker != NULL)
		docker_set_timeout(l->docker, d->cfg.docker_timeout_ms);
}

void
labels_apply(struct dsd *d)
{
	if (d->labels != NULL && d->once && d->cfg.labels && !d->labels->said_once) {
		d->labels->said_once = true;
		log_warning("[daemon] labels = on has no effect with --once: a one-shot pass "
		    "does not wait for the labelled containers (doc/labels.md)");
	}
	if (d->labels != NULL && !loop_timer_armed(&d->labels->apply))
		(void)loop_timer_start(&d->loop, &d->labels->apply, 0);
}

int
labels_init(struct dsd *d)
{
	struct labels *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return -1;
	l->d = d;
	loop_timer_init(&l->settle, on_settle, l);
	loop_timer_init(&l->apply, on_apply, l);
	d->labels = l;
	return 0;
}

void
labels_fini(struct dsd *d)
{
	struct labels *l = d->labels;

	if (l == NULL)
		return;
	stop(l);
	loop_timer_stop(&d->loop, &l->apply);
	labels_discard(d);
	report_clear(&d->labels_report);
	free(l);
	d->labels = NULL;
}

int
labels_merge(struct dsd *d, struct config *next)
{
	struct labels *l = d->labels;

	labels_discard(d);
	if (l == NULL || !next->labels || l->n == 0)
		return 0;
	if ((l->pend = calloc(l->n, sizeof(*l->pend))) == NULL)
		return -1;
	l->npend = l->n;
	return config_labels_merge(next, l->src, l->n, l->pend);
}

void
labels_discard(struct dsd *d)
{
	struct labels *l = d->labels;

	if (l == NULL)
		return;
	config_labels_results_free(l->pend, l->npend);
	free(l->pend);
	l->pend = NULL;
	l->npend = 0;
}

/* Each container's errors or conflict: logged (like the file's FILE:LINE errors) and
 * stored as events; the daemon and the other services go on. */
static void
say(struct dsd *d, const struct labels_entry *e)
{
	const struct config_label_result *r = &e->r;

	for (size_t k = 0; k < r->msgs.n; k++)
		events_fail(&d->events, r->state == CONFIG_LABEL_BAD ? LOG_ERR : LOG_WARNING,
		    EV_RELOAD, r->service, "%s", r->msgs.v[k]);
	if (r->state == CONFIG_LABEL_BAD)
		log_err("labels: service %s of container %s is not managed: its labels are "
		    "refused", r->service, e->container);
}

void
labels_commit(struct dsd *d)
{
	struct labels *l = d->labels;
	struct labels_report *rep = &d->labels_report;

	if (l == NULL)
		return;
	report_clear(rep);
	if (l->npend > 0 && (rep->v = calloc(l->npend, sizeof(*rep->v))) == NULL) {
		log_err("labels: out of memory for the status");
		labels_discard(d);
		return;
	}
	for (size_t i = 0; i < l->npend; i++) {
		struct labels_entry *e = &rep->v[rep->n++];

		memcpy(e->container, l->src[i].name, sizeof(e->container));
		memcpy(e->id, l->src[i].id, sizeof(e->id));
		e->r = l->pend[i]; /* taken: its messages are the report's now */
		memset(&l->pend[i], 0, sizeof(l->pend[i]));
		say(d, e);
	}
	labels_discard(d);
}
