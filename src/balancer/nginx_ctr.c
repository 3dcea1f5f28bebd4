/* nginx_ctr.c: nginx in a container, driven through the Engine API: its configuration
 * test run by exec, the reload as SIGHUP to the container, and the reload seen landing in
 * the container's process list (doc/balancers.md, "nginx in a container"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "log.h"
#include "nginx.h"

#define INSPECT_RETRY_MS 20 /* the exec's output ended; its exit code follows shortly */

struct nginx_ctr {
	struct loop *l;
	struct docker *d;
	char ctr[DOCKER_NAME_MAX + 1];
	char exec_id[DOCKER_ID_MAX + 1];
	int64_t deadline;
	proc_cb done;             /* test, reload */
	nginx_ctr_seen_cb seen;   /* landed */
	void *arg;
	struct loop_timer retry;  /* the exec's inspect, again */
	char out[DOCKER_EXEC_OUT_MAX + 1];
	pid_t before[NGINX_WORKERS_MAX];
	int nbefore;              /* -1: the list could not be read */
};

static void on_retry(struct loop *l, struct loop_timer *t);

struct nginx_ctr *
nginx_ctr_new(struct loop *l, struct docker *d)
{
	struct nginx_ctr *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->l = l;
	c->d = d;
	c->nbefore = -1;
	loop_timer_init(&c->retry, on_retry, c);
	return c;
}

void
nginx_ctr_free(struct nginx_ctr *c)
{
	if (c == NULL)
		return;
	loop_timer_stop(c->l, &c->retry);
	docker_cancel_arg(c->d, c);
	free(c);
}

/* Like a command's: exited with code, the output as the log shows it. */
static void
report(struct nginx_ctr *c, int code, bool timed_out)
{
	struct proc_result res = {
		.exited = 1, .code = code, .timed_out = timed_out, .output = c->out,
	};

	c->done(c->arg, &res);
}

/* The engine refused or failed the call: a command that could not run. */
static void
engine_failed(struct nginx_ctr *c, const char *what, const char *err)
{
	(void)snprintf(c->out, sizeof(c->out), "container %s: %s: %s", c->ctr, what, err);
	report(c, 127, false);
}

static void
on_inspected(void *arg, const struct docker_reply *rep, const char *body, size_t len)
{
	struct nginx_ctr *c = arg;
	bool running;
	int code;

	if (!rep->ok) {
		engine_failed(c, "exec inspect", rep->error);
		return;
	}
	if (docker_parse_exec_inspect(body, len, &running, &code) == -1) {
		engine_failed(c, "exec inspect", "malformed answer");
		return;
	}
	if (running && loop_now(c->l) < c->deadline) {
		loop_timer_start(c->l, &c->retry, INSPECT_RETRY_MS);
		return;
	}
	report(c, running ? -1 : code, running);
}

static void
on_retry(struct loop *l, struct loop_timer *t)
{
	struct nginx_ctr *c = t->arg;

	if (docker_exec_inspect(c->d, c->exec_id, on_inspected, c) == -1)
		engine_failed(c, "exec inspect", "not sent");
}

static void
on_exec_ended(void *arg, const struct docker_reply *rep, const struct docker_exec_out *out)
{
	struct nginx_ctr *c = arg;

	if (!rep->ok) { /* the stream failed, or did not end within the timeout */
		engine_failed(c, "exec start", rep->error);
		return;
	}
	(void)snprintf(c->out, sizeof(c->out), "%s", out != NULL ? out->buf : "");
	on_retry(c->l, &c->retry);
}

static void
on_exec_created(void *arg, const struct docker_reply *rep, const char *id)
{
	struct nginx_ctr *c = arg;
	int64_t left = c->deadline - loop_now(c->l);

	if (!rep->ok) {
		engine_failed(c, "exec", rep->error);
		return;
	}
	(void)snprintf(c->exec_id, sizeof(c->exec_id), "%s", id); /* the parse bounds it */
	if (docker_exec_start(c->d, c->exec_id, left > 0 ? left : 1, on_exec_ended, c) == -1)
		engine_failed(c, "exec start", "not sent");
}

/* The container's name, kept for the calls that follow. */
static int
take(struct nginx_ctr *c, const char *ctr, void *arg)
{
	int n = snprintf(c->ctr, sizeof(c->ctr), "%s", ctr);

	c->arg = arg;
	c->out[0] = '\0';
	return n < 0 || (size_t)n >= sizeof(c->ctr) ? -1 : 0;
}

int
nginx_ctr_test(struct nginx_ctr *c, const char *ctr, char *const *argv, int64_t timeout_ms,
    proc_cb done, void *arg)
{
	size_t argc = 0;

	while (argv[argc] != NULL)
		argc++;
	if (take(c, ctr, arg) == -1)
		return -1;
	c->done = done;
	c->deadline = loop_now(c->l) + timeout_ms;
	return docker_exec_create(c->d, c->ctr, argv, argc, on_exec_created, c);
}

static void
on_killed(void *arg, const struct docker_reply *rep)
{
	struct nginx_ctr *c = arg;

	if (!rep->ok) {
		engine_failed(c, "kill -HUP", rep->error);
		return;
	}
	report(c, 0, false);
}

/* Who serves before the signal, to recognise the workers the reload starts. */
static void
on_top_before(void *arg, const struct docker_reply *rep, const char *body, size_t len)
{
	struct nginx_ctr *c = arg;

	c->nbefore = rep->ok ? nginx_top_workers(body, len, c->before, NGINX_WORKERS_MAX) : -1;
	if (!rep->ok)
		log_warning("nginx container %s: its processes: %s", c->ctr, rep->error);
	else if (c->nbefore < 0)
		log_warning("nginx container %s: its process list is not the engine's top answer",
		    c->ctr);
	if (docker_kill(c->d, c->ctr, "HUP", on_killed, c) == -1)
		engine_failed(c, "kill -HUP", "not sent");
}

int
nginx_ctr_reload(struct nginx_ctr *c, const char *ctr, proc_cb done, void *arg)
{
	if (take(c, ctr, arg) == -1)
		return -1;
	c->done = done;
	c->nbefore = -1;
	return docker_top(c->d, c->ctr, on_top_before, c);
}

bool
nginx_ctr_blind(const struct nginx_ctr *c)
{
	return c->nbefore <= 0;
}

static void
on_top_now(void *arg, const struct docker_reply *rep, const char *body, size_t len)
{
	struct nginx_ctr *c = arg;
	pid_t now[NGINX_WORKERS_MAX];
	int n = rep->ok ? nginx_top_workers(body, len, now, NGINX_WORKERS_MAX) : -1;

	c->seen(c->arg, n < 0 || c->nbefore < 0 ? -1 :
	    nginx_top_landed(c->before, (size_t)c->nbefore, now, (size_t)n));
}

int
nginx_ctr_landed(struct nginx_ctr *c, nginx_ctr_seen_cb seen, void *arg)
{
	c->seen = seen;
	c->arg = arg;
	return docker_top(c->d, c->ctr, on_top_now, c);
}
