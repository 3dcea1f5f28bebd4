/* explain.c: a service's state read back in words: the blocking factor and the next step. */
#include "explain.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

static void line(struct explain_out *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
line(struct explain_out *out, const char *fmt, ...)
{
	va_list ap;

	if (out->nlines == EXPLAIN_LINES)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(out->lines[out->nlines++], EXPLAIN_LINE_MAX, fmt, ap);
	va_end(ap);
}

static void block(struct explain_out *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
block(struct explain_out *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(out->blocking, sizeof out->blocking, fmt, ap);
	va_end(ap);
	out->next = DECIDE_HOLD;
}

static double
sec(int64_t ms)
{
	return (double)ms / 1000.0;
}

static void
value_lines(const struct explain_in *in, struct explain_out *out)
{
	char sm[48] = "";

	if (in->metric == NULL) {
		line(out, "metric: none (only bounds and manual requests change the count)");
		return;
	}
	if (!in->have_value) {
		line(out, "%s: no value (%s)", in->metric,
		    in->missing_why != NULL ? in->missing_why : "no sample yet");
		return;
	}
	if (isfinite(in->smoothed))
		(void)snprintf(sm, sizeof sm, " (smoothed %.1f)", in->smoothed);
	if (in->policy == POLICY_THRESHOLD)
		line(out, "%s: value %.1f%s vs up %.1f / down %.1f", in->metric, in->value, sm,
		    in->up, in->down);
	else
		line(out, "%s: value %.1f%s vs target %.1f (tolerance %.0f%%)", in->metric,
		    in->value, sm, in->target, in->tolerance * 100.0);
}

static void
window_line(struct explain_out *out, const char *name, int64_t held, int64_t for_ms)
{
	if (held < 0)
		line(out, "%s %.1fs: condition not holding", name, sec(for_ms));
	else
		line(out, "%s %.1fs: held %.1fs%s", name, sec(for_ms), sec(held),
		    held >= for_ms ? " (passed)" : "");
}

/* In gate order (decide.c): bounds, pending starts, cooldown, then the window. */
static void
judge(const struct explain_in *in, struct explain_out *out)
{
	out->next = DECIDE_HOLD;
	if (in->paused) {
		block(out, "paused at %d: the policy and alerts are off until resume",
		    in->paused_replicas);
		return;
	}
	/* Even toward min_replicas: only the top priority's floor is never refused. */
	if (in->headroom != NULL && in->current < in->desired) {
		block(out, "%s", in->headroom);
		return;
	}
	if (in->current < in->min || in->current > in->max) {
		out->next = in->current < in->min ? DECIDE_UP : DECIDE_DOWN;
		return; /* bounds are restored whatever else holds */
	}
	if (in->manual_hold != NULL) {
		block(out, "%s", in->manual_hold);
		return;
	}
	if (in->metric == NULL)
		return;
	if (!in->have_value) {
		block(out, "missing data (%s)", in->missing_why != NULL ? in->missing_why :
		    "no sample yet");
		return;
	}
	if (in->up_held_ms >= 0) {
		if (in->current >= in->max)
			block(out, "at max_replicas %d", in->max);
		else if (in->starting > 0)
			block(out, "pending start: %d replica(s) still starting", in->starting);
		else if (in->cooldown_up_left_ms > 0)
			block(out, "scale-up cooldown: %.1fs left", sec(in->cooldown_up_left_ms));
		else if (in->up_held_ms < in->up_for_ms)
			block(out, "scale_up_for window: held %.1fs of %.1fs", sec(in->up_held_ms),
			    sec(in->up_for_ms));
		else
			out->next = DECIDE_UP;
	} else if (in->down_held_ms >= 0) {
		if (in->current <= in->min)
			block(out, "at min_replicas %d", in->min);
		else if (in->cooldown_down_left_ms > 0)
			block(out, "scale-down cooldown: %.1fs left", sec(in->cooldown_down_left_ms));
		else if (in->down_held_ms < in->down_for_ms)
			block(out, "scale_down_for window: held %.1fs of %.1fs",
			    sec(in->down_held_ms), sec(in->down_for_ms));
		else
			out->next = DECIDE_DOWN;
	}
}

void
explain_build(const struct explain_in *in, struct explain_out *out)
{
	out->nlines = 0;
	out->blocking[0] = '\0';
	line(out, "replicas: %d current (%d ready, %d starting), desired %d, bounds [%d, %d]",
	    in->current, in->ready, in->starting, in->desired, in->min, in->max);
	value_lines(in, out);
	if (in->schedule != NULL)
		line(out, "schedule: %s", in->schedule);
	if (in->sleep != NULL)
		line(out, "sleep: %s", in->sleep);
	if (in->traffic != NULL)
		line(out, "traffic: %s", in->traffic);
	if (in->headroom != NULL)
		line(out, "%s", in->headroom);
	if (in->metric != NULL) {
		window_line(out, "scale_up_for", in->up_held_ms, in->up_for_ms);
		window_line(out, "scale_down_for", in->down_held_ms, in->down_for_ms);
	}
	line(out, "cooldown left: up %.1fs, down %.1fs", sec(in->cooldown_up_left_ms),
	    sec(in->cooldown_down_left_ms));
	if (in->starting > 0)
		line(out, "pending starts: %d", in->starting);
	if (in->backoff_left_ms > 0)
		line(out, "start backoff: %.1fs left after %d failed start(s)",
		    sec(in->backoff_left_ms), in->start_failures);
	if (in->paused)
		line(out, "paused at %d", in->paused_replicas);
	if (in->manual_hold != NULL)
		line(out, "%s", in->manual_hold);
	if (in->last_reason != NULL)
		line(out, "last decision: %s", in->last_reason);
	judge(in, out);
	line(out, "next: %s", out->next == DECIDE_UP ? "scale up" :
	    out->next == DECIDE_DOWN ? "scale down" : "hold");
}

static const char *
next_name(enum decide_dir d)
{
	return d == DECIDE_UP ? "scale_up" : d == DECIDE_DOWN ? "scale_down" : "hold";
}

static void
add_num(cJSON *o, const char *k, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static void
add_window(cJSON *o, const char *k, int64_t held, int64_t for_ms)
{
	cJSON *w = cJSON_AddObjectToObject(o, k);

	if (w == NULL)
		return;
	add_num(w, "held_ms", held >= 0 ? (double)held : NAN);
	cJSON_AddNumberToObject(w, "for_ms", (double)for_ms);
}

cJSON *
explain_json(const char *service, const struct explain_in *in, const struct explain_out *out)
{
	cJSON *o = cJSON_CreateObject(), *arr, *m;

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "service", service);
	cJSON_AddNumberToObject(o, "current", in->current);
	cJSON_AddNumberToObject(o, "desired", in->desired);
	cJSON_AddStringToObject(o, "next", next_name(out->next));
	if (out->blocking[0] != '\0')
		cJSON_AddStringToObject(o, "blocking", out->blocking);
	else
		cJSON_AddNullToObject(o, "blocking");
	arr = cJSON_AddArrayToObject(o, "lines");
	for (size_t i = 0; i < out->nlines && arr != NULL; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(out->lines[i]));
	cJSON_AddNumberToObject(o, "ready", in->ready);
	cJSON_AddNumberToObject(o, "starting", in->starting);
	cJSON_AddNumberToObject(o, "min_replicas", in->min);
	cJSON_AddNumberToObject(o, "max_replicas", in->max);
	cJSON_AddBoolToObject(o, "paused", in->paused);
	if (in->paused)
		cJSON_AddNumberToObject(o, "paused_replicas", in->paused_replicas);
	else
		cJSON_AddNullToObject(o, "paused_replicas");
	cJSON_AddBoolToObject(o, "manual_hold", in->manual_hold != NULL);
	if (in->metric != NULL && (m = cJSON_AddObjectToObject(o, "metric")) != NULL) {
		cJSON_AddStringToObject(m, "name", in->metric);
		add_num(m, "value", in->have_value ? in->value : NAN);
		add_num(m, "smoothed", in->smoothed);
		if (in->policy == POLICY_THRESHOLD) {
			cJSON_AddNumberToObject(m, "up_threshold", in->up);
			cJSON_AddNumberToObject(m, "down_threshold", in->down);
		} else {
			cJSON_AddNumberToObject(m, "target", in->target);
			cJSON_AddNumberToObject(m, "tolerance", in->tolerance);
		}
		add_window(o, "scale_up_for", in->up_held_ms, in->up_for_ms);
		add_window(o, "scale_down_for", in->down_held_ms, in->down_for_ms);
	}
	cJSON_AddNumberToObject(o, "cooldown_up_left_ms", (double)in->cooldown_up_left_ms);
	cJSON_AddNumberToObject(o, "cooldown_down_left_ms", (double)in->cooldown_down_left_ms);
	cJSON_AddNumberToObject(o, "backoff_left_ms", (double)in->backoff_left_ms);
	return o;
}
