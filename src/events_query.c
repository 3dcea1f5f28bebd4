/* events_query.c: GET /api/v1/events: its arguments parsed, the ring filtered, the JSON. */
#include "events_query.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"

/* Digits only (no sign, space or suffix), at most max. */
static int
parse_count(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

int
events_query_parse(struct events_query *q, const char *service, const char *since,
    const char *type, const char *limit, const char *wait, char *err, size_t errlen)
{
	uint64_t v;

	memset(q, 0, sizeof(*q));
	q->any_service = service == NULL;
	q->type = -1;
	q->limit = EVENTS_LIMIT_DEFAULT;
	if (service != NULL) {
		if (strlen(service) > EVENT_SVC_MAX) {
			(void)snprintf(err, errlen, "service: longer than %d characters", EVENT_SVC_MAX);
			return -1;
		}
		memcpy(q->service, service, strlen(service) + 1);
	}
	if (since != NULL) {
		if (parse_count(since, UINT64_MAX, &v) == -1) {
			(void)snprintf(err, errlen, "since: expected an event id (0, 1, 2 ...)");
			return -1;
		}
		q->since = v;
	}
	if (type != NULL && (q->type = events_type_parse(type)) < 0) {
		(void)snprintf(err, errlen, "type: expected one of decision, replica, balancer, "
		    "reload, rollout, alert, pause, wake, cluster, sleep");
		return -1;
	}
	if (limit != NULL) {
		if (parse_count(limit, EVENTS_LIMIT_MAX, &v) == -1 || v == 0) {
			(void)snprintf(err, errlen, "limit: expected 1 to %d", EVENTS_LIMIT_MAX);
			return -1;
		}
		q->limit = (size_t)v;
	}
	if (wait != NULL && (config_parse_duration(wait, &q->wait_ms) == -1 ||
	    q->wait_ms > EVENTS_WAIT_MAX_MS)) {
		(void)snprintf(err, errlen, "wait: expected a duration up to 60s (\"30s\", "
		    "\"500ms\")");
		return -1;
	}
	return 0;
}

size_t
events_query_run(const struct events *e, const struct events_query *q,
    const struct event **out, bool *cut)
{
	const struct event **all = e->n > 0 ? malloc(e->n * sizeof(*all)) : NULL;
	size_t n, got = 0;

	*cut = false;
	if (all == NULL || out == NULL) {
		free(all);
		return 0;
	}
	n = events_since(e, q->since, q->any_service ? NULL : q->service, all, e->n);
	for (size_t i = 0; i < n; i++) {
		if (q->type >= 0 && (int)all[i]->type != q->type)
			continue;
		if (got == q->limit) {
			*cut = true;
			break;
		}
		out[got++] = all[i];
	}
	free(all);
	return got;
}

/* "2026-11-30T21:00:00.123Z" */
static void
iso_time(char *buf, size_t n, int64_t unix_ms)
{
	time_t t = (time_t)(unix_ms / 1000);
	struct tm tm;
	char s[32];

	if (gmtime_r(&t, &tm) == NULL || strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		s[0] = '\0';
	(void)snprintf(buf, n, "%s.%03dZ", s, (int)(unix_ms % 1000));
}

cJSON *
events_query_json(const struct events *e, const struct event *const *ev, size_t n, bool cut)
{
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "events");
	char t[48];

	if (arr == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		cJSON *x = cJSON_CreateObject();

		if (x == NULL)
			break;
		iso_time(t, sizeof t, ev[i]->unix_ms);
		cJSON_AddNumberToObject(x, "id", (double)ev[i]->id);
		cJSON_AddStringToObject(x, "time", t);
		cJSON_AddNumberToObject(x, "unix_ms", (double)ev[i]->unix_ms);
		cJSON_AddStringToObject(x, "type", events_type_name(ev[i]->type));
		cJSON_AddStringToObject(x, "service", ev[i]->service);
		cJSON_AddStringToObject(x, "message", ev[i]->msg);
		cJSON_AddItemToArray(arr, x);
	}
	cJSON_AddNumberToObject(o, "last_id", (double)(cut && n > 0 ? ev[n - 1]->id :
	    e->last_id));
	cJSON_AddNumberToObject(o, "oldest_id", (double)events_oldest(e));
	return o;
}
