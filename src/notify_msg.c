/* notify_msg.c: the bodies of notifications and their bounded queue (pure: no loop, no I/O). */
#include "notify_msg.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The words for what an operator wants to hear of (issue 25), each a type or a
 * type's failures: doc/notifications.md, "Which events". */
static const struct {
	const char *name;
	enum event_type type;
	bool failure_only;
} aliases[] = {
	{ "scale", EV_DECISION, false },
	{ "failed_start", EV_REPLICA, true },
	{ "balancer_failure", EV_BALANCER, true },
	{ "reload_refused", EV_RELOAD, true },
};

int
notify_select_parse(const char *s, struct notify_select *sel, char *err, size_t errlen)
{
	struct notify_select out = { 0, 0 };
	char *copy = strdup(s), *save = NULL;
	int rc = 0;

	if (copy == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (char *t = strtok_r(copy, ", \t", &save); t != NULL && rc == 0;
	    t = strtok_r(NULL, ", \t", &save)) {
		int ty = events_type_parse(t);
		size_t i;

		if (strcmp(t, "all") == 0) {
			out.types = (1u << EV_TYPES) - 1;
			continue;
		}
		if (ty >= 0) {
			out.types |= 1u << ty;
			continue;
		}
		for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
			if (strcmp(t, aliases[i].name) == 0)
				break;
		if (i == sizeof(aliases) / sizeof(aliases[0])) {
			snprintf(err, errlen, "'%s' is not an event type (all, decision, replica, "
			    "balancer, reload, rollout, alert, pause, wake, cluster, sleep, scale, "
			    "failed_start, balancer_failure, reload_refused)", t);
			rc = -1;
		} else if (aliases[i].failure_only) {
			out.failures |= 1u << aliases[i].type;
		} else {
			out.types |= 1u << aliases[i].type;
		}
	}
	free(copy);
	if (rc == 0 && out.types == 0 && out.failures == 0) {
		snprintf(err, errlen, "names no event type");
		rc = -1;
	}
	if (rc == 0)
		*sel = out;
	return rc;
}

bool
notify_selected(const struct notify_select *sel, const struct event *ev)
{
	unsigned bit;

	if ((unsigned)ev->type >= EV_TYPES)
		return false;
	bit = 1u << ev->type;
	return (sel->types & bit) != 0 || (ev->failure && (sel->failures & bit) != 0);
}

/* RFC 3339 in UTC with milliseconds, as the event history's "time" (events_query.c). */
static void
iso_time(int64_t unix_ms, char *out, size_t len)
{
	time_t sec = (time_t)(unix_ms / 1000);
	struct tm tm;
	char day[32];

	if (gmtime_r(&sec, &tm) == NULL || strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S",
	    &tm) == 0) {
		snprintf(out, len, "1970-01-01T00:00:00.000Z");
		return;
	}
	/* day is at most 19 characters: the whole stamp fits a 32-byte out */
	if (snprintf(out, len, "%s.%03dZ", day, (int)(unix_ms % 1000)) >= (int)len)
		out[len - 1] = '\0';
}

char *
notify_body(const struct event *ev, enum notify_format f)
{
	cJSON *o = cJSON_CreateObject();
	char stamp[32], text[EVENT_MSG_MAX + EVENT_SVC_MAX + 64];
	char *body = NULL;
	bool ok = o != NULL;

	if (f == NOTIFY_SLACK) {
		/* Slack's incoming webhook (Mattermost's and Rocket.Chat's take it too):
		 * plain text; the message is already one safe line (events.c), and cJSON
		 * escapes it for JSON. Slack reads <, > and & as markup: escaped as it asks. */
		char msg[EVENT_MSG_MAX * 5 + 1];
		size_t n = 0;

		for (const char *c = ev->msg; *c != '\0' && n + 6 < sizeof(msg); c++) {
			const char *rep = *c == '<' ? "&lt;" : *c == '>' ? "&gt;" :
			    *c == '&' ? "&amp;" : NULL;

			if (rep != NULL) {
				memcpy(msg + n, rep, strlen(rep));
				n += strlen(rep);
			} else {
				msg[n++] = *c;
			}
		}
		msg[n] = '\0';
		if (snprintf(text, sizeof(text), "dockscale: [%s%s]%s%s %s",
		    events_type_name(ev->type), ev->failure ? " failure" : "",
		    ev->service[0] != '\0' ? " " : "", ev->service, msg) >= (int)sizeof(text))
			text[sizeof(text) - 1] = '\0'; /* cut: still one line of text */
		ok = ok && cJSON_AddStringToObject(o, "text", text) != NULL;
	} else {
		iso_time(ev->unix_ms, stamp, sizeof(stamp));
		ok = ok && cJSON_AddNumberToObject(o, "id", (double)ev->id) != NULL &&
		    cJSON_AddStringToObject(o, "time", stamp) != NULL &&
		    cJSON_AddNumberToObject(o, "unix_ms", (double)ev->unix_ms) != NULL &&
		    cJSON_AddStringToObject(o, "type", events_type_name(ev->type)) != NULL &&
		    cJSON_AddStringToObject(o, "service", ev->service) != NULL &&
		    cJSON_AddStringToObject(o, "message", ev->msg) != NULL &&
		    cJSON_AddBoolToObject(o, "failure", ev->failure) != NULL;
	}
	if (ok)
		body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return body;
}

int
notify_queue_init(struct notify_queue *q, size_t cap)
{
	memset(q, 0, sizeof(*q));
	q->cap = cap > 0 ? cap : 1;
	q->items = calloc(q->cap, sizeof(*q->items));
	return q->items != NULL ? 0 : -1;
}

void
notify_queue_fini(struct notify_queue *q)
{
	char *b;

	while ((b = notify_queue_pop(q)) != NULL)
		free(b);
	free(q->items);
	q->items = NULL;
	q->cap = 0;
}

void
notify_queue_push(struct notify_queue *q, char *body)
{
	if (q->cap == 0) { /* never initialised: nowhere to keep it */
		free(body);
		q->dropped++;
		return;
	}
	if (q->n == q->cap) { /* full: the oldest goes, so the newest news is kept */
		free(notify_queue_pop(q));
		q->dropped++;
	}
	q->items[(q->head + q->n) % q->cap] = body;
	q->n++;
}

char *
notify_queue_pop(struct notify_queue *q)
{
	char *b;

	if (q->n == 0)
		return NULL;
	b = q->items[q->head];
	q->items[q->head] = NULL;
	q->head = (q->head + 1) % q->cap;
	q->n--;
	return b;
}

int
notify_queue_resize(struct notify_queue *q, size_t cap)
{
	struct notify_queue nq;
	char *b;

	if (cap == 0)
		cap = 1;
	if (cap == q->cap)
		return 0;
	if (notify_queue_init(&nq, cap) == -1)
		return -1;
	nq.dropped = q->dropped;
	while ((b = notify_queue_pop(q)) != NULL)
		notify_queue_push(&nq, b);
	free(q->items);
	*q = nq;
	return 0;
}
