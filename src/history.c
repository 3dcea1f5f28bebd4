/* history.c: a service's recent counts and metric, a bounded ring for the status page's chart. */
#include <cjson/cJSON.h>
#include <math.h>
#include <time.h>

#include "service.h"

#define HISTORY_MERGE_MS 1000 /* a change inside this replaces the newest point */

static struct history_point *
newest(struct history *h)
{
	return h->n == 0 ? NULL : &h->p[(h->next + HISTORY_POINTS - 1) % HISTORY_POINTS];
}

void
history_add(struct history *h, int64_t now, int64_t unix_ms, int ready, int desired,
    double metric, int64_t step_ms)
{
	struct history_point *last = newest(h), *p;
	bool changed = last != NULL && (last->ready != ready || last->desired != desired);

	if (last != NULL && now - h->last_ms < step_ms && !changed)
		return;
	if (last != NULL && changed && now - h->last_ms < HISTORY_MERGE_MS) {
		p = last; /* a burst of changes: the chart shows where it ended */
	} else {
		p = &h->p[h->next];
		h->next = (h->next + 1) % HISTORY_POINTS;
		if (h->n < HISTORY_POINTS)
			h->n++;
		h->last_ms = now;
	}
	p->unix_ms = unix_ms;
	p->ready = ready;
	p->desired = desired;
	p->metric = metric;
}

const struct history_point *
history_at(const struct history *h, size_t i)
{
	if (i >= h->n)
		return NULL;
	return &h->p[(h->next + HISTORY_POINTS - h->n + i) % HISTORY_POINTS];
}

int64_t
history_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

cJSON *
history_json(const struct history *h, const char *name, int64_t step_ms)
{
	cJSON *o = cJSON_CreateObject(), *arr;

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "service", name);
	cJSON_AddNumberToObject(o, "step_ms", (double)step_ms);
	arr = cJSON_AddArrayToObject(o, "points");
	for (size_t i = 0; i < h->n && arr != NULL; i++) {
		const struct history_point *p = history_at(h, i);
		cJSON *pt = cJSON_CreateObject();

		if (pt == NULL)
			break;
		cJSON_AddNumberToObject(pt, "t", (double)p->unix_ms);
		cJSON_AddNumberToObject(pt, "ready", p->ready);
		cJSON_AddNumberToObject(pt, "desired", p->desired);
		if (isfinite(p->metric))
			cJSON_AddNumberToObject(pt, "metric", p->metric);
		else
			cJSON_AddNullToObject(pt, "metric");
		cJSON_AddItemToArray(arr, pt);
	}
	return o;
}
