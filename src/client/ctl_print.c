/* ctl_print.c: dockscalectl's text output, made from the API's JSON (pure: no I/O but
 * the FILE it is given). */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define NCOLS 9      /* at most: a service's containers with the balancer's figures */
#define TABLE_COLS 7 /* the service table's */
#define CELL 96
#define SHORT_ID 12 /* as `docker ps` shows them */

typedef char row_t[NCOLS][CELL];

static const char *
str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && v->valuestring != NULL ? v->valuestring : NULL;
}

static bool
num(const cJSON *o, const char *key, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return false;
	*out = v->valuedouble;
	return true;
}

/* An integer field as text, "-" when absent. */
static void
fmt_int(char *buf, size_t len, const cJSON *o, const char *key)
{
	double v;

	if (num(o, key, &v))
		(void)snprintf(buf, len, "%.0f", v);
	else
		(void)snprintf(buf, len, "-");
}

/* kubectl's style: 45s, 3m12s, 2h5m, 3d4h. */
void
ctl_fmt_age(char *buf, size_t len, int64_t ms)
{
	int64_t s = ms < 0 ? 0 : ms / 1000;

	if (s < 60)
		(void)snprintf(buf, len, "%" PRId64 "s", s);
	else if (s < 3600)
		(void)snprintf(buf, len, "%" PRId64 "m%" PRId64 "s", s / 60, s % 60);
	else if (s < 86400)
		(void)snprintf(buf, len, "%" PRId64 "h%" PRId64 "m", s / 3600, s % 3600 / 60);
	else
		(void)snprintf(buf, len, "%" PRId64 "d%" PRId64 "h", s / 86400, s % 86400 / 3600);
}

/* "up to 3", "down to 1", "hold at 2"; "paused at N" wins; "-" before the first. */
void
ctl_fmt_decision(char *buf, size_t len, const cJSON *svc)
{
	const cJSON *dec = cJSON_GetObjectItemCaseSensitive(svc, "last_decision");
	const char *dir = str(dec, "direction");
	double n;

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(svc, "paused"))) {
		if (!num(svc, "paused_replicas", &n) && !num(svc, "desired", &n))
			n = -1;
		(void)snprintf(buf, len, "paused at %.0f", n);
	} else if (dir == NULL || !num(dec, "desired", &n)) {
		(void)snprintf(buf, len, "-");
	} else {
		(void)snprintf(buf, len, "%s %s %.0f", dir, strcmp(dir, "hold") == 0 ? "at" : "to", n);
	}
}

static const char *
metric_short(const char *name)
{
	if (strcmp(name, "docker_cpu") == 0)
		return "cpu";
	if (strcmp(name, "docker_memory") == 0)
		return "memory";
	if (strcmp(name, "prometheus") == 0)
		return "prom";
	return name;
}

/* The metric that drove the last decision (else the first one): "cpu 41.2/60" with a
 * target, "cpu 41.2/40..75" with thresholds, "-" for its value while it has none. */
void
ctl_fmt_metric(char *buf, size_t len, const cJSON *svc)
{
	const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(svc, "metrics");
	const cJSON *dec = cJSON_GetObjectItemCaseSensitive(svc, "last_decision");
	const cJSON *pol = cJSON_GetObjectItemCaseSensitive(svc, "policy");
	const cJSON *m = NULL, *th;
	const char *name = str(dec, "metric"), *kind = str(pol, "name");
	char val[32] = "-", tgt[64] = "";
	double v, up, down;

	if (name != NULL)
		m = cJSON_GetObjectItemCaseSensitive(metrics, name);
	if (m == NULL && cJSON_IsObject(metrics))
		m = metrics->child;
	if (m == NULL || m->string == NULL) {
		(void)snprintf(buf, len, "none");
		return;
	}
	if (cJSON_IsNumber(m) && isfinite(m->valuedouble))
		(void)snprintf(val, sizeof(val), "%.1f", m->valuedouble);
	th = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pol, "metrics"),
	    m->string);
	if (kind != NULL && strcmp(kind, "threshold") != 0 && num(th, "target", &v))
		(void)snprintf(tgt, sizeof(tgt), "/%g", v);
	else if (num(th, "scale_down_threshold", &down) && num(th, "scale_up_threshold", &up))
		(void)snprintf(tgt, sizeof(tgt), "/%g..%g", down, up);
	(void)snprintf(buf, len, "%s %s%s", metric_short(m->string), val, tgt);
}

/* The newest decision event of service in events' list, or NULL. */
static const cJSON *
last_decision_event(const cJSON *events, const char *service)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(events, "events"), *ev, *found = NULL;
	const char *type, *s;

	cJSON_ArrayForEach(ev, list) {
		type = str(ev, "type");
		s = str(ev, "service");
		if (type != NULL && s != NULL && strcmp(type, "decision") == 0 &&
		    strcmp(s, service) == 0)
			found = ev;
	}
	return found;
}

static void
service_row(row_t row, const cJSON *svc, const cJSON *events, int64_t now_ms)
{
	const char *name = str(svc, "name");
	const cJSON *ev = name != NULL ? last_decision_event(events, name) : NULL;
	char ready[24], desired[24];
	double t;

	(void)snprintf(row[0], CELL, "%s", name != NULL ? name : "?");
	fmt_int(ready, sizeof(ready), svc, "ready");
	fmt_int(desired, sizeof(desired), svc, "desired");
	(void)snprintf(row[1], CELL, "%s/%s", ready, desired);
	fmt_int(row[2], CELL, svc, "min_replicas");
	fmt_int(row[3], CELL, svc, "max_replicas");
	ctl_fmt_metric(row[4], CELL, svc);
	ctl_fmt_decision(row[5], CELL, svc);
	if (ev != NULL && num(ev, "unix_ms", &t))
		ctl_fmt_age(row[6], CELL, now_ms - (int64_t)t);
	else
		(void)snprintf(row[6], CELL, "-");
}

static void
print_rows(FILE *f, const char *indent, row_t *rows, size_t n, size_t ncols)
{
	size_t w[NCOLS] = { 0 };

	for (size_t r = 0; r < n; r++)
		for (size_t c = 0; c < ncols; c++)
			if (strlen(rows[r][c]) > w[c])
				w[c] = strlen(rows[r][c]);
	for (size_t r = 0; r < n; r++) {
		fputs(indent, f);
		for (size_t c = 0; c + 1 < ncols; c++)
			fprintf(f, "%-*s   ", (int)w[c], rows[r][c]);
		fprintf(f, "%s\n", rows[r][ncols - 1]);
	}
}

void
ctl_print_table(FILE *f, const cJSON *list, const cJSON *events, int64_t now_ms)
{
	static const char *const head[TABLE_COLS] = { "SERVICE", "READY/DESIRED", "MIN", "MAX",
		"METRIC VALUE/TARGET", "LAST DECISION", "AGE" };
	const cJSON *svcs = cJSON_GetObjectItemCaseSensitive(list, "services"), *s;
	size_t n = 1, i = 1;
	row_t *rows;

	cJSON_ArrayForEach(s, svcs) {
		n++;
	}
	rows = calloc(n, sizeof(*rows));
	if (rows == NULL)
		return;
	for (size_t c = 0; c < TABLE_COLS; c++)
		(void)snprintf(rows[0][c], CELL, "%s", head[c]);
	cJSON_ArrayForEach(s, svcs) {
		service_row(rows[i++], s, events, now_ms);
	}
	print_rows(f, "", rows, n, TABLE_COLS);
	free(rows);
}

static void
replica_row(row_t row, const cJSON *r)
{
	const char *id = str(r, "id"), *state = str(r, "state"), *health = str(r, "health");
	const char *addr = str(r, "address");
	const cJSON *t;
	double v;

	(void)snprintf(row[0], CELL, "%.*s", SHORT_ID, id != NULL ? id : "-");
	(void)snprintf(row[1], CELL, "%s", state != NULL ? state : "-");
	(void)snprintf(row[2], CELL, "%s", health != NULL ? health : "-");
	(void)snprintf(row[3], CELL, "%s", addr != NULL && *addr != '\0' ? addr : "-");
	if (num(r, "cpu_percent", &v))
		(void)snprintf(row[4], CELL, "%.1f%%", v);
	else
		(void)snprintf(row[4], CELL, "-");
	if (num(r, "memory_percent", &v))
		(void)snprintf(row[5], CELL, "%.1f%%", v);
	else
		(void)snprintf(row[5], CELL, "-");
	/* The balancer's figures (doc/traffic.md), when it has them. */
	t = cJSON_GetObjectItemCaseSensitive(r, "traffic");
	(void)snprintf(row[6], CELL, "-");
	(void)snprintf(row[7], CELL, "-");
	(void)snprintf(row[8], CELL, "-");
	if (num(t, "requests_per_s", &v))
		(void)snprintf(row[6], CELL, "%.1f", v);
	if (num(t, "in_flight", &v))
		(void)snprintf(row[7], CELL, "%.1f", v);
	if (num(t, "latency_ms", &v))
		(void)snprintf(row[8], CELL, "%.0fms", v);
}

static void
print_replicas(FILE *f, const cJSON *reps)
{
	static const char *const head[] = { "ID", "STATE", "HEALTH", "ADDRESS", "CPU", "MEMORY",
		"REQ/S", "IN FLIGHT", "LATENCY" };
	size_t n = 1, i = 1, cols = 6;
	const cJSON *r;
	row_t *rows;

	cJSON_ArrayForEach(r, reps) {
		n++;
		if (cJSON_GetObjectItemCaseSensitive(r, "traffic") != NULL)
			cols = 9; /* the balancer's figures, when there are any */
	}
	rows = calloc(n, sizeof(*rows));
	if (rows == NULL)
		return;
	for (size_t c = 0; c < cols; c++)
		(void)snprintf(rows[0][c], CELL, "%s", head[c]);
	cJSON_ArrayForEach(r, reps) {
		replica_row(rows[i++], r);
	}
	fprintf(f, "Containers:\n");
	print_rows(f, "  ", rows, n, cols);
	free(rows);
}

static void
print_ms(FILE *f, const char *label, const cJSON *o, const char *key)
{
	char age[32];
	double v;

	if (num(o, key, &v) && v > 0)
		ctl_fmt_age(age, sizeof(age), (int64_t)v + 999); /* a second left shows as 1s */
	else
		(void)snprintf(age, sizeof(age), "0s");
	fprintf(f, "%s %s", label, age);
}

/* "Traffic: 42.0 req/s, 3.1 in flight, p95 120ms" (doc/traffic.md); nothing without a
 * source; why there is no figure while there is none. */
static void
print_traffic(FILE *f, const cJSON *t)
{
	const char *why = str(t, "why");
	double rate, inflight, lat, pct;
	char l[48] = "";

	if (t == NULL || str(t, "source") == NULL)
		return;
	if (!num(t, "requests_per_s", &rate) || !num(t, "in_flight", &inflight)) {
		fprintf(f, "Traffic:        none yet%s%s\n", why != NULL ? ": " : "",
		    why != NULL ? why : "");
		return;
	}
	if (num(t, "latency_ms", &lat) && num(t, "latency_percentile", &pct))
		(void)snprintf(l, sizeof(l), ", p%g %.0fms", pct, lat);
	else if (num(t, "latency_ms", &lat))
		(void)snprintf(l, sizeof(l), ", average %.0fms", lat);
	fprintf(f, "Traffic:        %.1f req/s, %.1f in flight%s (%s)\n", rate, inflight, l,
	    str(t, "source"));
}

/* "Asleep: 1 paused, 0.8 MiB held" (sleep = pause; doc/waking.md); nothing when none is. */
static void
print_asleep(FILE *f, const cJSON *a)
{
	double n, mem;

	if (!num(a, "paused", &n) || n <= 0)
		return;
	if (num(a, "memory_bytes", &mem))
		fprintf(f, "Asleep:         %.0f paused, %.1f MiB held\n", n, mem / 1048576.0);
	else
		fprintf(f, "Asleep:         %.0f paused\n", n);
}

void
ctl_print_service(FILE *f, const cJSON *svc)
{
	const cJSON *dec = cJSON_GetObjectItemCaseSensitive(svc, "last_decision");
	const cJSON *ro = cJSON_GetObjectItemCaseSensitive(svc, "rollout");
	const cJSON *bal = cJSON_GetObjectItemCaseSensitive(svc, "balancer");
	const char *reason = str(dec, "reason"), *err = str(svc, "last_start_error"), *x;
	char a[32], b[32], c[32], lo[32], hi[32], buf[CELL];
	double v, w;

	fmt_int(a, sizeof(a), svc, "ready");
	fmt_int(b, sizeof(b), svc, "current");
	fmt_int(c, sizeof(c), svc, "desired");
	fmt_int(lo, sizeof(lo), svc, "min_replicas");
	fmt_int(hi, sizeof(hi), svc, "max_replicas");
	fprintf(f, "Service:        %s\n", (x = str(svc, "name")) != NULL ? x : "?");
	fprintf(f, "Image:          %s\n", (x = str(svc, "image")) != NULL && *x ? x : "-");
	fprintf(f, "Replicas:       %s ready, %s current, %s desired (min %s, max %s)\n", a, b, c,
	    lo, hi);
	ctl_fmt_metric(buf, sizeof(buf), svc);
	fprintf(f, "Metric:         %s\n", buf);
	ctl_fmt_decision(buf, sizeof(buf), svc);
	fprintf(f, "Last decision:  %s%s%s\n", buf, reason != NULL ? ": " : "",
	    reason != NULL ? reason : "");
	fmt_int(a, sizeof(a), svc, "paused_replicas");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(svc, "paused")))
		fprintf(f, "Paused:         yes, at %s\n", a);
	else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(svc, "manual_hold")))
		fprintf(f, "Paused:         no (a manual scale holds the policy until it is ready)\n");
	else
		fprintf(f, "Paused:         no\n");
	print_ms(f, "Cooldowns:      up", svc, "cooldown_up_left_ms");
	print_ms(f, ", down", svc, "cooldown_down_left_ms");
	fprintf(f, "\n");
	if (ro != NULL && str(ro, "state") != NULL) {
		fmt_int(a, sizeof(a), ro, "updated");
		fmt_int(b, sizeof(b), ro, "total");
		fmt_int(c, sizeof(c), ro, "failures");
		fprintf(f, "Rollout:        %s, %s/%s updated, %s failures%s%s\n", str(ro, "state"),
		    a, b, c, str(ro, "reason") != NULL ? ": " : "",
		    str(ro, "reason") != NULL ? str(ro, "reason") : "");
	}
	if (num(svc, "backoff_left_ms", &v) && v > 0) {
		print_ms(f, "Backoff:       ", svc, "backoff_left_ms");
		fprintf(f, " left (%.0f failed starts%s%s)\n",
		    num(svc, "start_failures", &w) ? w : 0.0, err != NULL ? ": " : "",
		    err != NULL ? err : "");
	} else {
		fprintf(f, "Backoff:        none\n");
	}
	if (bal != NULL && str(bal, "kind") != NULL)
		fprintf(f, "Balancer:       %s, %s\n", str(bal, "kind"),
		    cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(bal, "in_sync")) ? "out of sync" :
		                                                                    "in sync");
	print_traffic(f, cJSON_GetObjectItemCaseSensitive(svc, "traffic"));
	print_asleep(f, cJSON_GetObjectItemCaseSensitive(svc, "asleep"));
	print_replicas(f, cJSON_GetObjectItemCaseSensitive(svc, "replicas"));
}

void
ctl_print_event(FILE *f, const cJSON *ev)
{
	const char *t = str(ev, "time"), *s = str(ev, "service"), *type = str(ev, "type");
	const char *m = str(ev, "message");
	size_t n = s != NULL ? strlen(s) : 0;

	/* The daemon's message is its log line, "SERVICE: ..."; the column says it already. */
	if (m != NULL && n > 0 && strncmp(m, s, n) == 0 && m[n] == ':' && m[n + 1] == ' ')
		m += n + 2;
	fprintf(f, "%s %s %s %s\n", t != NULL ? t : "-", s != NULL && *s != '\0' ? s : "-",
	    type != NULL ? type : "-", m != NULL ? m : "");
}

void
ctl_print_explain(FILE *f, const cJSON *ex)
{
	const cJSON *lines = cJSON_GetObjectItemCaseSensitive(ex, "lines"), *l;
	const char *blocking = str(ex, "blocking");

	cJSON_ArrayForEach(l, lines) {
		if (cJSON_IsString(l))
			fprintf(f, "%s\n", l->valuestring);
	}
	fprintf(f, "blocking: %s\n", blocking != NULL ? blocking : "nothing");
}

void
ctl_error_text(char *buf, size_t len, long status, const char *body)
{
	cJSON *o = body != NULL ? cJSON_Parse(body) : NULL;
	const char *e = str(o, "error");

	if (e != NULL)
		(void)snprintf(buf, len, "%s%s", status == 401 ? "unauthorized: " : "", e);
	else
		(void)snprintf(buf, len, "HTTP %ld from dockscaled%s", status,
		    status == 401 ? " (unauthorized)" : "");
	cJSON_Delete(o);
}
