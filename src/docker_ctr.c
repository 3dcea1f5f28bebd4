/* docker_ctr.c: the Engine calls on one existing container (start, inspect, stop,
 * remove, pause, rename, connect, stats, kill, top), on docker.c's call machinery. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "docker_int.h"
#include "compose.h"
#include "httpc.h"
#include "log.h"

/* A call on one container: the id is checked before it goes into the path. */
static struct call *
id_call(enum call_kind kind, const char *method, const char *id, const char *post,
    void *arg)
{
	if (!docker_id_ok(id)) {
		log_warning("docker: refusing %s of an invalid container id", method);
		return NULL;
	}
	return docker_call_new(kind, arg, "/containers/", id, post);
}

int
docker_start(struct docker *d, const char *id, docker_cb cb, void *arg)
{
	struct call *c;

	if (cb == NULL ||
	    (c = id_call(CALL_START, "POST", id, "/start", arg)) == NULL)
		return -1;
	c->cb.plain = cb;
	return docker_call_start(d, c, "POST", true, NULL, d->timeout_ms);
}

int
docker_inspect(struct docker *d, const char *id, int port, const char *network,
    docker_inspect_cb cb, void *arg)
{
	struct call *c;

	if (cb == NULL)
		return -1;
	if (network != NULL && strlen(network) > DOCKER_NETWORK_MAX) {
		log_err("docker: inspect %.12s: network name longer than %d bytes", id,
		    DOCKER_NETWORK_MAX);
		return -1;
	}
	if ((c = id_call(CALL_INSPECT, "GET", id, "/json", arg)) == NULL)
		return -1;
	c->cb.inspect = cb;
	c->port = port;
	if (network != NULL)
		memcpy(c->network, network, strlen(network) + 1);
	return docker_call_start(d, c, "GET", true, NULL, d->timeout_ms);
}

int
docker_stop(struct docker *d, const char *id, int64_t stop_timeout_ms, docker_cb cb,
    void *arg)
{
	struct call *c;
	int64_t secs;
	int n;

	if (stop_timeout_ms < 0)
		stop_timeout_ms = 0;
	/* Docker takes whole seconds; round up so the app gets at least what was asked. */
	secs = (stop_timeout_ms + 999) / 1000;
	if (secs > DOCKER_STOP_MAX_S) {
		log_err("docker: stop %.12s: stop timeout %llds is over %ds; not sent", id,
		    (long long)secs, DOCKER_STOP_MAX_S);
		return -1;
	}
	if (cb == NULL || (c = id_call(CALL_STOP, "POST", id, "/stop", arg)) == NULL)
		return -1;
	n = (int)strlen(c->path);
	snprintf(c->path + n, sizeof(c->path) - (size_t)n, "?t=%lld", (long long)secs);
	c->cb.plain = cb;
	/* The engine itself waits t seconds before SIGKILL: our timeout comes on top. */
	return docker_call_start(d, c, "POST", true, NULL, secs * 1000 + d->timeout_ms);
}

int
docker_remove(struct docker *d, const char *id, docker_cb cb, void *arg)
{
	struct call *c;

	if (cb == NULL ||
	    (c = id_call(CALL_REMOVE, "DELETE", id, "?force=1&v=1", arg)) == NULL)
		return -1;
	c->cb.plain = cb;
	return docker_call_start(d, c, "DELETE", true, NULL, d->timeout_ms);
}

int
docker_pause(struct docker *d, const char *id, bool unpause, docker_cb cb, void *arg)
{
	struct call *c;

	if (cb == NULL || (c = id_call(CALL_PAUSE, "POST", id, unpause ? "/unpause" : "/pause",
	    arg)) == NULL)
		return -1;
	c->cb.plain = cb;
	return docker_call_start(d, c, "POST", true, NULL, d->timeout_ms);
}

int
docker_connect(struct docker *d, const char *network, const char *id, docker_cb cb,
    void *arg)
{
	struct call *c;
	char body[DOCKER_ID_MAX + 32];

	/* Both go into the request: network names follow the rule of ids and names. */
	if (cb == NULL || !docker_id_ok(network) || !docker_id_ok(id) || strlen(id) > DOCKER_ID_MAX ||
	    (c = docker_call_new(CALL_CONNECT, arg, "/networks/", network, "/connect")) == NULL)
		return -1;
	snprintf(body, sizeof(body), "{\"Container\":\"%s\"}", id);
	c->cb.plain = cb;
	return docker_call_start(d, c, "POST", true, body, d->timeout_ms); /* httpc copies body */
}

int
docker_rename(struct docker *d, const char *id, const char *name, docker_cb cb, void *arg)
{
	struct call *c;
	size_t n;

	/* The new name goes into the query string: the same rule as create's. */
	if (cb == NULL || !docker_id_ok(name) ||
	    (c = id_call(CALL_RENAME, "POST", id, "/rename?name=", arg)) == NULL)
		return -1;
	n = strlen(c->path);
	if (n + strlen(name) >= sizeof(c->path)) {
		free(c);
		return -1;
	}
	memcpy(c->path + n, name, strlen(name) + 1);
	c->cb.plain = cb;
	return docker_call_start(d, c, "POST", true, NULL, d->timeout_ms);
}

int
docker_stats(struct docker *d, const char *id, docker_stats_cb cb, void *arg)
{
	struct call *c;

	/* one-shot: answer at once instead of after a ~2 s collection cycle. */
	if (cb == NULL || (c = id_call(CALL_STATS, "GET", id,
	    "/stats?stream=false&one-shot=true", arg)) == NULL)
		return -1;
	c->cb.stats = cb;
	return docker_call_start(d, c, "GET", true, NULL, d->timeout_ms);
}

int
docker_kill(struct docker *d, const char *id, const char *sig, docker_cb cb, void *arg)
{
	struct call *c;
	size_t n;

	/* The signal goes into the query string: a name of letters only (HUP, SIGHUP). */
	if (cb == NULL || sig == NULL || sig[0] == '\0' || strlen(sig) > 16 ||
	    strspn(sig, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(sig) ||
	    (c = id_call(CALL_KILL, "POST", id, "/kill?signal=", arg)) == NULL)
		return -1;
	n = strlen(c->path);
	if (n + strlen(sig) >= sizeof(c->path)) {
		free(c);
		return -1;
	}
	memcpy(c->path + n, sig, strlen(sig) + 1);
	c->cb.plain = cb;
	return docker_call_start(d, c, "POST", true, NULL, d->timeout_ms);
}

int
docker_top(struct docker *d, const char *id, docker_body_cb cb, void *arg)
{
	if (!docker_id_ok(id))
		return -1;
	return docker_call_body(d, "GET", "/containers/", id, "/top", cb, arg);
}

/* ---- a docker-compose service's containers (doc/compose.md) -------------------------- */

int
docker_compose_list(struct docker *d, const char *project, const char *service,
    docker_body_cb cb, void *arg)
{
	/* Both labels, ANDed by the engine; compose_pick checks them again. Names are
	 * [A-Za-z0-9_.-] (config_keys.c), so they need no JSON escaping. */
	char filt[2 * COMPOSE_NAME_MAX + 128], esc[3 * sizeof(filt)];
	int n;

	n = snprintf(filt, sizeof(filt), "{\"label\":[\"" COMPOSE_LABEL_PROJECT "=%s\",\""
	    COMPOSE_LABEL_SERVICE "=%s\"]}", project, service);
	if (n < 0 || (size_t)n >= sizeof(filt) || httpc_escape(filt, esc, sizeof(esc)) < 0) {
		log_err("docker: compose %s/%s: cannot build the container list request", project,
		    service);
		return -1;
	}
	return docker_call_body(d, "GET", "/containers/json?all=1&filters=", esc, "", cb, arg);
}

int
docker_label_list(struct docker *d, const char *label, docker_body_cb cb, void *arg)
{
	char filt[256], esc[3 * sizeof(filt)];
	int n;

	n = snprintf(filt, sizeof(filt), "{\"label\":[\"%s\"]}", label);
	if (n < 0 || (size_t)n >= sizeof(filt) || httpc_escape(filt, esc, sizeof(esc)) < 0) {
		log_err("docker: cannot build the container list request of label %s", label);
		return -1;
	}
	return docker_call_body(d, "GET", "/containers/json?all=1&filters=", esc, "", cb, arg);
}

int
docker_inspect_body(struct docker *d, const char *id, docker_body_cb cb, void *arg)
{
	if (!docker_id_ok(id)) {
		log_warning("docker: refusing to inspect an invalid container id");
		return -1;
	}
	return docker_call_body(d, "GET", "/containers/", id, "/json", cb, arg);
}
