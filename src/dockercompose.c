/* dockercompose.c: the Docker calls that find a docker-compose service's containers
 * (doc/compose.md). */
#include "docker.h"
#include "docker_int.h"

#include <stdio.h>
#include <string.h>

#include "compose.h"
#include "httpc.h"
#include "log.h"

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
docker_inspect_body(struct docker *d, const char *id, docker_body_cb cb, void *arg)
{
	if (!docker_id_ok(id)) {
		log_warning("docker: refusing to inspect an invalid container id");
		return -1;
	}
	return docker_call_body(d, "GET", "/containers/", id, "/json", cb, arg);
}
