/* docker_events.c: following GET /events: line splitting, reconnect with since=, up/down. */
#include "docker.h"
#include "docker_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define EV_LINE_MAX (64 * 1024)  /* one event is ~1 KiB; anything this big is garbage */
#define EV_QUEUE_MAX 4096        /* events parsed but not yet handed to the caller */
#define EV_UP_AFTER_MS 1000      /* see the comment below */
#define EV_RETRY_MIN_MS 100
/* Lifecycle actions only: a HEALTHCHECK every second also makes three exec_* events
 * per replica per second, which we do not need. "health_status" matches
 * "health_status: <status>" (the engine prefix-matches that one). */
#define EVENTS_FILTER                                                                \
	"{\"type\":[\"container\"],\"label\":[\"" DOCKER_LABEL "\"],\"event\":["         \
	"\"create\",\"start\",\"restart\",\"die\",\"oom\",\"kill\",\"stop\",\"pause\","  \
	"\"unpause\",\"destroy\",\"rename\",\"health_status\"]}"

static int64_t
realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* "Up" is reported on the first event, or once the request has been open for
 * EV_UP_AFTER_MS without failing: the engine sends its headers at once but may send no
 * body for hours, and httpc has no "headers arrived" signal. Refused connections and
 * HTTP errors finish well within that second. "Down" is reported once per up -> down
 * transition; a stream that never came up reports nothing (the caller starts from
 * "down"). Events are parsed inside curl's write callback but handed to the caller
 * from a loop timer, so the caller may start calls, stop the stream or free the client
 * from its callback. */

static void ev_connect(struct docker *d);

static void
ev_reset_buffers(struct docker *d)
{
	lines_reset(&d->lines);
	d->evq_head = d->evq_len = 0;
}

static void
ev_set_up(struct docker *d)
{
	d->ev_up = true;
	if (d->ev_failing)
		log_notice("docker: event stream connected again");
	d->ev_failing = false;
	if (d->st_cb != NULL)
		d->st_cb(d->ev_arg, true); /* last: it may free d */
}

/* Hand queued events to the caller. Returns false when d is gone or the stream was
 * stopped meanwhile. */
static bool
ev_dispatch_now(struct docker *d)
{
	d->dispatching = true;
	while (d->ev_on && !d->free_pending && d->evq_head < d->evq_len) {
		struct docker_event ev = d->evq[d->evq_head++];

		if (!d->ev_up && d->ev_x != NULL) {
			ev_set_up(d);
			if (!d->ev_on || d->free_pending)
				break;
		}
		d->ev_cb(d->ev_arg, &ev);
	}
	if (d->evq_head >= d->evq_len)
		d->evq_head = d->evq_len = 0;
	d->dispatching = false;
	if (d->free_pending) {
		docker_free_now(d);
		return false;
	}
	return d->ev_on;
}

static void
ev_dispatch_cb(struct loop *l, struct loop_timer *t)
{
	(void)ev_dispatch_now(t->arg);
}

static void
ev_uptimer_cb(struct loop *l, struct loop_timer *t)
{
	struct docker *d = t->arg;

	if (d->ev_x != NULL && !d->ev_up)
		ev_set_up(d);
}

static void
ev_retry_cb(struct loop *l, struct loop_timer *t)
{
	ev_connect(t->arg);
}

/* The engine's own nanosecond timestamp, exactly: as a double it would be rounded to
 * 256 ns and since= could skip a neighbour. "timeNano" is the last key the engine
 * writes, so the last occurrence is the real one even if a label value mimics it. */
static int64_t
ev_time_ns(const char *line, size_t len)
{
	static const char key[] = "\"timeNano\":";
	const char *p = NULL;
	int64_t v = 0;

	for (size_t i = 0; i + sizeof(key) - 1 <= len; i++)
		if (memcmp(line + i, key, sizeof(key) - 1) == 0)
			p = line + i + sizeof(key) - 1;
	if (p == NULL)
		return 0;
	for (; p < line + len && *p >= '0' && *p <= '9' && v < INT64_MAX / 10 - 10; p++)
		v = v * 10 + (*p - '0');
	return v;
}

/* Not an event: most likely Docker's error body, kept for the log line when the
 * request then fails. Error bodies are short; a long one shows its start. */
static void
ev_note_junk(struct docker *d, const char *line, size_t len)
{
	char tmp[sizeof(d->ev_err)];
	size_t n = len < sizeof(tmp) - 1 ? len : sizeof(tmp) - 1;

	memcpy(tmp, line, n);
	tmp[n] = '\0';
	docker_error_message(tmp, d->ev_err, sizeof(d->ev_err));
}

/* One line of the stream (lines_feed's callback). */
static int
ev_line(void *arg, const char *line, size_t len)
{
	struct docker *d = arg;
	struct docker_event ev;
	int64_t t;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return 0;
	if (docker_parse_event(line, len, &ev) == -1) {
		ev_note_junk(d, line, len);
		log_debug("docker: events: ignoring a %zu-byte line that is no container event",
		    len);
		return 0;
	}
	if (d->evq_len == d->evq_cap) {
		size_t cap = d->evq_cap != 0 ? d->evq_cap * 2 : 16;
		struct docker_event *nq;

		if (d->evq_head > 0) {
			/* Reuse the space of already dispatched events first. */
			memmove(d->evq, d->evq + d->evq_head,
			    (d->evq_len - d->evq_head) * sizeof(*d->evq));
			d->evq_len -= d->evq_head;
			d->evq_head = 0;
		} else if (cap > EV_QUEUE_MAX ||
		    (nq = realloc(d->evq, cap * sizeof(*nq))) == NULL) {
			/* since= is the last event we kept: the reconnect replays the rest. */
			log_warning("docker: events: queue full, reconnecting");
			d->ev_overflow = true;
			return -1;
		} else {
			d->evq = nq;
			d->evq_cap = cap;
		}
	}
	d->evq[d->evq_len++] = ev;
	if ((t = ev_time_ns(line, len)) > 0 && t + 1 > d->since_ns)
		d->since_ns = t + 1;
	if (!loop_timer_armed(&d->ev_dispatch))
		(void)loop_timer_start(d->loop, &d->ev_dispatch, 0);
	return 0;
}

/* Runs inside curl's write callback: split lines and queue, never call the user. */
static int
ev_data(void *arg, const char *data, size_t len)
{
	struct docker *d = arg;
	uint64_t dropped = d->lines.dropped;
	int rc = lines_feed(&d->lines, data, len, ev_line, d);

	if (d->lines.dropped != dropped)
		log_warning("docker: events: line over %d bytes dropped", EV_LINE_MAX);
	return rc;
}

static void
ev_done(void *arg, const struct httpc_result *res)
{
	struct docker *d = arg;
	char why[512];
	bool was_up = d->ev_up;
	const char *rest;
	size_t rest_len = 0;

	d->ev_x = NULL;
	loop_timer_stop(d->loop, &d->ev_uptimer);
	/* An error body has no trailing newline: it is still in the line buffer. A partial
	 * event of a cut stream is dropped; since= brings it back. */
	if (res->ok && res->status != 200 && (rest = lines_rest(&d->lines, &rest_len)) != NULL)
		ev_note_junk(d, rest, rest_len);
	lines_reset(&d->lines);
	docker_use_api_version(d, res->api_version);
	if (d->ev_overflow)
		snprintf(why, sizeof(why), "event queue full");
	else if (!res->ok)
		snprintf(why, sizeof(why), "%s (socket %s)",
		    res->error != NULL ? res->error : "failed", d->socket);
	else if (res->status != 200)
		snprintf(why, sizeof(why), "%ld %s", res->status,
		    d->ev_err[0] != '\0' ? d->ev_err : "(no message)");
	else
		snprintf(why, sizeof(why), "the engine closed the stream");
	if (!d->ev_overflow && (!res->ok || res->status >= 500))
		d->errors++;
	d->ev_overflow = false;
	d->ev_err[0] = '\0';
	/* Events that arrived before the drop go out first, in order. */
	if (!ev_dispatch_now(d) || d->ev_x != NULL)
		return; /* freed, stopped, or restarted from a callback */
	if (was_up || !d->ev_failing)
		log_warning("docker: GET /events: %s; reconnecting every %lld ms", why,
		    (long long)d->retry_ms);
	else
		log_debug("docker: GET /events: %s", why);
	d->ev_failing = true;
	(void)loop_timer_start(d->loop, &d->ev_retry, d->retry_ms);
	if (d->ev_up) {
		d->ev_up = false;
		if (d->st_cb != NULL)
			d->st_cb(d->ev_arg, false); /* last: it may free d */
	}
}

static void
ev_connect(struct docker *d)
{
	struct httpc_req req;
	char filt[512], url[768];
	int n;

	if (httpc_escape(d->ev_filter != NULL ? d->ev_filter : EVENTS_FILTER, filt, sizeof(filt)) < 0)
		return;
	n = snprintf(url, sizeof(url), "http://localhost/v%s/events?filters=%s&since=%lld.%09lld",
	    d->version, filt, (long long)(d->since_ns / 1000000000),
	    (long long)(d->since_ns % 1000000000));
	if (n < 0 || (size_t)n >= sizeof(url))
		return;
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url;
	req.unix_socket = d->socket;
	req.timeout_ms = 0; /* a stream: no transfer timeout */
	req.done = ev_done;
	req.data = ev_data;
	req.arg = d;
	d->ev_err[0] = '\0';
	d->ev_x = httpc_start(d->hc, &req);
	if (d->ev_x == NULL) {
		d->errors++;
		(void)loop_timer_start(d->loop, &d->ev_retry, d->retry_ms);
		return;
	}
	(void)loop_timer_start(d->loop, &d->ev_uptimer, EV_UP_AFTER_MS);
}

void
docker_events_init(struct docker *d)
{
	loop_timer_init(&d->ev_retry, ev_retry_cb, d);
	loop_timer_init(&d->ev_uptimer, ev_uptimer_cb, d);
	loop_timer_init(&d->ev_dispatch, ev_dispatch_cb, d);
}

int
docker_events_start(struct docker *d, docker_event_cb ev, docker_stream_cb st, void *arg,
    int64_t retry_ms)
{
	if (d->ev_on || ev == NULL)
		return -1;
	if (d->lines.buf == NULL && lines_init(&d->lines, EV_LINE_MAX) == -1)
		return -1;
	d->ev_cb = ev;
	d->st_cb = st;
	d->ev_arg = arg;
	d->retry_ms = retry_ms > EV_RETRY_MIN_MS ? retry_ms : EV_RETRY_MIN_MS;
	/* since= from the very start: nothing between this call and the subscription is
	 * lost, and a drop replays from the last event seen. Same host, same clock. */
	d->since_ns = realtime_ns();
	d->ev_up = d->ev_failing = d->ev_overflow = false;
	ev_reset_buffers(d);
	ev_connect(d);
	if (d->ev_x == NULL) {
		loop_timer_stop(d->loop, &d->ev_retry);
		return -1;
	}
	d->ev_on = true;
	return 0;
}

void
docker_events_filter(struct docker *d, const char *filter)
{
	d->ev_filter = filter;
}

void
docker_events_stop(struct docker *d)
{
	if (!d->ev_on)
		return;
	d->ev_on = false;
	d->ev_up = false;
	if (d->ev_x != NULL)
		httpc_cancel(d->hc, d->ev_x);
	d->ev_x = NULL;
	loop_timer_stop(d->loop, &d->ev_retry);
	loop_timer_stop(d->loop, &d->ev_uptimer);
	loop_timer_stop(d->loop, &d->ev_dispatch);
	ev_reset_buffers(d);
}
