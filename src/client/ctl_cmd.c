/* ctl_cmd.c: dockscalectl's commands: one or a few API requests each, the answer printed
 * and turned into an exit code (doc/operating.md). */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

#define TIMEOUT_S 15
#define EVENTS_LIMIT 1000 /* the API's maximum: the whole ring */

static volatile sig_atomic_t interrupted;

static void
on_sigint(int sig)
{
	interrupted = 1;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One request; on success *out is the parsed answer (the caller frees it) and, with
 * --json, the answer was printed as received; *status is the HTTP status (0: no
 * answer). Returns the exit code. */
static int
call_st(const struct ctl_args *a, const struct ctl_target *t, const char *method,
    const char *path, const char *body, long timeout_s, cJSON **out, long *status)
{
	char err[512], tok[4100];
	const char *token = NULL;
	struct ctl_resp r;
	int rc, tr = 0;

	*out = NULL;
	*status = 0;
	if (strcmp(method, "POST") == 0) {
		tr = ctl_conf_token(t, tok, sizeof(tok), err, sizeof(err));
		if (tr < 0) {
			fprintf(stderr, "dockscalectl: %s\n", err);
			return CTL_EXIT_USAGE;
		}
		token = tr > 0 ? tok : NULL;
	}
	rc = ctl_http(t, method, path, body, token, timeout_s, &interrupted, &r, err, sizeof(err));
	if (tr > 0)
		explicit_bzero(tok, sizeof(tok));
	if (rc < 0) {
		if (interrupted)
			return CTL_EXIT_OK;
		fprintf(stderr, "dockscalectl: %s\n", err);
		return CTL_EXIT_UNREACHABLE;
	}
	*status = r.status;
	if (r.status < 200 || r.status > 299) {
		ctl_error_text(err, sizeof(err), r.status, r.body);
		fprintf(stderr, "dockscalectl: %s\n", err);
		ctl_resp_free(&r);
		return r.status >= 400 && r.status < 500 ? CTL_EXIT_REFUSED : CTL_EXIT_UNREACHABLE;
	}
	*out = cJSON_Parse(r.body);
	if (*out == NULL) {
		fprintf(stderr, "dockscalectl: %s%s answered with something that is not JSON\n",
		    t->url, path);
		ctl_resp_free(&r);
		return CTL_EXIT_UNREACHABLE;
	}
	if (a->json)
		printf("%s%s", r.body, r.len > 0 && r.body[r.len - 1] == '\n' ? "" : "\n");
	ctl_resp_free(&r);
	return CTL_EXIT_OK;
}

static int
call(const struct ctl_args *a, const struct ctl_target *t, const char *method,
    const char *path, const char *body, long timeout_s, cJSON **out)
{
	long status;

	return call_st(a, t, method, path, body, timeout_s, out, &status);
}

/* path = /api/v1/services/NAME[suffix], the name percent-encoded. */
static int
service_path(char *path, size_t len, const char *name, const char *suffix)
{
	char esc[256];
	int n;

	if (ctl_http_escape(name, esc, sizeof(esc)) < 0) {
		fprintf(stderr, "dockscalectl: service name too long\n");
		return -1;
	}
	n = snprintf(path, len, "/api/v1/services/%s%s", esc, suffix);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int
cmd_status(const struct ctl_args *a, const struct ctl_target *t)
{
	cJSON *o = NULL, *ev = NULL;
	char path[512];
	int rc;

	if (a->service != NULL) {
		if (service_path(path, sizeof(path), a->service, "") < 0)
			return CTL_EXIT_USAGE;
		rc = call(a, t, "GET", path, NULL, TIMEOUT_S, &o);
		if (rc == CTL_EXIT_OK && !a->json)
			ctl_print_service(stdout, o);
		cJSON_Delete(o);
		return rc;
	}
	rc = call(a, t, "GET", "/api/v1/services", NULL, TIMEOUT_S, &o);
	if (rc == CTL_EXIT_OK && !a->json) {
		struct ctl_resp r;
		char err[256];

		/* AGE is the last decision's, from the event history when the daemon keeps one. */
		if (ctl_http(t, "GET", "/api/v1/events?type=decision&limit=1000", NULL, NULL,
		        TIMEOUT_S, NULL, &r, err, sizeof(err)) == 0) {
			if (r.status == 200)
				ev = cJSON_Parse(r.body);
			ctl_resp_free(&r);
		}
		ctl_print_table(stdout, o, ev, now_ms());
		if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "docker_up")))
			fprintf(stderr, "dockscalectl: the daemon cannot reach the Docker Engine\n");
	}
	cJSON_Delete(ev);
	cJSON_Delete(o);
	return rc;
}

static int
cmd_explain(const struct ctl_args *a, const struct ctl_target *t)
{
	char path[512];
	cJSON *o = NULL;
	int rc;

	if (service_path(path, sizeof(path), a->service, "/explain") < 0)
		return CTL_EXIT_USAGE;
	rc = call(a, t, "GET", path, NULL, TIMEOUT_S, &o);
	if (rc == CTL_EXIT_OK && !a->json)
		ctl_print_explain(stdout, o);
	cJSON_Delete(o);
	return rc;
}

/* Prints the events of one answer (unless --json printed it); returns the id to ask
 * after next. */
/* Following, a daemon that restarts or turns a long poll away for now (429, 503) is
 * waited for, not given up on (doc/operating.md, "dockscalectl"). */
static bool
follow_retries(int rc, long status)
{
	return rc == CTL_EXIT_UNREACHABLE || status == 429;
}

static long long
print_events(const cJSON *o, long long since, bool print)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(o, "events"), *ev, *id;
	const cJSON *last = cJSON_GetObjectItemCaseSensitive(o, "last_id");

	cJSON_ArrayForEach(ev, list) {
		id = cJSON_GetObjectItemCaseSensitive(ev, "id");
		if (cJSON_IsNumber(id) && id->valuedouble > (double)since)
			since = (long long)id->valuedouble;
		if (print)
			ctl_print_event(stdout, ev);
	}
	if (cJSON_IsNumber(last) && last->valuedouble > (double)since)
		since = (long long)last->valuedouble;
	fflush(stdout);
	return since;
}

static int
cmd_events(const struct ctl_args *a, const struct ctl_target *t)
{
	char path[512], svc[256] = "", wait[32] = "";
	long long since = a->since >= 0 ? a->since : 0;
	const cJSON *last;
	cJSON *o = NULL;
	int rc, n, failures = 0;
	long status;

	if (a->service != NULL && ctl_http_escape(a->service, svc, sizeof(svc)) < 0) {
		fprintf(stderr, "dockscalectl: service name too long\n");
		return CTL_EXIT_USAGE;
	}
	if (a->follow) {
		struct sigaction sa = { .sa_handler = on_sigint };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	do {
		n = snprintf(path, sizeof(path), "/api/v1/events?limit=%d&since=%lld%s%s%s",
		    EVENTS_LIMIT, since, svc[0] != '\0' ? "&service=" : "", svc, wait);
		if (n < 0 || (size_t)n >= sizeof(path))
			return CTL_EXIT_USAGE;
		rc = call_st(a, t, "GET", path, NULL, CTL_FOLLOW_WAIT_S + 15, &o, &status);
		if (rc != CTL_EXIT_OK && a->follow && !interrupted && follow_retries(rc, status)) {
			int s = ctl_follow_wait_s(failures++);

			fprintf(stderr, "dockscalectl: following again in %d s\n", s);
			for (int i = 0; i < s * 10 && !interrupted; i++) {
				struct timespec ts = { 0, 100 * 1000 * 1000 };

				nanosleep(&ts, NULL);
			}
			continue;
		}
		if (rc != CTL_EXIT_OK || o == NULL)
			break;
		failures = 0;
		last = cJSON_GetObjectItemCaseSensitive(o, "last_id");
		/* Ids start again at 1 when the daemon restarts: follow the new run from its
		 * start rather than wait for ids it will not reach for a long time. */
		if (a->follow && cJSON_IsNumber(last) && last->valuedouble < (double)since)
			since = 0;
		else
			since = print_events(o, since, !a->json);
		cJSON_Delete(o);
		o = NULL;
		(void)snprintf(wait, sizeof(wait), "&wait=%ds", CTL_FOLLOW_WAIT_S);
	} while (a->follow && !interrupted);
	cJSON_Delete(o);
	return interrupted ? CTL_EXIT_OK : rc;
}

/* The POSTs: the answer is the service's status object. */
static int
post(const struct ctl_args *a, const struct ctl_target *t, const char *suffix,
    const char *body, cJSON **o)
{
	char path[512];

	if (service_path(path, sizeof(path), a->service, suffix) < 0)
		return CTL_EXIT_USAGE;
	return call(a, t, "POST", path, body, TIMEOUT_S, o);
}

static int
cmd_post(const struct ctl_args *a, const struct ctl_target *t)
{
	const cJSON *ro;
	char body[64] = "{}", dec[96];
	cJSON *o = NULL;
	int rc;

	if (a->replicas >= 0)
		(void)snprintf(body, sizeof(body), "{\"replicas\":%d}", a->replicas);
	if (a->cmd == CTL_SCALE)
		rc = post(a, t, "/scale", body, &o);
	else if (a->cmd == CTL_PAUSE)
		rc = post(a, t, "/pause", a->replicas >= 0 ? body : "", &o);
	else if (a->cmd == CTL_RESUME)
		rc = post(a, t, "/resume", "", &o); /* an empty JSON body: nothing to say */
	else
		rc = post(a, t, "/rollout", a->restart ? "{\"restart\":true}" : "{}", &o);
	if (rc != CTL_EXIT_OK || a->json) {
		cJSON_Delete(o);
		return rc;
	}
	ctl_fmt_decision(dec, sizeof(dec), o);
	switch (a->cmd) {
	case CTL_SCALE:
		printf("%s: desired %d\n", a->service, a->replicas);
		break;
	case CTL_PAUSE:
	case CTL_RESUME:
		printf("%s: %s\n", a->service, a->cmd == CTL_PAUSE ? dec : "resumed");
		break;
	default:
		ro = cJSON_GetObjectItemCaseSensitive(o, "rollout");
		ro = cJSON_GetObjectItemCaseSensitive(ro, "state");
		printf("%s: %s requested (rollout state: %s)\n", a->service,
		    a->restart ? "restart" : "rollout",
		    cJSON_IsString(ro) ? ro->valuestring : "unknown");
		break;
	}
	cJSON_Delete(o);
	return CTL_EXIT_OK;
}

/* GET /healthz: 200 once the daemon is ready (doc/api.md, "Routes"); the image's
 * HEALTHCHECK (doc/container.md), where there is no shell and no curl. Quiet on success. */
static int
cmd_health(const struct ctl_args *a, const struct ctl_target *t)
{
	cJSON *o = NULL;
	int rc = call(a, t, "GET", "/healthz", NULL, 5, &o);

	cJSON_Delete(o);
	return rc;
}

int
ctl_run(const struct ctl_args *a, const struct ctl_target *t)
{
	switch (a->cmd) {
	case CTL_HEALTH:
		return cmd_health(a, t);
	case CTL_STATUS:
		return cmd_status(a, t);
	case CTL_EXPLAIN:
		return cmd_explain(a, t);
	case CTL_EVENTS:
		return cmd_events(a, t);
	case CTL_SCALE:
	case CTL_PAUSE:
	case CTL_RESUME:
	case CTL_ROLLOUT:
		return cmd_post(a, t);
	default:
		return CTL_EXIT_USAGE;
	}
}
