/* notify.c: notifications: selected events, each POSTed to every [notify] url through
 * httpc (libcurl multi, inside the loop), one request in flight per url and in order,
 * with a bounded queue, retries with backoff and a timeout (doc/notifications.md). */
#include "notify.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "notify_msg.h"

#define RETRY_FIRST_MS 1000
#define RETRY_MAX_MS 60000
#define ANSWER_MAX (64 * 1024) /* a receiver's answer is read, never used */

struct notify;

/* One url: its queue, and the body in flight or waiting for its retry. */
struct target {
	struct notify *n;
	char *url;
	char where[160];         /* scheme://host[:port] only: a hook's path and userinfo
	                          * are its secret, so logs name no more */
	size_t index;            /* 1-based, in the configuration's order, for the logs */
	struct notify_queue q;
	char *cur;               /* taken from q: in flight or waiting for its retry */
	int attempts;            /* of cur */
	struct httpc_xfer *x;
	struct loop_timer retry;
};

struct notify { /* owner: notify.c */
	struct loop *loop;
	struct httpc *hc;
	struct events *ev;
	struct target **t;
	size_t nt;
	struct notify_select sel;
	enum notify_format format;
	char *token;
	int64_t timeout_ms;
	int retries;
	size_t queue;
	struct loop_timer kick;  /* new bodies: sent once the step that logged them is done */
	uint64_t sent, failed, dropped, retried; /* dropped: of urls gone; the queues
	                                          * count their own */
};

static void send_cur(struct target *t);

/* "https://hooks.example" of "https://user:pw@hooks.example/services/T/B/X". */
static void
where_of(const char *url, char *out, size_t len)
{
	const char *host = strstr(url, "://"), *end, *at;
	int r;

	host = host != NULL ? host + 3 : url;
	end = host + strcspn(host, "/?#");
	for (at = host; at < end; at++)
		if (*at == '@')
			host = at + 1;
	r = snprintf(out, len, "%.*s%.*s", (int)(strstr(url, "://") != NULL ?
	    strstr(url, "://") - url + 3 : 0), url, (int)(end - host), host);
	if (r < 0 || (size_t)r >= len)
		out[len - 1] = '\0'; /* cut: only a log's words */
}

static void
token_free(char *tok)
{
	if (tok != NULL) {
		explicit_bzero(tok, strlen(tok));
		free(tok);
	}
}

/* Next body of t, unless one is in flight or waits for its retry. */
static void
pump(struct target *t)
{
	if (t->x != NULL || loop_timer_armed(&t->retry))
		return;
	if (t->cur == NULL) {
		t->cur = notify_queue_pop(&t->q);
		t->attempts = 0;
	}
	if (t->cur != NULL)
		send_cur(t);
}

static void
done_with_cur(struct target *t)
{
	free(t->cur);
	t->cur = NULL;
	t->attempts = 0;
}

/* One attempt failed (why): retry after 1 s, 2 s, 4 s ... or give up. */
static void
attempt_failed(struct target *t, const char *why, bool final)
{
	struct notify *n = t->n;
	int64_t delay = RETRY_FIRST_MS;

	t->attempts++;
	if (final || t->attempts > n->retries) {
		n->failed++;
		log_warning("notify: url %zu (%s): %s; given up after %d attempt(s)", t->index,
		    t->where, why, t->attempts);
		done_with_cur(t);
		/* The next one on the next turn, not from here: with retries = 0 and requests
		 * that cannot even start, a whole queue would fail inside one call chain. */
		if (!loop_timer_armed(&n->kick))
			loop_timer_start(n->loop, &n->kick, 0);
		return;
	}
	for (int i = 1; i < t->attempts && delay < RETRY_MAX_MS; i++)
		delay *= 2;
	if (delay > RETRY_MAX_MS)
		delay = RETRY_MAX_MS;
	log_info("notify: url %zu (%s): %s; retrying in %llds", t->index, t->where, why,
	    (long long)delay / 1000);
	loop_timer_start(n->loop, &t->retry, delay);
}

static void
on_done(void *arg, const struct httpc_result *res)
{
	struct target *t = arg;
	char why[160];

	t->x = NULL;
	if (res->ok && res->status >= 200 && res->status < 300) {
		t->n->sent++;
		done_with_cur(t);
		pump(t);
		return;
	}
	if (res->ok)
		snprintf(why, sizeof(why), "answered %ld", res->status);
	else
		snprintf(why, sizeof(why), "%s", res->error != NULL ? res->error : "failed");
	/* A 4xx other than 408 and 429 says the request itself is wrong (a revoked hook,
	 * a bad token): the same request again cannot mend it. */
	attempt_failed(t, why, res->ok && res->status >= 400 && res->status < 500 &&
	    res->status != 408 && res->status != 429);
}

static void
send_cur(struct target *t)
{
	struct notify *n = t->n;
	struct httpc_req req = {
		.method = "POST",
		.url = t->url,
		.body = t->cur,
		.body_len = strlen(t->cur),
		.content_type = "application/json",
		.bearer = n->token,
		.timeout_ms = n->timeout_ms,
		.max_body = ANSWER_MAX,
		.secret_url = true,
		.done = on_done,
		.arg = t,
	};

	if (t->attempts > 0)
		n->retried++;
	if ((t->x = httpc_start(n->hc, &req)) == NULL)
		attempt_failed(t, "the request could not be started", false);
}

static void
on_retry(struct loop *l, struct loop_timer *tm)
{
	struct target *t = tm->arg;

	if (t->cur != NULL)
		send_cur(t);
	else
		pump(t);
}

static void
on_kick(struct loop *l, struct loop_timer *tm)
{
	struct notify *n = tm->arg;

	for (size_t i = 0; i < n->nt; i++)
		pump(n->t[i]);
}

/* An event was stored: queue its body for every url. Nothing is sent from inside the
 * step that logged it, and nothing here adds an event (events.h). */
static void
on_event(void *arg, const struct event *ev)
{
	struct notify *n = arg;
	char *body;

	if (n->nt == 0 || !notify_selected(&n->sel, ev))
		return;
	if ((body = notify_body(ev, n->format)) == NULL) {
		n->dropped += n->nt;
		return;
	}
	for (size_t i = 0; i < n->nt; i++) {
		char *b = i + 1 == n->nt ? body : strdup(body);

		if (b == NULL)
			n->dropped++;
		else
			notify_queue_push(&n->t[i]->q, b);
	}
	if (!loop_timer_armed(&n->kick))
		loop_timer_start(n->loop, &n->kick, 0);
}

static void
target_free(struct target *t)
{
	struct notify *n = t->n;

	if (t->x != NULL)
		httpc_cancel(n->hc, t->x);
	loop_timer_stop(n->loop, &t->retry);
	free(t->cur);
	notify_queue_fini(&t->q);
	free(t->url);
	free(t);
}

/* Gone with its url: what it held was never sent. */
static void
target_drop(struct target *t)
{
	t->n->dropped += t->q.dropped + t->q.n + (t->cur != NULL ? 1 : 0);
	target_free(t);
}

static struct target *
target_new(struct notify *n, const char *url, size_t queue)
{
	struct target *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->n = n;
	loop_timer_init(&t->retry, on_retry, t);
	if ((t->url = strdup(url)) == NULL || notify_queue_init(&t->q, queue) == -1) {
		free(t->url);
		free(t);
		return NULL;
	}
	where_of(url, t->where, sizeof(t->where));
	return t;
}

struct notify *
notify_new(struct loop *l, struct httpc *hc, struct events *ev)
{
	struct notify *n = calloc(1, sizeof(*n));

	if (n == NULL) {
		log_err("notify: out of memory");
		return NULL;
	}
	n->loop = l;
	n->hc = hc;
	n->ev = ev;
	loop_timer_init(&n->kick, on_kick, n);
	if (events_listen(ev, on_event, n) == -1) {
		log_err("notify: every event listener slot is taken");
		free(n);
		return NULL;
	}
	return n;
}

int
notify_apply(struct notify *n, const struct notify_conf *conf)
{
	struct target **next = NULL;
	size_t *from = NULL; /* where next[i] was taken from in n->t, or SIZE_MAX: new */
	char *token = NULL;
	size_t i, j;

	if (conf->token != NULL && (token = strdup(conf->token)) == NULL)
		goto oom;
	if (conf->urls.n > 0 && ((next = calloc(conf->urls.n, sizeof(*next))) == NULL ||
	    (from = calloc(conf->urls.n, sizeof(*from))) == NULL))
		goto oom;
	/* Build the new list whole first, taking over the urls that stay (bgpd's way). */
	for (i = 0; i < conf->urls.n; i++) {
		from[i] = SIZE_MAX;
		for (j = 0; j < n->nt; j++) {
			if (n->t[j] != NULL && strcmp(n->t[j]->url, conf->urls.v[i]) == 0) {
				next[i] = n->t[j];
				n->t[j] = NULL;
				from[i] = j;
				break;
			}
		}
		if (next[i] == NULL &&
		    (next[i] = target_new(n, conf->urls.v[i], (size_t)conf->queue)) == NULL)
			goto oom;
	}
	/* Only now what cannot be undone: a smaller queue drops its oldest. */
	for (i = 0; i < conf->urls.n; i++) {
		if (notify_queue_resize(&next[i]->q, (size_t)conf->queue) == -1)
			log_warning("notify: url %zu: out of memory: its queue keeps %zu", i + 1,
			    next[i]->q.cap);
		next[i]->index = i + 1;
	}
	for (j = 0; j < n->nt; j++)
		if (n->t[j] != NULL)
			target_drop(n->t[j]);
	free(n->t);
	free(from);
	n->t = next;
	n->nt = conf->urls.n;
	n->sel = conf->sel;
	n->format = conf->format;
	token_free(n->token);
	n->token = token;
	n->timeout_ms = conf->timeout_ms;
	n->retries = conf->retries;
	n->queue = (size_t)conf->queue;
	if (n->nt > 0)
		log_info("notify: %zu url(s), format %s, queue %zu, %d retries", n->nt,
		    n->format == NOTIFY_SLACK ? "slack" : "json", n->queue, n->retries);
	if (n->nt > 0 && !loop_timer_armed(&n->kick))
		loop_timer_start(n->loop, &n->kick, 0);
	return 0;
oom:
	/* Give back what was taken over; free what was new. */
	for (i = 0; next != NULL && from != NULL && i < conf->urls.n; i++) {
		if (next[i] != NULL && from[i] != SIZE_MAX)
			n->t[from[i]] = next[i];
		else if (next[i] != NULL)
			target_free(next[i]);
	}
	free(next);
	free(from);
	token_free(token);
	log_err("notify: out of memory: the previous [notify] settings stay");
	return -1;
}

void
notify_free(struct notify *n)
{
	if (n == NULL)
		return;
	events_unlisten(n->ev, on_event);
	loop_timer_stop(n->loop, &n->kick);
	for (size_t i = 0; i < n->nt; i++)
		target_free(n->t[i]);
	free(n->t);
	token_free(n->token);
	free(n);
}

void
notify_get_stats(const struct notify *n, struct notify_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (n == NULL)
		return;
	st->sent = n->sent;
	st->failed = n->failed;
	st->dropped = n->dropped;
	st->retries = n->retried;
	st->urls = n->nt;
	for (size_t i = 0; i < n->nt; i++) {
		st->dropped += n->t[i]->q.dropped;
		st->queued += n->t[i]->q.n + (n->t[i]->cur != NULL ? 1 : 0);
	}
}
