/* alerts.c: the Alertmanager webhook: each firing alert steps its service once. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "dockscaled.h"
#include "log.h"
#include "service.h"
#include "webhook.h"

static const char *const outcome_names[] = {
	[ALERT_STEPPED] = "stepped", [ALERT_HELD] = "held", [ALERT_DUPLICATE] = "duplicate",
	[ALERT_RESOLVED] = "resolved", [ALERT_IGNORED] = "ignored",
};

const char *
alerts_outcome_name(enum alert_outcome o)
{
	return o < ALERT_OUTCOMES ? outcome_names[o] : "?";
}

void
alerts_count(struct dsd *d, int code)
{
	static const int codes[WEBHOOK_CODES] = WEBHOOK_CODE_LIST;

	for (size_t i = 0; i < WEBHOOK_CODES; i++)
		if (codes[i] == code)
			d->stats.webhooks[i]++;
}

static bool
listed(const struct strv *sv, const char *name)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], name) == 0)
			return true;
	return false;
}

/* The direction a service's alertname lists give an alert, or HOLD if neither lists it. */
static enum decide_dir
listed_dir(const struct svc *s, const char *alertname)
{
	if (listed(&s->conf->up_alerts, alertname))
		return DECIDE_UP;
	if (listed(&s->conf->down_alerts, alertname))
		return DECIDE_DOWN;
	return DECIDE_HOLD;
}

/* Service and direction: labels first, then the services' alertname lists. */
static struct svc *
match(struct dsd *d, const struct webhook_alert *a, enum decide_dir *dir)
{
	*dir = a->action;
	if (a->service[0] != '\0') {
		struct svc *s = svc_find(d, a->service);

		if (s == NULL || s->conf == NULL)
			return NULL;
		if (*dir == DECIDE_HOLD && a->alertname[0] != '\0')
			*dir = listed_dir(s, a->alertname);
		return s;
	}
	if (a->alertname[0] == '\0')
		return NULL;
	for (size_t i = 0; i < d->nsvcs; i++) {
		struct svc *s = d->svcs[i];
		enum decide_dir listed_as;

		if (s->conf == NULL)
			continue;
		listed_as = listed_dir(s, a->alertname);
		if (listed_as == DECIDE_HOLD)
			continue;
		if (*dir == DECIDE_HOLD)
			*dir = listed_as;
		return s;
	}
	return NULL;
}

/* A re-sent notification of an alert that already stepped, inside that cooldown. */
static bool
duplicate(struct svc *s, const struct webhook_alert *a, enum decide_dir dir, int64_t now)
{
	int64_t cooldown = dir == DECIDE_UP ? s->conf->dp.up_cooldown_ms :
	    s->conf->dp.down_cooldown_ms;

	if (a->fingerprint[0] == '\0')
		return false;
	for (size_t i = 0; i < SVC_FINGERPRINTS; i++) {
		const struct svc_fp *f = &s->fps[i];

		if (f->dir == dir && strcmp(f->fp, a->fingerprint) == 0 && now - f->at < cooldown)
			return true;
	}
	return false;
}

static void
remember(struct svc *s, const struct webhook_alert *a, enum decide_dir dir, int64_t now)
{
	struct svc_fp *f = &s->fps[s->nfp++ % SVC_FINGERPRINTS];

	snprintf(f->fp, sizeof(f->fp), "%s", a->fingerprint);
	f->dir = dir;
	f->at = now;
}

static enum alert_outcome
handle_one(struct dsd *d, const struct webhook_alert *a, cJSON *item)
{
	int64_t now = loop_now(&d->loop);
	struct decide_result res;
	enum decide_dir dir;
	struct svc *s = match(d, a, &dir);
	char why[160];

	cJSON_AddStringToObject(item, "alertname", a->alertname);
	cJSON_AddStringToObject(item, "fingerprint", a->fingerprint);
	if (s == NULL) {
		cJSON_AddStringToObject(item, "reason", a->service[0] != '\0' ?
		    "unknown service" : "matches no service");
		return ALERT_IGNORED;
	}
	cJSON_AddStringToObject(item, "service", s->name);
	if (a->action_invalid || dir == DECIDE_HOLD) {
		cJSON_AddStringToObject(item, "reason", a->action_invalid ?
		    "dockscale_action is not scale_up or scale_down" : "no direction for this alert");
		return ALERT_IGNORED;
	}
	cJSON_AddStringToObject(item, "action", dir == DECIDE_UP ? "scale_up" : "scale_down");
	if (!a->firing) {
		log_info("%s: alert %s resolved", s->name, a->alertname);
		return ALERT_RESOLVED;
	}
	if (duplicate(s, a, dir, now)) {
		cJSON_AddStringToObject(item, "reason", "re-sent inside the cooldown");
		return ALERT_DUPLICATE;
	}
	snprintf(why, sizeof(why), "alert %s", a->alertname[0] != '\0' ? a->alertname : "?");
	scale_alert(s, dir, why, &res);
	cJSON_AddStringToObject(item, "reason", res.reason);
	cJSON_AddNumberToObject(item, "desired", res.desired);
	/* Refresh the metric soon: the alert says load changed (coalesced: a flood of
	 * webhooks is not a flood of stats rounds). */
	metric_refresh(s);
	if (res.dir != dir)
		return ALERT_HELD;
	remember(s, a, dir, now);
	return ALERT_STEPPED;
}

void
alerts_handle(struct dsd *d, const struct http_req *req, struct http_resp *resp)
{
	struct webhook_payload p = { 0 };
	char err[256];
	cJSON *o, *arr;
	int counts[ALERT_OUTCOMES] = { 0 };

	if (req->too_big) {
		http_resp_error(resp, 413, "request body exceeds 1 MiB");
		goto out;
	}
	if (!api_allowed(req, resp, "POST") || !api_authorized(d, req, resp))
		goto out;
	if (webhook_parse(req->body, req->body_len, &p, err, sizeof(err)) == -1) {
		http_resp_error(resp, 400, "%s", err);
		goto out;
	}
	o = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(o, "alerts");
	for (size_t i = 0; i < p.nalerts && arr != NULL; i++) {
		cJSON *item = cJSON_CreateObject();
		enum alert_outcome oc;

		if (item == NULL)
			break;
		oc = handle_one(d, &p.alerts[i], item);
		cJSON_AddStringToObject(item, "outcome", alerts_outcome_name(oc));
		cJSON_AddItemToArray(arr, item);
		counts[oc]++;
		d->stats.alerts[oc]++;
	}
	for (int k = 0; k < ALERT_OUTCOMES; k++)
		cJSON_AddNumberToObject(o, alerts_outcome_name((enum alert_outcome)k), counts[k]);
	log_info("webhook: %zu alert(s): %d stepped, %d held, %d duplicate, %d resolved, "
	    "%d ignored", p.nalerts, counts[ALERT_STEPPED], counts[ALERT_HELD],
	    counts[ALERT_DUPLICATE], counts[ALERT_RESOLVED], counts[ALERT_IGNORED]);
	api_reply_json(resp, 200, o);
out:
	webhook_payload_free(&p);
	alerts_count(d, resp->status);
}
