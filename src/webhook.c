/* webhook.c: Alertmanager webhook payloads (version 4) parsed into scaling intents, no I/O. */
#include "webhook.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "text.h"

/* How much of a peer-supplied string (a label name, a version) goes into a message:
 * enough to recognise it, never enough to crowd out the rest of the message. */
#define ECHO_MAX 48
/* Nor quotes or backslashes: label names appear unquoted in the 400 answer and the log. */
#define ECHO_DROP "\"\\"

/* The reason goes into err, cut with "..." if long. Always returns -1, so parse steps
 * can `return fail(...)`. */
static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	text_vformat(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Copy a label or fingerprint. Too long is an error, not a cut: these strings select a
 * service and deduplicate notifications, and a truncated name could select another. */
static int
copy_field(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);

	if (len >= n) {
		dst[0] = '\0';
		return -1;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

/* The part of an alert's labels we use. Every label value must be a string (that is
 * Alertmanager's LabelSet), including the ones we do not look at: a payload breaking
 * that is not from Alertmanager and gets a 400 rather than a partial reading. */
static int
parse_labels(const cJSON *labels, size_t idx, struct webhook_alert *a, char *err,
    size_t errlen)
{
	const cJSON *l;
	char name[ECHO_MAX + 4];
	bool seen_name = false, seen_service = false, seen_action = false;

	if (labels == NULL)
		return fail(err, errlen, "alerts[%zu]: labels missing", idx);
	if (!cJSON_IsObject(labels))
		return fail(err, errlen, "alerts[%zu]: labels is not an object", idx);
	cJSON_ArrayForEach(l, labels) {
		const char *key = l->string != NULL ? l->string : "";
		char *dst = NULL;

		if (!cJSON_IsString(l) || l->valuestring == NULL)
			return fail(err, errlen, "alerts[%zu]: label %s is not a string", idx,
			    text_echo(name, sizeof(name), key, ECHO_DROP));
		/* json_parse_strict refused duplicate keys; the flags keep this loop
		 * linear without relying on that. */
		if (strcmp(key, "alertname") == 0 && !seen_name) {
			seen_name = true;
			dst = a->alertname;
		} else if (strcmp(key, "dockscale_service") == 0 && !seen_service) {
			seen_service = true;
			dst = a->service;
		} else if (strcmp(key, "dockscale_action") == 0 && !seen_action) {
			seen_action = true;
			if (strcmp(l->valuestring, "scale_up") == 0)
				a->action = DECIDE_UP;
			else if (strcmp(l->valuestring, "scale_down") == 0)
				a->action = DECIDE_DOWN;
			else
				a->action_invalid = true; /* the caller reports it per alert */
		}
		if (dst != NULL && copy_field(dst, WEBHOOK_FIELD_MAX, l->valuestring) != 0)
			return fail(err, errlen, "alerts[%zu]: label %s too long (max %d bytes)",
			    idx, key, WEBHOOK_FIELD_MAX - 1);
	}
	return 0;
}

static int
parse_alert(const cJSON *o, size_t idx, struct webhook_alert *a, char *err, size_t errlen)
{
	const cJSON *st, *fp;

	if (!cJSON_IsObject(o))
		return fail(err, errlen, "alerts[%zu] is not an object", idx);
	st = json_get(o, "status");
	if (st == NULL)
		return fail(err, errlen, "alerts[%zu]: status missing", idx);
	if (!cJSON_IsString(st) || st->valuestring == NULL ||
	    (strcmp(st->valuestring, "firing") != 0 && strcmp(st->valuestring, "resolved") != 0))
		return fail(err, errlen, "alerts[%zu]: status must be firing or resolved", idx);
	a->firing = strcmp(st->valuestring, "firing") == 0;
	a->action = DECIDE_HOLD;
	if (parse_labels(json_get(o, "labels"), idx, a, err, errlen) != 0)
		return -1;
	/* Optional (alerts posted by hand have none), but when present it is the dedup key
	 * and must be usable as such. */
	fp = json_get(o, "fingerprint");
	if (fp != NULL && !cJSON_IsNull(fp)) {
		if (!cJSON_IsString(fp) || fp->valuestring == NULL)
			return fail(err, errlen, "alerts[%zu]: fingerprint is not a string", idx);
		if (copy_field(a->fingerprint, sizeof(a->fingerprint), fp->valuestring) != 0)
			return fail(err, errlen, "alerts[%zu]: fingerprint too long (max %d bytes)",
			    idx, WEBHOOK_FIELD_MAX - 1);
	}
	return 0;
}

static int
parse_root(const cJSON *root, struct webhook_payload *out, char *err, size_t errlen)
{
	const cJSON *ver, *st, *alerts, *el;
	char what[ECHO_MAX + 4];
	size_t n = 0, i = 0;

	if (!cJSON_IsObject(root))
		return fail(err, errlen, "payload is not a JSON object");
	ver = json_get(root, "version");
	if (ver == NULL)
		return fail(err, errlen, "version missing");
	/* Alertmanager sends the string "4"; a number 4 is some other sender guessing. */
	if (!cJSON_IsString(ver) || ver->valuestring == NULL)
		return fail(err, errlen, "version must be the string 4");
	if (strcmp(ver->valuestring, "4") != 0)
		return fail(err, errlen, "unsupported version %s (want 4)",
		    text_echo(what, sizeof(what), ver->valuestring, ECHO_DROP));
	/* The group status is informational (each alert carries its own), so an odd one is
	 * left empty instead of failing the whole notification. */
	st = json_get(root, "status");
	if (cJSON_IsString(st) && st->valuestring != NULL &&
	    (strcmp(st->valuestring, "firing") == 0 || strcmp(st->valuestring, "resolved") == 0))
		(void)copy_field(out->status, sizeof(out->status), st->valuestring);

	alerts = json_get(root, "alerts");
	if (alerts == NULL)
		return fail(err, errlen, "alerts missing");
	if (!cJSON_IsArray(alerts))
		return fail(err, errlen, "alerts is not an array");
	/* Count by hand with a bound: a hostile body may hold millions of elements. */
	cJSON_ArrayForEach(el, alerts) {
		if (++n > WEBHOOK_MAX_ALERTS)
			return fail(err, errlen, "too many alerts (max %d)", WEBHOOK_MAX_ALERTS);
	}
	if (n == 0)
		return 0; /* a valid, empty notification: alerts stays NULL */
	out->alerts = calloc(n, sizeof(*out->alerts));
	if (out->alerts == NULL)
		return fail(err, errlen, "out of memory");
	cJSON_ArrayForEach(el, alerts) {
		if (parse_alert(el, i, &out->alerts[i], err, errlen) != 0)
			return -1;
		i++;
	}
	out->nalerts = n;
	return 0;
}

int
webhook_parse(const char *body, size_t len, struct webhook_payload *out, char *err,
    size_t errlen)
{
	cJSON *root;
	int rc;

	memset(out, 0, sizeof(*out));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	/* Strict: no NUL, valid UTF-8, no duplicate keys (doc/testing.md, "Fuzzing"). */
	root = json_parse_strict(body, len, err, errlen);
	if (root == NULL)
		return -1;
	rc = parse_root(root, out, err, errlen);
	cJSON_Delete(root);
	if (rc != 0) { /* nothing half-filled reaches the caller */
		webhook_payload_free(out);
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

void
webhook_payload_free(struct webhook_payload *p)
{
	if (p == NULL)
		return;
	free(p->alerts);
	p->alerts = NULL;
	p->nalerts = 0;
}
