/* replica_hook.c: a replica's lifecycle hooks: post_start and pre_stop run in the container
 * through the Engine's exec API, pre_stop_http as a POST to it, each under its timeout and
 * with its output (bounded) in the log (doc/replicas.md, "Lifecycle hooks"). Every call
 * goes through docker.c or httpc.c: nothing here blocks the loop. */
#include <stdio.h>
#include <string.h>

#include "dockscaled.h"
#include "log.h"
#include "replica_hook.h"
#include "service.h"

/* Docker's attached stream can end a moment before the exec's inspect says it exited. */
#define INSPECT_RETRY_MS 100
/* The HTTP timeout stands behind the hook's own timer, which always comes first. */
#define BACKSTOP_MS 5000

static void on_timer(struct loop *l, struct loop_timer *t);
static void inspect_again(struct hook_state *hk);

const char *
hook_name(enum hook_kind k)
{
	return k == HOOK_POST_START ? "post_start" : k == HOOK_PRE_STOP ? "pre_stop" : NULL;
}

const char *
hook_result_name(enum hook_result res)
{
	static const char *const names[] = { [HOOK_OK] = "ok", [HOOK_FAILED] = "failed",
		[HOOK_TIMEOUT] = "timeout" };

	return res <= HOOK_TIMEOUT ? names[res] : "?";
}

void
hook_init(struct replica *r, hook_done_cb done)
{
	r->hk.r = r;
	r->hk.done = done;
	loop_timer_init(&r->hk.timer, on_timer, &r->hk);
}

void
hook_cancel(struct replica *r)
{
	struct dsd *d = r->svc->d;

	loop_timer_stop(&d->loop, &r->hk.timer);
	if (d->docker != NULL)
		docker_cancel_arg(d->docker, &r->hk);
	if (r->hk.xfer != NULL)
		httpc_cancel(d->httpc, r->hk.xfer);
	r->hk.xfer = NULL;
	r->hk.running = HOOK_NONE;
	r->hk.gate = false;
}

void
hook_fini(struct replica *r)
{
	hook_cancel(r);
}

bool
hook_gates(const struct replica *r)
{
	return r->hk.gate;
}

enum hook_kind
hook_running(const struct replica *r)
{
	return r->hk.running;
}

/* The output, one log line per line of it (log.c escapes what is not printable). */
static void
log_output(const struct replica *r, const char *what, const struct docker_exec_out *out)
{
	const char *p = out->buf, *end = out->buf + out->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		log_info("%s: replica %s %s| %.*s", r->svc->name, r->name, what, (int)n, p);
		p += n + 1;
	}
	if (out->total > out->len)
		log_info("%s: replica %s %s| (%llu more bytes not kept)", r->svc->name, r->name,
		    what, (unsigned long long)(out->total - out->len));
}

/* The end of a hook: counted, logged (a failure is an event), told to replica.c. */
static void
finish(struct hook_state *hk, enum hook_result res, const char *why)
{
	struct replica *r = hk->r;
	struct svc *s = r->svc;
	enum hook_kind k = hk->running;
	int64_t took = loop_now(&s->d->loop) - hk->started_ms;

	loop_timer_stop(&s->d->loop, &hk->timer);
	if (s->d->docker != NULL)
		docker_cancel_arg(s->d->docker, hk);
	if (hk->xfer != NULL)
		httpc_cancel(s->d->httpc, hk->xfer);
	hk->xfer = NULL;
	hk->running = HOOK_NONE;
	if (k == HOOK_POST_START)
		hk->gate = res != HOOK_OK; /* a failed one leaves it gated: it is discarded */
	s->hooks.runs[k - 1][res]++;
	if (res == HOOK_OK)
		events_log(&s->d->events, LOG_INFO, EV_REPLICA, s->name, "%s: replica %s %s "
		    "succeeded after %lldms", s->name, r->name, hook_name(k), (long long)took);
	else
		events_log(&s->d->events, LOG_WARNING, EV_REPLICA, s->name, "%s: replica %s %s "
		    "%s after %lldms: %s", s->name, r->name, hook_name(k),
		    res == HOOK_TIMEOUT ? "timed out" : "failed", (long long)took, why);
	hk->done(r, k, res);
}

static void
on_timer(struct loop *l, struct loop_timer *t)
{
	struct hook_state *hk = t->arg;
	char why[64];

	if (hk->running == HOOK_NONE)
		return;
	if (loop_now(l) >= hk->deadline_ms) {
		snprintf(why, sizeof(why), "no end within its timeout");
		finish(hk, HOOK_TIMEOUT, why);
		return;
	}
	/* The inspect's retry: the stream ended, the exit code is not there yet. */
	inspect_again(hk);
}

static void
arm(struct hook_state *hk, int64_t ms)
{
	struct loop *l = &hk->r->svc->d->loop;
	int64_t left = hk->deadline_ms - loop_now(l);

	loop_timer_start(l, &hk->timer, ms < left ? ms : left > 0 ? left : 0);
}

static void
on_exec_inspected(void *arg, const struct docker_reply *rep, const char *body, size_t len)
{
	struct hook_state *hk = arg;
	bool running;
	int code;
	char why[64];

	if (!rep->ok) {
		finish(hk, HOOK_FAILED, rep->error);
		return;
	}
	if (docker_parse_exec_inspect(body, len, &running, &code) == -1) {
		finish(hk, HOOK_FAILED, "malformed exec inspect answer");
		return;
	}
	if (running) {
		arm(hk, INSPECT_RETRY_MS);
		return;
	}
	if (code == 0) {
		finish(hk, HOOK_OK, "exit code 0");
		return;
	}
	snprintf(why, sizeof(why), "exit code %d", code);
	finish(hk, HOOK_FAILED, why);
}

static void
inspect_again(struct hook_state *hk)
{
	if (docker_exec_inspect(hk->r->svc->d->docker, hk->exec_id, on_exec_inspected, hk) == -1)
		finish(hk, HOOK_FAILED, "cannot ask the engine for its exit code");
}

static void
on_exec_ended(void *arg, const struct docker_reply *rep, const struct docker_exec_out *out)
{
	struct hook_state *hk = arg;

	log_output(hk->r, hook_name(hk->running), out);
	if (!rep->ok) {
		finish(hk, HOOK_FAILED, rep->error);
		return;
	}
	inspect_again(hk);
}

static void
on_exec_created(void *arg, const struct docker_reply *rep, const char *id)
{
	struct hook_state *hk = arg;
	struct dsd *d = hk->r->svc->d;
	int64_t left = hk->deadline_ms - loop_now(&d->loop);

	if (!rep->ok) {
		finish(hk, HOOK_FAILED, rep->error);
		return;
	}
	snprintf(hk->exec_id, sizeof(hk->exec_id), "%s", id); /* parse bounds it */
	if (docker_exec_start(d->docker, hk->exec_id, (left > 0 ? left : 0) + BACKSTOP_MS,
	    on_exec_ended, hk) == -1)
		finish(hk, HOOK_FAILED, "cannot start the command");
}

static int
http_data(void *arg, const char *data, size_t len)
{
	struct hook_state *hk = arg;
	size_t room = DOCKER_EXEC_OUT_MAX - hk->out.len, n = len < room ? len : room;

	memcpy(hk->out.buf + hk->out.len, data, n);
	hk->out.len += n;
	hk->out.buf[hk->out.len] = '\0';
	hk->out.total += len;
	return 0;
}

static void
on_http(void *arg, const struct httpc_result *res)
{
	struct hook_state *hk = arg;
	char why[96];

	hk->xfer = NULL;
	log_output(hk->r, "pre_stop_http", &hk->out);
	if (!res->ok) {
		finish(hk, res->timed_out ? HOOK_TIMEOUT : HOOK_FAILED, res->error != NULL ?
		    res->error : "failed");
		return;
	}
	snprintf(why, sizeof(why), "HTTP status %ld", res->status);
	finish(hk, res->status >= 200 && res->status < 400 ? HOOK_OK : HOOK_FAILED, why);
}

static int
post_http(struct hook_state *hk, const char *path)
{
	struct replica *r = hk->r;
	struct httpc_req req = { 0 };
	char url[256];
	int n = snprintf(url, sizeof(url), "http://%s%s", r->addr, path);

	if (r->addr[0] == '\0' || n < 0 || (size_t)n >= sizeof(url)) {
		log_warning("%s: replica %s: no address to POST pre_stop_http to", r->svc->name,
		    r->name);
		return -1;
	}
	memset(&hk->out, 0, sizeof(hk->out));
	req.method = "POST";
	req.url = url;
	req.body = "";
	req.body_len = 0;
	req.timeout_ms = hk->deadline_ms - loop_now(&r->svc->d->loop) + BACKSTOP_MS;
	req.no_reuse = true;
	req.done = on_http;
	req.data = http_data;
	req.arg = hk;
	hk->xfer = httpc_start(r->svc->d->httpc, &req);
	return hk->xfer != NULL ? 0 : -1;
}

/* Start hook k: the timer first, so that every way it ends goes through finish. */
static bool
run(struct replica *r, enum hook_kind k, const struct strv *argv, const char *http,
    int64_t timeout_ms)
{
	struct hook_state *hk = &r->hk;
	struct svc *s = r->svc;
	int rc;

	if (r->id[0] == '\0' || s->d->docker == NULL)
		return false;
	hook_cancel(r);
	hk->running = k;
	hk->gate = k == HOOK_POST_START;
	hk->started_ms = loop_now(&s->d->loop);
	hk->deadline_ms = hk->started_ms + timeout_ms;
	hk->exec_id[0] = '\0';
	arm(hk, timeout_ms);
	log_info("%s: replica %s: running %s (timeout %lldms)", s->name, r->name,
	    http != NULL ? "pre_stop_http" : hook_name(k), (long long)timeout_ms);
	if (http != NULL)
		rc = post_http(hk, http);
	else
		rc = docker_exec_create(s->d->docker, r->id, argv->v, argv->n, on_exec_created, hk);
	if (rc == -1) {
		/* Said as its end: a post_start that cannot run is a failed start. */
		finish(hk, HOOK_FAILED, "cannot start it");
	}
	return true;
}

bool
hook_post_start(struct replica *r)
{
	const struct svc_conf *c = r->svc->conf;

	if (c == NULL || c->post_start.n == 0)
		return false;
	return run(r, HOOK_POST_START, &c->post_start, NULL, c->post_start_timeout_ms);
}

bool
hook_pre_stop(struct replica *r)
{
	const struct svc_conf *c = r->svc->conf;

	/* pre_stop_http NULL: a configuration made by hand (the unit tests') */
	bool http = c != NULL && c->pre_stop_http != NULL && c->pre_stop_http[0] != '\0';

	if (c == NULL || (c->pre_stop.n == 0 && !http))
		return false;
	return run(r, HOOK_PRE_STOP, &c->pre_stop, c->pre_stop.n == 0 ? c->pre_stop_http : NULL,
	    c->pre_stop_timeout_ms);
}
