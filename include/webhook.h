/* webhook.h: Alertmanager webhook payloads (version 4), parsed into scaling intents. */
#ifndef DOCKSCALE_WEBHOOK_H
#define DOCKSCALE_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>

#include "decide.h"

#define WEBHOOK_FIELD_MAX 128

/* One alert of a payload, as far as dockscale cares. */
struct webhook_alert {
	char alertname[WEBHOOK_FIELD_MAX];   /* labels.alertname, "" if absent */
	char service[WEBHOOK_FIELD_MAX];     /* labels.dockscale_service, "" if absent */
	enum decide_dir action;              /* labels.dockscale_action: scale_up / scale_down;
	                                      * HOLD when absent or unknown */
	bool action_invalid;                 /* dockscale_action present but not one of the two */
	bool firing;                         /* status == "firing" (else resolved) */
	char fingerprint[WEBHOOK_FIELD_MAX]; /* "" if absent */
};

struct webhook_payload {
	struct webhook_alert *alerts;        /* malloc'd */
	size_t nalerts;
	char status[16];                     /* top-level status: firing | resolved */
};

/* Parse body (len bytes, not necessarily NUL-terminated). Returns 0, or -1 with a
 * human-readable reason in err (for the 400 answer): not JSON, not an object,
 * "version" missing or not "4", "alerts" missing or not an array, an alert that is not
 * an object, an alert whose "status" is missing or not "firing"/"resolved", "labels"
 * missing or not an object, a label value that is not a string. Fields dockscale does
 * not use are ignored. At most WEBHOOK_MAX_ALERTS alerts (more is an error). */
#define WEBHOOK_MAX_ALERTS 1000
int webhook_parse(const char *body, size_t len, struct webhook_payload *out, char *err,
    size_t errlen);
void webhook_payload_free(struct webhook_payload *p);

#endif
