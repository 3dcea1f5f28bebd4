/* events.c: the event history: a bounded ring of notable steps, each also a log line. */
#include "events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static const char *const type_names[EV_TYPES] = {
	[EV_DECISION] = "decision", [EV_REPLICA] = "replica", [EV_BALANCER] = "balancer",
	[EV_RELOAD] = "reload", [EV_ROLLOUT] = "rollout", [EV_ALERT] = "alert",
	[EV_PAUSE] = "pause", [EV_WAKE] = "wake", [EV_CLUSTER] = "cluster",
	[EV_SLEEP] = "sleep",
};

void
events_init(struct events *e, size_t cap)
{
	memset(e, 0, sizeof(*e));
	e->cap = cap > 0 ? cap : 1;
}

void
events_fini(struct events *e)
{
	free(e->ring);
	e->ring = NULL;
	e->n = e->next = 0;
}

/* cb's slot, or -1. */
static int
slot_of(const struct events *e, events_cb cb)
{
	for (int i = 0; i < EVENTS_LISTENERS; i++)
		if (cb != NULL && e->listeners[i].cb == cb)
			return i;
	return -1;
}

int
events_listen(struct events *e, events_cb cb, void *arg)
{
	int i = slot_of(e, cb);

	if (cb == NULL)
		return -1;
	for (int j = 0; i < 0 && j < EVENTS_LISTENERS; j++)
		if (e->listeners[j].cb == NULL)
			i = j;
	if (i < 0)
		return -1;
	e->listeners[i].cb = cb;
	e->listeners[i].arg = arg;
	return 0;
}

void
events_unlisten(struct events *e, events_cb cb)
{
	int i = slot_of(e, cb);

	if (i >= 0) {
		e->listeners[i].cb = NULL;
		e->listeners[i].arg = NULL;
	}
}

void *
events_listener(const struct events *e, events_cb cb)
{
	int i = slot_of(e, cb);

	return i >= 0 ? e->listeners[i].arg : NULL;
}

bool
events_may_listen(const struct events *e, events_cb cb)
{
	if (slot_of(e, cb) >= 0)
		return true;
	for (int i = 0; i < EVENTS_LISTENERS; i++)
		if (e->listeners[i].cb == NULL)
			return true;
	return false;
}

const char *
events_type_name(enum event_type t)
{
	return (unsigned)t < EV_TYPES ? type_names[t] : "unknown";
}

int
events_type_parse(const char *s)
{
	for (int i = 0; i < EV_TYPES; i++)
		if (strcmp(s, type_names[i]) == 0)
			return i;
	return -1;
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t
store(struct events *e, enum event_type t, const char *service, const char *text,
    bool failure)
{
	struct event *ev;

	if (e->cap == 0) /* never initialised: nowhere to keep it */
		return 0;
	/* The ring is allocated at the first event, so an idle daemon does not carry it. */
	if (e->ring == NULL && (e->ring = calloc(e->cap, sizeof(*e->ring))) == NULL)
		return 0;
	ev = &e->ring[e->next];
	ev->id = ++e->last_id;
	ev->unix_ms = wall_ms();
	ev->type = t;
	ev->failure = failure;
	log_escape(ev->service, sizeof(ev->service), service != NULL ? service : "");
	log_escape(ev->msg, sizeof(ev->msg), text);
	e->next = (e->next + 1) % e->cap;
	if (e->n < e->cap)
		e->n++;
	/* A listener may take itself off (the long polls' last one goes): read each slot
	 * as it comes. */
	for (int i = 0; i < EVENTS_LISTENERS; i++)
		if (e->listeners[i].cb != NULL)
			e->listeners[i].cb(e->listeners[i].arg, ev);
	return ev->id;
}

uint64_t
events_vadd(struct events *e, enum event_type t, const char *service, const char *fmt,
    va_list ap)
{
	char text[EVENT_MSG_MAX * 2];

	/* Truncation is fine here: log_escape cuts the stored text anyway. */
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	return store(e, t, service, text, false);
}

uint64_t
events_add(struct events *e, enum event_type t, const char *service, const char *fmt, ...)
{
	va_list ap;
	uint64_t id;

	va_start(ap, fmt);
	id = events_vadd(e, t, service, fmt, ap);
	va_end(ap);
	return id;
}

static uint64_t
vlog(struct events *e, int prio, enum event_type t, const char *service, bool failure,
    const char *fmt, va_list ap)
{
	char text[1024];

	/* Truncation is fine here too: the line is cut, not lost. */
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	log_msg(prio, "%s", text);
	return store(e, t, service, text, failure);
}

uint64_t
events_log(struct events *e, int prio, enum event_type t, const char *service,
    const char *fmt, ...)
{
	va_list ap;
	uint64_t id;

	va_start(ap, fmt);
	id = vlog(e, prio, t, service, false, fmt, ap);
	va_end(ap);
	return id;
}

uint64_t
events_fail(struct events *e, int prio, enum event_type t, const char *service,
    const char *fmt, ...)
{
	va_list ap;
	uint64_t id;

	va_start(ap, fmt);
	id = vlog(e, prio, t, service, true, fmt, ap);
	va_end(ap);
	return id;
}

size_t
events_since(const struct events *e, uint64_t since, const char *service,
    const struct event **out, size_t max)
{
	size_t got = 0;

	/* Oldest first: the slot after the newest when the ring is full, else slot 0. */
	for (size_t i = 0; i < e->n && got < max; i++) {
		const struct event *ev = &e->ring[(e->next + e->cap - e->n + i) % e->cap];

		if (ev->id <= since)
			continue;
		if (service != NULL && strcmp(ev->service, service) != 0)
			continue;
		out[got++] = ev;
	}
	return got;
}

uint64_t
events_oldest(const struct events *e)
{
	if (e->n == 0)
		return 0;
	return e->ring[(e->next + e->cap - e->n) % e->cap].id;
}
