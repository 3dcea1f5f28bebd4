/* notify_msg.h: what a notification says and the bounded queue it waits in: pure
 * (doc/notifications.md). */
#ifndef DOCKSCALE_NOTIFY_MSG_H
#define DOCKSCALE_NOTIFY_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"

/* [notify] format */
enum notify_format { NOTIFY_JSON = 0, NOTIFY_SLACK = 1 };

/* Which events are sent: every event of a type in types (bit 1u << type), and the
 * failures (struct event's failure) of a type in failures. */
struct notify_select {
	unsigned types;
	unsigned failures;
};
_Static_assert(EV_TYPES <= 32, "a notify_select bit per event type");

/* The value of [notify] events: names of event types, `all`, and the words
 * (doc/notifications.md, "Which events"), separated by commas and/or spaces. 0, or -1
 * with the reason (the bad word) in err. */
int notify_select_parse(const char *s, struct notify_select *sel, char *err, size_t errlen);
bool notify_selected(const struct notify_select *sel, const struct event *ev);

/* The request body for ev in format f, NUL-terminated and malloc'd; NULL when out of
 * memory. json: {"id","time","unix_ms","type","service","message","failure"}; slack:
 * {"text": "dockscale: [TYPE] SERVICE: MESSAGE"}. */
char *notify_body(const struct event *ev, enum notify_format f);

/* A bounded FIFO of bodies: when full, a push drops (frees) the oldest and counts it. */
struct notify_queue {
	char **items;     /* cap slots */
	size_t cap, head, n;
	uint64_t dropped; /* pushed and never taken */
};

/* -1 when out of memory. cap >= 1. */
int notify_queue_init(struct notify_queue *q, size_t cap);
void notify_queue_fini(struct notify_queue *q);
/* Takes body (freed by the queue when it is dropped). */
void notify_queue_push(struct notify_queue *q, char *body);
/* The oldest body, now the caller's; NULL when empty. */
char *notify_queue_pop(struct notify_queue *q);
/* A new cap, the newest kept (the others dropped); -1 when out of memory (q unchanged). */
int notify_queue_resize(struct notify_queue *q, size_t cap);

#endif
