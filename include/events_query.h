/* events_query.h: GET /api/v1/events arguments and answer (doc/api.md, "Event history"). */
#ifndef DOCKSCALE_EVENTS_QUERY_H
#define DOCKSCALE_EVENTS_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"

#define EVENTS_LIMIT_DEFAULT 100
#define EVENTS_LIMIT_MAX 1000
#define EVENTS_WAIT_MAX_MS 60000

struct events_query {
	char service[EVENT_SVC_MAX + 1];
	bool any_service;          /* no service= argument */
	uint64_t since;
	int type;                  /* -1: every type */
	size_t limit;
	int64_t wait_ms;           /* 0: answer at once */
};

/* The query string's values (NULL when absent) into q; -1 with err on a bad one. */
int events_query_parse(struct events_query *q, const char *service, const char *since,
    const char *type, const char *limit, const char *wait, char *err, size_t errlen);

/* Up to q->limit matching events, oldest first, into out (room for q->limit). *cut is
 * set when more matched than fit. */
size_t events_query_run(const struct events *e, const struct events_query *q,
    const struct event **out, bool *cut);

/* {"events":[...],"last_id":N,"oldest_id":N}: last_id is the newest id the answer
 * covers (the last event returned when cut, else the ring's newest), so a follower
 * asks next with since=last_id. NULL when out of memory. */
struct cJSON;
struct cJSON *events_query_json(const struct events *e, const struct event *const *ev,
    size_t n, bool cut);

#endif
