/* docker.c: asynchronous Docker Engine API calls over the unix socket, on httpc. */
#include "docker.h"
#include "docker_int.h"
#include "docker_json_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define DEFAULT_TIMEOUT_MS 30000
#define LIST_FILTER "{\"label\":[\"" DOCKER_LABEL "\"]}"

static void call_done(void *arg, const struct httpc_result *res);

/* Ids and names go into URL paths: docker_json.c's rule for everything it parses
 * ([0-9a-zA-Z_.-], alphanumeric first: no ".."), and a name Docker accepts. */
bool
docker_id_ok(const char *s)
{
	return s != NULL && dockerjson_id_ok(s) && strlen(s) <= DOCKER_NAME_MAX;
}

/* API-Version rides on every answer: adopt min(1.41, it), so even an engine that
 * rejected our first call as "too new" is spoken to correctly from then on. */
void
docker_use_api_version(struct docker *d, const char *hdr)
{
	char body[64], v[sizeof(d->version)];

	if (hdr == NULL || hdr[0] == '\0' || strlen(hdr) > 10 ||
	    strspn(hdr, "0123456789.") != strlen(hdr))
		return;
	snprintf(body, sizeof(body), "{\"ApiVersion\":\"%s\"}", hdr);
	if (docker_parse_version(body, v, sizeof(v)) == 0 && strcmp(v, d->version) != 0) {
		log_notice("docker: using API version %s (engine offers %s)", v, hdr);
		memcpy(d->version, v, sizeof(v));
	}
}

/* ---- plain calls ------------------------------------------------------------------- */

static void
call_unlink(struct docker *d, struct call *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		d->calls = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

/* path is relative to the versioned root; versioned = false for /version, which any
 * engine answers whatever version we would otherwise ask for. */
int
docker_call_start(struct docker *d, struct call *c, const char *method, bool versioned,
    const char *body, int64_t timeout_ms)
{
	struct httpc_req req;
	char url[sizeof(c->path) + 64];
	int n;

	c->d = d;
	c->method = method;
	n = versioned ? snprintf(url, sizeof(url), "http://localhost/v%s%s", d->version, c->path)
	    : snprintf(url, sizeof(url), "http://localhost%s", c->path);
	if (n < 0 || (size_t)n >= sizeof(url)) {
		log_err("docker: %s %s: URL too long; not sent", method, c->path);
		free(c);
		return -1;
	}
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.unix_socket = d->socket;
	req.body = body;
	req.body_len = body != NULL ? strlen(body) : 0;
	req.content_type = body != NULL ? "application/json" : NULL;
	req.timeout_ms = timeout_ms;
	if (c->header != NULL) {
		req.header_name = c->header;
		req.header_value = c->header + strlen(c->header) + 1;
	}
	if (c->kind == CALL_PULL)
		req.data = docker_image_data;
	else if (c->kind == CALL_EXEC_START)
		req.data = docker_exec_data;
	req.done = call_done;
	req.arg = c;
	c->x = httpc_start(d->hc, &req);
	c->header = NULL; /* httpc copied it; it lives on the caller's stack */
	if (c->x == NULL) {
		log_warning("docker: %s %s: cannot start the request", method, c->path);
		free(c);
		return -1;
	}
	c->next = d->calls;
	if (d->calls != NULL)
		d->calls->prev = c;
	d->calls = c;
	return 0;
}

/* The path is pre + mid + post (no format strings built from data). */
struct call *
docker_call_new(enum call_kind kind, void *arg, const char *pre, const char *mid, const char *post)
{
	struct call *c = calloc(1, sizeof(*c));
	int n;

	if (c == NULL)
		return NULL;
	c->kind = kind;
	c->arg = arg;
	n = snprintf(c->path, sizeof(c->path), "%s%s%s", pre, mid, post);
	if (n < 0 || (size_t)n >= sizeof(c->path)) {
		log_err("docker: request path %s%.32s... too long; not sent", pre, mid);
		free(c);
		return NULL;
	}
	return c;
}

/* Which statuses mean "done what was asked". */
static bool
status_ok(enum call_kind kind, long st)
{
	switch (kind) {
	case CALL_CREATE:
	case CALL_EXEC_CREATE:
		return st == 201;
	case CALL_START:
	case CALL_STOP:
		return st == 204 || st == 304;
	case CALL_PAUSE:
	case CALL_RENAME:
	case CALL_KILL:
		return st == 204;
	case CALL_REMOVE:
		return st == 204 || st == 404;
	default:
		return st == 200;
	}
}

/* Grow until the whole list fits: docker_parse_list stops at max. */
static struct docker_ctr *
parse_list(const char *body, int *n)
{
	struct docker_ctr *v = NULL, *nv;
	size_t cap = 64;

	for (;;) {
		nv = realloc(v, cap * sizeof(*v));
		if (nv == NULL) {
			free(v);
			*n = -1;
			return NULL;
		}
		v = nv;
		*n = docker_parse_list(body, v, cap);
		if (*n < 0 || (size_t)*n < cap || cap >= 65536)
			return v;
		cap *= 2;
	}
}

/* A connect that failed because this user may not use the socket says so, with the
 * socket's group to add (doc/container.md, "The socket's group"): curl only says it
 * could not connect. "" otherwise. */
static const char *
socket_denied(const char *path, char *buf, size_t len)
{
	struct stat st;
	int n;

	if (access(path, R_OK | W_OK) == 0 || errno != EACCES || stat(path, &st) == -1)
		return "";
	n = snprintf(buf, len, ": permission denied: uid %ld gid %ld may not use the socket "
	    "(group %ld): run with that group (docker run --group-add %ld)", (long)getuid(),
	    (long)getgid(), (long)st.st_gid, (long)st.st_gid);
	return n < 0 || (size_t)n >= len ? ": permission denied" : buf;
}

static void
call_done(void *arg, const struct httpc_result *res)
{
	struct call *c = arg;
	struct docker *d = c->d;
	struct docker_reply r;
	struct docker_inspect in;
	struct docker_stats st;
	struct docker_ctr *ctrs = NULL;
	char id[DOCKER_ID_MAX + 8] = "", v[sizeof(d->version)], why[160];
	int n = 0;
	const char *bad = NULL;

	call_unlink(d, c);
	memset(&r, 0, sizeof(r));
	memset(&in, 0, sizeof(in));
	memset(&st, 0, sizeof(st));
	docker_use_api_version(d, res->api_version);
	r.status = res->ok ? res->status : 0;
	if (!res->ok) {
		/* Transport failure: refused, timed out, connection reset. */
		d->errors++;
		snprintf(r.error, sizeof(r.error), "%s%s", res->error != NULL ? res->error : "failed",
		    socket_denied(d->socket, why, sizeof(why)));
		/* curl names "localhost port 80" in its text: say which socket it was. A
		 * failed pull is its caller's to report (a failed start). */
		log_msg(c->kind == CALL_PULL ? LOG_DEBUG : LOG_WARNING, "docker: %s %s: %s "
		    "(socket %s)", c->method, c->path, r.error, d->socket);
	} else if (!status_ok(c->kind, res->status)) {
		if (c->kind == CALL_PULL) /* streamed: the body went through the stream */
			docker_image_pull_error(&c->pull, r.error, sizeof(r.error));
		else
			docker_error_message(res->body, r.error, sizeof(r.error));
		if (res->status >= 500)
			d->errors++;
		/* A name conflict is routine: the caller moves on to the next name. A missing
		 * image and a failed pull are the caller's to report, with their context. */
		if (c->kind == CALL_CREATE && res->status == 409)
			log_info("docker: %s %s: %ld %s", c->method, c->path, res->status, r.error);
		else if ((c->kind == CALL_IMAGE && res->status == 404) || c->kind == CALL_PULL)
			log_debug("docker: %s %s: %ld %s", c->method, c->path, res->status, r.error);
		else
			log_warning("docker: %s %s: %ld %s", c->method, c->path, res->status,
			    r.error);
	} else {
		r.ok = true;
		switch (c->kind) {
		case CALL_NEGOTIATE:
			if (docker_parse_version(res->body, v, sizeof(v)) == 0) {
				if (strcmp(v, d->version) != 0)
					log_notice("docker: using API version %s", v);
				memcpy(d->version, v, sizeof(v));
			} else {
				bad = "engine API version missing or older than 1.25";
			}
			break;
		case CALL_LIST:
			ctrs = parse_list(res->body, &n);
			if (n < 0)
				bad = "malformed container list";
			break;
		case CALL_CREATE:
		case CALL_EXEC_CREATE:
			if (docker_parse_create(res->body, id, sizeof(id)) == -1)
				bad = "no container id in the answer";
			break;
		case CALL_INSPECT:
			if (docker_parse_inspect(res->body, c->port, c->network, &in) == -1)
				bad = "malformed inspect answer";
			break;
		case CALL_IMAGE:
			if (docker_image_parse_id(res->body, id, sizeof(id)) == -1)
				bad = "no image id in the answer";
			break;
		case CALL_PULL:
			/* 200 says the pull started; an error line in the stream says it failed. */
			docker_pull_end(&c->pull);
			if (c->pull.failed)
				bad = c->pull.err;
			break;
		case CALL_STATS:
			/* Also what a stopped container answers: no system_cpu_usage. */
			if (docker_parse_stats(res->body, &st) == -1)
				bad = "no CPU sample (container not running?)";
			break;
		default:
			break;
		}
		if (bad != NULL) {
			r.ok = false;
			snprintf(r.error, sizeof(r.error), "%s", bad);
			if (c->kind == CALL_STATS || c->kind == CALL_PULL)
				log_debug("docker: %s %s: %s", c->method, c->path, bad);
			else
				log_warning("docker: %s %s: %ld %s", c->method, c->path,
				    res->status, bad);
		}
	}
	/* The callback may free d (and with it everything): nothing is touched after. */
	{
		enum call_kind kind = c->kind;
		void *uarg = c->arg;
		union call_cb cb = c->cb;

		if (kind == CALL_EXEC_START) {
			/* Its output lives in c: c is unlinked, so freed after the callback. */
			cb.exec(uarg, &r, &c->exec);
			free(c);
			return;
		}
		free(c);
		switch (kind) {
		case CALL_LIST:
			cb.list(uarg, &r, r.ok ? ctrs : NULL, r.ok ? (size_t)n : 0);
			free(ctrs);
			break;
		case CALL_CREATE:
		case CALL_EXEC_CREATE:
			cb.create(uarg, &r, r.ok ? id : NULL);
			break;
		case CALL_INSPECT:
			cb.inspect(uarg, &r, r.ok ? &in : NULL);
			break;
		case CALL_STATS:
			cb.stats(uarg, &r, r.ok ? &st : NULL);
			break;
		case CALL_BODY:
			cb.body(uarg, &r, r.ok ? res->body : NULL, r.ok ? res->body_len : 0);
			break;
		case CALL_IMAGE:
			cb.image(uarg, &r, r.ok ? id : NULL);
			break;
		default:
			cb.plain(uarg, &r);
			break;
		}
	}
}

struct docker *
docker_new(struct loop *l, struct httpc *hc, const char *socket_path, int64_t timeout_ms)
{
	struct docker *d;

	if (socket_path == NULL || strlen(socket_path) >= sizeof(d->socket)) {
		log_err("docker: socket path too long: %s", socket_path ? socket_path : "(null)");
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->loop = l;
	d->hc = hc;
	memcpy(d->socket, socket_path, strlen(socket_path) + 1);
	d->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
	memcpy(d->version, "1.41", 5);
	docker_events_init(d);
	return d;
}

const char *
docker_socket(const struct docker *d)
{
	return d->socket;
}

int
docker_set_socket(struct docker *d, const char *socket_path)
{
	size_t n = strlen(socket_path);

	if (n >= sizeof(d->socket)) {
		log_err("docker: socket path too long: %s", socket_path);
		return -1;
	}
	/* Calls in flight carry their own copy (httpc copies the request). */
	memcpy(d->socket, socket_path, n + 1);
	return 0;
}

void
docker_set_timeout(struct docker *d, int64_t timeout_ms)
{
	if (timeout_ms > 0)
		d->timeout_ms = timeout_ms;
}

uint64_t
docker_errors(const struct docker *d)
{
	return d->errors;
}

const char *
docker_api_version(const struct docker *d)
{
	return d->version;
}

int
docker_negotiate(struct docker *d, docker_cb cb, void *arg)
{
	struct call *c = docker_call_new(CALL_NEGOTIATE, arg, "/version", "", "");

	if (c == NULL || cb == NULL) {
		free(c);
		return -1;
	}
	c->cb.plain = cb;
	return docker_call_start(d, c, "GET", false, NULL, d->timeout_ms);
}

int
docker_list(struct docker *d, docker_list_cb cb, void *arg)
{
	char filt[256];
	struct call *c;

	if (cb == NULL || httpc_escape(LIST_FILTER, filt, sizeof(filt)) < 0) {
		log_err("docker: cannot build the container list request");
		return -1;
	}
	if ((c = docker_call_new(CALL_LIST, arg, "/containers/json?all=1&filters=", filt, "")) == NULL)
		return -1;
	c->cb.list = cb;
	return docker_call_start(d, c, "GET", true, NULL, d->timeout_ms);
}

int
docker_call_body(struct docker *d, const char *method, const char *pre, const char *mid,
    const char *post, docker_body_cb cb, void *arg)
{
	struct call *c;

	if (cb == NULL || (c = docker_call_new(CALL_BODY, arg, pre, mid, post)) == NULL)
		return -1;
	c->cb.body = cb;
	return docker_call_start(d, c, method, true, NULL, d->timeout_ms);
}

int
docker_create(struct docker *d, const char *name, const char *body, docker_create_cb cb,
    void *arg)
{
	struct call *c;

	/* The name goes into the query string; Docker wants [a-zA-Z0-9][a-zA-Z0-9_.-]+. */
	if (cb == NULL || name == NULL || body == NULL)
		return -1;
	if (!docker_id_ok(name)) {
		log_err("docker: refusing to create a container named '%s' (not "
		    "[A-Za-z0-9][A-Za-z0-9_.-]*, at most %d bytes)", name, DOCKER_NAME_MAX);
		return -1;
	}
	if ((c = docker_call_new(CALL_CREATE, arg, "/containers/create?name=", name, "")) == NULL)
		return -1;
	c->cb.create = cb;
	return docker_call_start(d, c, "POST", true, body, d->timeout_ms); /* httpc copies body */
}

void
docker_cancel_arg(struct docker *d, const void *arg)
{
	for (struct call *c = d->calls, *next; c != NULL; c = next) {
		next = c->next;
		if (c->arg != arg)
			continue;
		call_unlink(d, c);
		httpc_cancel(d->hc, c->x);
		free(c);
	}
}

void
docker_free(struct docker *d)
{
	if (d == NULL)
		return;
	docker_events_stop(d);
	for (struct call *c = d->calls, *next; c != NULL; c = next) {
		next = c->next;
		httpc_cancel(d->hc, c->x); /* silently: its callback never runs */
		free(c);
	}
	d->calls = NULL;
	/* Called from an event callback: ev_dispatch_now frees d once it unwinds. */
	if (d->dispatching) {
		d->free_pending = true;
		return;
	}
	docker_free_now(d);
}

void
docker_free_now(struct docker *d)
{
	lines_fini(&d->lines);
	free(d->evq);
	free(d);
}
