/* events.h: the event history, a bounded ring with monotonic ids (doc/api.md, "Event
 * history"). */
#ifndef DOCKSCALE_EVENTS_H
#define DOCKSCALE_EVENTS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVENTS_MAX 1000   /* events kept; older ones are forgotten first */
#define EVENT_MSG_MAX 240 /* one event's text, cut with "..." beyond it */
#define EVENT_SVC_MAX 64  /* CONFIG_NAME_MAX */
#define EVENTS_LISTENERS 4 /* the API's long polls, notifications (notify.c), room to spare */

/* What an event is about: a fixed vocabulary, so clients can filter on it. */
enum event_type {
	EV_DECISION = 0, /* a decision or request that changed a desired count */
	EV_REPLICA,      /* replica lifecycle: created, healthy, joined, draining, stopped,
	                  * failed start, replaced */
	EV_BALANCER,     /* balancer syncs that changed membership, and their failures */
	EV_RELOAD,       /* configuration reloads, good or refused */
	EV_ROLLOUT,      /* rolling updates */
	EV_ALERT,        /* webhooks that stepped a service */
	EV_PAUSE,        /* pause and resume */
	EV_WAKE,         /* waking a service from zero */
	EV_CLUSTER,      /* a cluster runtime's leadership and its service updates */
	EV_SLEEP,        /* an idle service put to sleep (doc/sleeping.md) */
	EV_TYPES,
};

struct event {
	uint64_t id;                    /* 1, 2, 3 ... never reused within a run */
	int64_t unix_ms;                /* wall clock */
	enum event_type type;
	char service[EVENT_SVC_MAX + 1]; /* "" = the daemon itself */
	char msg[EVENT_MSG_MAX + 1];
	bool failure;   /* a step that failed (events_fail): a replica's failed start, a
	                 * balancer sync that failed, a reload refused; notifications can
	                 * select these alone (doc/notifications.md) */
};

/* Someone wants each event as it is stored: the long polls of GET /api/v1/events, the
 * notifications. */
typedef void (*events_cb)(void *arg, const struct event *ev);

struct events { /* owner: events.c */
	struct event *ring;   /* cap slots, allocated at the first event */
	size_t cap, n, next;  /* n used; next = where the next one goes */
	uint64_t last_id;
	struct {
		events_cb cb;     /* NULL: a free slot */
		void *arg;
	} listeners[EVENTS_LISTENERS]; /* called after each event is stored, in order */
};

void events_init(struct events *e, size_t cap);
void events_fini(struct events *e);
const char *events_type_name(enum event_type t);
/* cb is called with arg after each event is stored, until events_unlisten; a cb
 * registered already keeps its slot and takes the new arg. -1 when every slot
 * (EVENTS_LISTENERS) is taken. A listener must not add events itself. */
int events_listen(struct events *e, events_cb cb, void *arg);
/* cb is no longer called (nothing when it was not listening). */
void events_unlisten(struct events *e, events_cb cb);
/* The arg cb was registered with, or NULL when cb is not listening. */
void *events_listener(const struct events *e, events_cb cb);
/* May cb listen (it does, or a slot is free)? */
bool events_may_listen(const struct events *e, events_cb cb);
/* -1 when s names no type. */
int events_type_parse(const char *s);

/* Store one event (the text is made safe for a log line) and return its id; 0 when it
 * could not be stored (no memory: logged once by the caller's log line anyway). */
uint64_t events_add(struct events *e, enum event_type t, const char *service,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
uint64_t events_vadd(struct events *e, enum event_type t, const char *service,
    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
/* Log the line at prio AND store it as an event: a notable step is both (doc/api.md,
 * "Event history"). */
uint64_t events_log(struct events *e, int prio, enum event_type t, const char *service,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* events_log of a failure (struct event's failure set). */
uint64_t events_fail(struct events *e, int prio, enum event_type t, const char *service,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Up to max events with id > since, oldest first, of service (NULL: all); stores
 * pointers into the ring (valid until the next events_add). Returns how many. */
size_t events_since(const struct events *e, uint64_t since, const char *service,
    const struct event **out, size_t max);
/* The oldest id still kept (0 when none): a client whose `since` is older lost some. */
uint64_t events_oldest(const struct events *e);

#endif
