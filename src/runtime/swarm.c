/* swarm.c: the Engine's Swarm calls: services, tasks, info, managers, service update. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "docker_int.h"
#include "log.h"
#include "swarm.h"

/* The filters of these calls, URL-encoded: {"role":["manager"]} and {"service":[ */
#define F_MANAGERS "?filters=%7B%22role%22%3A%5B%22manager%22%5D%7D"
#define F_SERVICE_PRE "?filters=%7B%22service%22%3A%5B%22"
#define F_SERVICE_POST "%22%5D%7D"
/* {"label":["com.docker.swarm.service.name= */
#define F_LABEL_PRE "?filters=%7B%22label%22%3A%5B%22com.docker.swarm.service.name%3D"

int
swarm_info(struct docker *d, docker_body_cb cb, void *arg)
{
	return docker_call_body(d, "GET", "/info", "", "", cb, arg);
}

int
swarm_managers(struct docker *d, docker_body_cb cb, void *arg)
{
	return docker_call_body(d, "GET", "/nodes", "", F_MANAGERS, cb, arg);
}

int
swarm_service_get(struct docker *d, const char *name, docker_body_cb cb, void *arg)
{
	/* A name or id safe in a path (docker_id_ok): the config checked it, the id is
	 * the Engine's. */
	if (!docker_id_ok(name))
		return -1;
	return docker_call_body(d, "GET", "/services/", name, "", cb, arg);
}

int
swarm_tasks(struct docker *d, const char *name, docker_body_cb cb, void *arg)
{
	if (!docker_id_ok(name))
		return -1;
	return docker_call_body(d, "GET", "/tasks" F_SERVICE_PRE, name, F_SERVICE_POST, cb, arg);
}

int
swarm_local_containers(struct docker *d, const char *name, docker_body_cb cb, void *arg)
{
	if (!docker_id_ok(name))
		return -1;
	return docker_call_body(d, "GET", "/containers/json" F_LABEL_PRE, name, F_SERVICE_POST,
	    cb, arg);
}

int
swarm_service_update(struct docker *d, const char *id, uint64_t version, const char *spec,
    docker_body_cb cb, void *arg)
{
	char post[64];
	struct call *c;
	int n = snprintf(post, sizeof(post), "/update?version=%" PRIu64, version);

	if (n < 0 || (size_t)n >= sizeof(post) || !docker_id_ok(id) ||
	    (c = docker_call_new(CALL_BODY, arg, "/services/", id, post)) == NULL)
		return -1;
	c->cb.body = cb;
	return docker_call_start(d, c, "POST", true, spec, d->timeout_ms);
}
