/* api_events.c: GET /api/v1/events, its long polls answered as events arrive
 * (doc/api.md, "Event history"). */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "api_ops.h"
#include "dockscaled.h"
#include "events_query.h"
#include "log.h"
#include "service.h"

struct waiters;

/* One long poll: its query, its connection and its deadline. */
struct waiter {
	struct waiter *prev, *next;
	struct waiters *all;
	struct events_query q;
	struct http_defer *df;
	struct loop_timer timer;
};

/* The waiting long polls; allocated with the first, freed with the last, and reached
 * through the ring's on_add hook meanwhile (so an idle daemon carries nothing). */
struct waiters {
	struct dsd *d;
	struct waiter *head;
	size_t n;
	struct loop_timer flush;  /* new events: answer whoever they match, once per turn */
};

static void on_event(void *arg, const struct event *ev);

/* Unlink w and free it; the list goes with its last waiter. */
static void
waiter_free(struct waiter *w)
{
	struct waiters *ws = w->all;
	struct dsd *d = ws->d;

	loop_timer_stop(&d->loop, &w->timer);
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		ws->head = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	free(w);
	if (--ws->n == 0) {
		loop_timer_stop(&d->loop, &ws->flush);
		events_unlisten(&d->events, on_event);
		free(ws);
	}
}

static void
reply(const struct events *e, const struct events_query *q, struct http_resp *resp,
    const struct event **buf)
{
	bool cut;
	size_t n = events_query_run(e, q, buf, &cut);

	api_reply_json(resp, 200, events_query_json(e, buf, n, cut));
}

/* Answer w with what matches now (possibly nothing: its wait is over). */
static void
answer(struct waiter *w, const struct event **buf)
{
	struct http_resp r = { 0 };

	reply(&w->all->d->events, &w->q, &r, buf);
	http_defer_answer(w->df, &r);
	waiter_free(w);
}

static void
on_wait_over(struct loop *l, struct loop_timer *t)
{
	struct waiter *w = t->arg;
	const struct event **buf = malloc(w->q.limit * sizeof(*buf));

	answer(w, buf); /* NULL buf: an empty answer all the same */
	free(buf);
}

static void
on_flush(struct loop *l, struct loop_timer *t)
{
	struct waiters *ws = t->arg;
	const struct event **buf = malloc(EVENTS_LIMIT_MAX * sizeof(*buf));
	struct waiter *w = ws->head, *next;
	size_t left = ws->n;

	if (buf == NULL) {
		loop_timer_start(l, &ws->flush, 100); /* try again shortly */
		return;
	}
	/* Each answer frees its waiter, and the last one the list: count, never touch ws
	 * once the last is gone. */
	for (; w != NULL && left > 0; w = next, left--) {
		bool cut;

		next = w->next;
		if (events_query_run(&ws->d->events, &w->q, buf, &cut) > 0)
			answer(w, buf);
	}
	free(buf);
}

static void
on_event(void *arg, const struct event *ev)
{
	struct waiters *ws = arg;

	/* Not from inside the step that logged it: once the current turn is done. */
	if (!loop_timer_armed(&ws->flush))
		loop_timer_start(&ws->d->loop, &ws->flush, 0);
}

static void
on_gone(void *arg)
{
	waiter_free(arg);
}

/* Hold the request until an event matches q or its wait ends. How many may wait, in
 * all and per client address, is the server's to say (http_defer_begin, doc/api.md "API
 * limits"): it answers a refused one itself. */
static void
wait_for(struct dsd *d, const struct http_req *req, struct http_resp *resp,
    const struct events_query *q)
{
	struct waiters *ws = events_listener(&d->events, on_event);
	struct waiter *w;

	if (!events_may_listen(&d->events, on_event)) {
		http_resp_error(resp, 500, "every event hook is taken");
		return;
	}
	w = calloc(1, sizeof(*w));
	if (w != NULL && ws == NULL && (ws = calloc(1, sizeof(*ws))) != NULL) {
		ws->d = d;
		loop_timer_init(&ws->flush, on_flush, ws);
	}
	if (w == NULL || ws == NULL) {
		http_resp_error(resp, 500, "out of memory");
		goto fail;
	}
	if ((w->df = http_defer_begin(req, resp, on_gone, w)) == NULL)
		goto fail; /* refused or out of memory: resp says which */
	(void)events_listen(&d->events, on_event, ws); /* ours or free: checked above */
	w->all = ws;
	w->q = *q;
	w->next = ws->head;
	if (ws->head != NULL)
		ws->head->prev = w;
	ws->head = w;
	ws->n++;
	loop_timer_init(&w->timer, on_wait_over, w);
	loop_timer_start(&d->loop, &w->timer, q->wait_ms);
	return;
fail:
	if (ws != NULL && ws->n == 0)
		free(ws); /* made for this one */
	free(w);
}

void
api_events(struct dsd *d, const struct http_req *req, struct http_resp *resp)
{
	struct events_query q;
	const struct event **buf = NULL;
	char err[160];
	bool cut;

	if (!api_allowed(req, resp, "GET, HEAD"))
		return;
	if (events_query_parse(&q, http_req_arg(req, "service"), http_req_arg(req, "since"),
	    http_req_arg(req, "type"), http_req_arg(req, "limit"), http_req_arg(req, "wait"),
	    err, sizeof err) == -1) {
		http_resp_error(resp, 400, "%s", err);
		return;
	}
	if (!q.any_service && svc_find(d, q.service) == NULL) {
		http_resp_error(resp, 404, "no such service: %s", q.service);
		return;
	}
	buf = malloc(q.limit * sizeof(*buf));
	if (buf == NULL) {
		http_resp_error(resp, 500, "out of memory");
		return;
	}
	if (q.wait_ms > 0 && events_query_run(&d->events, &q, buf, &cut) == 0)
		wait_for(d, req, resp, &q);
	else
		reply(&d->events, &q, resp, buf);
	free(buf);
}
