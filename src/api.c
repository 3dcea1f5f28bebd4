/* api.c: routes HTTP requests to the status, control, webhook and metrics handlers. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api_ops.h"
#include "dockscaled.h"
#include "json.h"
#include "reqcheck.h"
#include "pause.h"
#include "rollout.h"
#include "runtime.h"
#include "service.h"
#include "status.h"
#include "text.h"

#define API_SERVICES "/api/v1/services"
#define API_ALERTS "/api/v1/alerts"

/* Answers 405 with an Allow header unless the method is one of allow's. */
bool
api_allowed(const struct http_req *req, struct http_resp *resp, const char *allow)
{
	char m[32];

	if (reqcheck_method(req->method, allow))
		return true;
	resp->allow = allow;
	http_resp_error(resp, 405, "method %s not allowed on %s",
	    text_echo(m, sizeof(m), req->method, NULL), req->path);
	return false;
}

/* With a token configured every POST carries "Authorization: Bearer <token>". */
bool
api_authorized(const struct dsd *d, const struct http_req *req, struct http_resp *resp)
{
	const char *tok = d->cfg.token;

	if (tok == NULL || tok[0] == '\0' || reqcheck_bearer(req->authorization, tok))
		return true;
	http_resp_error(resp, 401, "missing or wrong bearer token");
	return false;
}

static void
route_healthz(struct dsd *d, const struct http_req *req, struct http_resp *resp)
{
	static const char ok[] = "{\"status\":\"ok\"}";

	/* Answered from inside the loop, so an answer proves the loop is turning; 503 until
	 * the daemon is ready (doc/api.md, "Routes"). */
	if (!api_allowed(req, resp, "GET, HEAD"))
		return;
	if (!d->ready) {
		http_resp_error(resp, 503, "starting: %s", d->ready_waits_for);
		resp->retry_after = 1;
		return;
	}
	http_resp_set(resp, 200, "application/json", ok, sizeof(ok) - 1);
}

static void
route_metrics(struct dsd *d, const struct http_req *req, struct http_resp *resp)
{
	char *body;
	size_t len;

	if (!api_allowed(req, resp, "GET, HEAD"))
		return;
	body = metrics_render(d, &len);
	if (body == NULL) {
		http_resp_error(resp, 500, "out of memory");
		return;
	}
	http_resp_take(resp, 200, "text/plain; version=0.0.4; charset=utf-8", body, len);
}

void
api_reply_json(struct http_resp *resp, int status, cJSON *o)
{
	char *s = o != NULL ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	if (s == NULL) {
		http_resp_error(resp, 500, "out of memory");
		return;
	}
	http_resp_take(resp, status, "application/json", s, strlen(s));
}

/* The containers labelled dockscale.enable=true and what became of each (doc/labels.md,
 * "Status"); every message of theirs again in "errors". */
static void
add_labels(cJSON *o, const struct dsd *d)
{
	cJSON *l = cJSON_AddObjectToObject(o, "labels"), *srcs, *errs;

	if (l == NULL)
		return;
	cJSON_AddBoolToObject(l, "enabled", d->cfg.labels);
	cJSON_AddBoolToObject(l, "following", d->labels_report.following);
	srcs = cJSON_AddArrayToObject(l, "sources");
	errs = cJSON_AddArrayToObject(l, "errors");
	for (size_t i = 0; i < d->labels_report.n && srcs != NULL && errs != NULL; i++) {
		const struct labels_entry *e = &d->labels_report.v[i];
		cJSON *x = cJSON_CreateObject(), *msgs;

		if (x == NULL || !cJSON_AddItemToArray(srcs, x)) {
			cJSON_Delete(x);
			return;
		}
		cJSON_AddStringToObject(x, "container", e->container);
		cJSON_AddStringToObject(x, "container_id", e->id);
		cJSON_AddStringToObject(x, "service", e->r.service);
		cJSON_AddStringToObject(x, "state", config_label_state_name(e->r.state));
		msgs = cJSON_AddArrayToObject(x, "messages");
		for (size_t k = 0; k < e->r.msgs.n && msgs != NULL; k++) {
			cJSON_AddItemToArray(msgs, cJSON_CreateString(e->r.msgs.v[k]));
			cJSON_AddItemToArray(errs, cJSON_CreateString(e->r.msgs.v[k]));
		}
	}
}

static void
route_services(struct dsd *d, const struct http_req *req, struct http_resp *resp)
{
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "services");

	if (!api_allowed(req, resp, "GET, HEAD")) {
		cJSON_Delete(o);
		return;
	}
	for (size_t i = 0; i < d->nsvcs && arr != NULL; i++)
		cJSON_AddItemToArray(arr, status_service(d->svcs[i], loop_now(&d->loop)));
	cJSON_AddBoolToObject(o, "docker_up", d->docker_up);
	cJSON_AddBoolToObject(o, "dry_run", d->dry_run);
	add_labels(o, d);
	api_reply_json(resp, 200, o);
}

/* POST {"replicas": N}: manual scale inside [min, max]; the policy keeps running. */
static void
route_scale(struct dsd *d, struct svc *s, const struct http_req *req, struct http_resp *resp)
{
	cJSON *body, *n, *o;
	char why[128], act[320];
	double v;
	int lo, hi;

	if (!api_allowed(req, resp, "POST") || !api_authorized(d, req, resp))
		return;
	/* The service's runtime may leave the count to another instance (include/runtime.h,
	 * may_act). */
	switch (runtime_may_act(s, act, sizeof(act))) {
	case RUNTIME_ACT_UNKNOWN:
		http_resp_error(resp, 503, "%s", act);
		resp->retry_after = 1;
		return;
	case RUNTIME_ACT_ELSEWHERE:
		http_resp_error(resp, 409, "%s", act);
		return;
	case RUNTIME_ACTS:
		break;
	}
	/* Trailing bytes after the object are malformed too. */
	body = json_parse_strict(req->body, req->body_len, why, sizeof(why));
	if (body == NULL) {
		http_resp_error(resp, 400, "body is not valid JSON: %s", why);
		return;
	}
	n = cJSON_GetObjectItemCaseSensitive(body, "replicas");
	if (!cJSON_IsObject(body) || !cJSON_IsNumber(n)) {
		cJSON_Delete(body);
		http_resp_error(resp, 400, "expected {\"replicas\": N}");
		return;
	}
	v = n->valuedouble;
	cJSON_Delete(body);
	if (pause_of(s)->paused) {
		http_resp_error(resp, 409, "%s is paused at %d: pause with {\"replicas\": N} to "
		    "change the held count, or resume", s->name, pause_of(s)->replicas);
		return;
	}
	svc_bounds(s, &lo, &hi); /* a scheduled window's, or the service's */
	if (v != floor(v) || v < lo || v > hi) {
		http_resp_error(resp, 400, "replicas must be a whole number in [%d, %d]", lo, hi);
		return;
	}
	svc_set_desired(s, (int)v, "manual scale request");
	pause_manual(s, s->desired); /* doc/api.md, "Pause and manual scale" */
	o = status_service(s, loop_now(&d->loop));
	api_reply_json(resp, 200, o);
}

bool
api_optional_body(const struct http_req *req, struct http_resp *resp, const char *key,
    cJSON_bool (*is_type)(const cJSON *), const char *usage, cJSON **body, cJSON **field)
{
	char why[128];

	*body = *field = NULL;
	if (req->body_len > 0 &&
	    (*body = json_parse_strict(req->body, req->body_len, why, sizeof(why))) == NULL) {
		http_resp_error(resp, 400, "body is not valid JSON: %s", why);
		return false;
	}
	*field = cJSON_GetObjectItemCaseSensitive(*body, key);
	if ((*body != NULL && !cJSON_IsObject(*body)) || (*field != NULL && !is_type(*field)) ||
	    (*body != NULL && cJSON_GetArraySize(*body) != (*field != NULL))) {
		cJSON_Delete(*body);
		*body = *field = NULL;
		http_resp_error(resp, 400, "expected %s", usage);
		return false;
	}
	return true;
}

/* POST {} or {"restart": true} (doc/rollouts.md): retry a failed
 * generation, or replace every replica even when nothing changed. */
static void
route_rollout(struct dsd *d, struct svc *s, const struct http_req *req,
    struct http_resp *resp)
{
	cJSON *body, *restart;
	bool again = false;

	if (!api_allowed(req, resp, "POST") || !api_authorized(d, req, resp) ||
	    !api_optional_body(req, resp, "restart", cJSON_IsBool,
	    "{} or {\"restart\": true|false}", &body, &restart))
		return;
	again = cJSON_IsTrue(restart);
	cJSON_Delete(body);
	if (s->def == NULL) {
		http_resp_error(resp, 409, "%s has no container definition to roll out", s->name);
		return;
	}
	rollout_request(s, again);
	api_reply_json(resp, 202, status_service(s, loop_now(&d->loop)));
}

static void
route_service(struct dsd *d, const char *rest, const struct http_req *req,
    struct http_resp *resp)
{
	char name[CONFIG_NAME_MAX + 1];
	const char *slash = strchr(rest, '/');
	size_t len = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	struct svc *s;

	if (len == 0 || len > CONFIG_NAME_MAX) {
		http_resp_error(resp, 404, "no such service");
		return;
	}
	memcpy(name, rest, len);
	name[len] = '\0';
	s = svc_find(d, name);
	if (s == NULL || s->conf == NULL) {
		http_resp_error(resp, 404, "no such service: %s", name);
		return;
	}
	if (slash == NULL) {
		if (api_allowed(req, resp, "GET, HEAD"))
			api_reply_json(resp, 200, status_service(s, loop_now(&d->loop)));
	} else if (strcmp(slash, "/scale") == 0) {
		route_scale(d, s, req, resp);
	} else if (strcmp(slash, "/rollout") == 0) {
		route_rollout(d, s, req, resp);
	} else if (!api_ops_route(d, s, slash, req, resp)) {
		http_resp_error(resp, 404, "no such endpoint: %s", req->path);
	}
}

/* Paths whose requests carry a body: everything else is answered on its headers. */
static bool
takes_body(const char *path)
{
	size_t plen = strlen(API_SERVICES "/");
	const char *slash;

	if (strcmp(path, API_ALERTS) == 0)
		return true;
	if (strncmp(path, API_SERVICES "/", plen) != 0)
		return false;
	slash = strchr(path + plen, '/');
	return slash != NULL && slash != path + plen &&
	    (strcmp(slash, "/scale") == 0 || strcmp(slash, "/rollout") == 0 ||
	    api_ops_takes_body(slash));
}

static void
route(struct dsd *d, const struct http_req *req, struct http_resp *resp)
{
	size_t plen = strlen(API_SERVICES);

	if (strcmp(req->path, API_ALERTS) == 0)
		alerts_handle(d, req, resp);
	else if (req->too_big)
		http_resp_error(resp, 413, "request body exceeds 1 MiB");
	else if (strcmp(req->path, "/healthz") == 0)
		route_healthz(d, req, resp);
	else if (strcmp(req->path, "/metrics") == 0)
		route_metrics(d, req, resp);
	else if (strcmp(req->path, "/api/v1/events") == 0)
		api_events(d, req, resp);
	else if (api_statuspage_path(req->path))
		api_statuspage(d, req, resp);
	else if (strcmp(req->path, API_SERVICES) == 0)
		route_services(d, req, resp);
	else if (strncmp(req->path, API_SERVICES "/", plen + 1) == 0)
		route_service(d, req->path + plen + 1, req, resp);
	else
		http_resp_error(resp, 404, "no such endpoint: %s", req->path);
}

/* The status page's own POSTs (doc/api.md, "Status page") carry Origin: http://<Host>;
 * Host itself is checked against allowed_hosts below, so a rebinding page fails there. */
static bool
same_origin(const struct http_req *req)
{
	static const char scheme[] = "http://";

	return req->host != NULL && strncmp(req->origin, scheme, sizeof(scheme) - 1) == 0 &&
	    strcmp(req->origin + sizeof(scheme) - 1, req->host) == 0;
}

/* On the headers alone (doc/api.md, "API limits"): cross-site and rebinding checks,
 * the declared size, and for a body-carrying POST its method, token and media type,
 * so that nothing is buffered for a request that will be refused. */
static void
admit(struct dsd *d, const struct http_req *req, struct http_resp *resp)
{
	char host[64];

	if (req->origin != NULL && !same_origin(req))
		http_resp_error(resp, 403, "cross-origin requests are refused");
	else if (!reqcheck_host(req->host, (const char *const *)d->cfg.allowed_hosts.v,
	    d->cfg.allowed_hosts.n))
		http_resp_error(resp, 403, "Host %s is not this server",
		    text_echo(host, sizeof(host), req->host, NULL));
	else if (req->too_big)
		http_resp_error(resp, 413, "request body exceeds 1 MiB");
	else if (!takes_body(req->path))
		route(d, req, resp); /* the body is never read */
	else if (api_allowed(req, resp, "POST") && api_authorized(d, req, resp) &&
	    !reqcheck_json_type(req->content_type))
		http_resp_error(resp, 415, "Content-Type must be application/json");
	if (resp->status != 0 && strcmp(req->path, API_ALERTS) == 0)
		alerts_count(d, resp->status);
}

void
api_handle(void *ctx, const struct http_req *req, struct http_resp *resp)
{
	struct dsd *d = ctx;

	if (req->headers_only)
		admit(d, req, resp);
	else
		route(d, req, resp);
}
