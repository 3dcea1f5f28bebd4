/* fake_docker.h: a fake Docker Engine on a unix socket for unit tests: canned answers
 * by method and path, and a record of every request. */
#ifndef DOCKSCALE_FAKE_DOCKER_H
#define DOCKSCALE_FAKE_DOCKER_H

#include <stddef.h>

struct fake_docker;

/* Listens on a fresh socket in a temporary directory; NULL on failure. */
struct fake_docker *fake_docker_start(void);
void fake_docker_stop(struct fake_docker *f);
const char *fake_docker_socket(const struct fake_docker *f);
/* Answer `method` on any target that starts with `prefix` (the first route added that
 * matches wins). Unrouted requests get 404 {"message":"no such route"}. */
void fake_docker_route(struct fake_docker *f, const char *method, const char *prefix,
    int status, const char *body);
/* Replace the answer of the route added with exactly this method and prefix (added
 * as a new route when there is none). */
void fake_docker_reroute(struct fake_docker *f, const char *method, const char *prefix,
    int status, const char *body);
/* How many requests so far had this method and a target starting with prefix. */
int fake_docker_seen(struct fake_docker *f, const char *method, const char *prefix);
/* "METHOD target" of request n (0 = first), or "" when there is none. */
void fake_docker_request(struct fake_docker *f, int n, char *buf, size_t len);

#endif
