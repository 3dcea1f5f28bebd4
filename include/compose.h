/* compose.h: a docker-compose container as a service's container definition (pure). */
#ifndef DOCKSCALE_COMPOSE_H
#define DOCKSCALE_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>

#include "docker.h"

struct cJSON;

#define COMPOSE_NAME_MAX 100 /* longest compose_project / compose_service */
#define COMPOSE_LABEL_PREFIX "com.docker.compose."
#define COMPOSE_LABEL_PROJECT COMPOSE_LABEL_PREFIX "project"
#define COMPOSE_LABEL_SERVICE COMPOSE_LABEL_PREFIX "service"
#define COMPOSE_LABEL_NUMBER COMPOSE_LABEL_PREFIX "container-number"
#define COMPOSE_LABEL_ONEOFF COMPOSE_LABEL_PREFIX "oneoff"

/* The container compose_pick chose. */
struct compose_ctr {
	char id[DOCKER_ID_MAX + 1];
	char name[DOCKER_NAME_MAX + 1]; /* without the leading '/' */
	int number;                      /* com.docker.compose.container-number; 0 unknown */
	bool running;
	int candidates;                  /* containers of the service that qualified */
};

/* From a GET /containers/json answer, the container that defines project/service:
 * one carrying both labels with those values, not a one-off (`docker-compose run`),
 * not one of dockscale's, not being removed or dead; running before not running, then
 * the lowest container-number, then the newest, then the lowest Id. 1 with *out
 * filled, 0 when there is none, -1 when body is not a container list. */
int compose_pick(const char *body, const char *project, const char *service,
    struct compose_ctr *out);

/* The definition a compose container's GET /containers/{id}/json answer describes:
 * the create body every replica shares (same shape as ctrdef_build's), without the
 * container's name, hostname, host port bindings, restart policy, static addresses
 * and compose's or dockscale's labels (doc/compose.md, "A docker-compose service as the
 * source"). network: the one the replicas are reached on; NULL or "" = the
 * container's own (HostConfig.NetworkMode). A new object, with the network used in
 * net and the number of the container's other networks (not joined) in *extra; or
 * NULL with the reason in why. */
struct cJSON *compose_def(const char *body, const char *network, char *net, size_t netlen,
    int *extra, char *why, size_t whylen);

/* ---- services declared by labels (doc/labels.md) ------------------------------------ */

#define LABELS_PREFIX "dockscale."
#define LABELS_ENABLE LABELS_PREFIX "enable"   /* =true: the container is a source */
#define LABELS_SERVICE LABELS_PREFIX "service" /* the service's name */

/* One label of a source. */
struct label_kv {
	char *key;
	char *value;
};

/* A container labelled dockscale.enable=true: what a label service is made from. */
struct label_src {
	char id[DOCKER_ID_MAX + 1];
	char name[DOCKER_NAME_MAX + 1];  /* without the leading '/' */
	double created;                  /* unix seconds */
	char *project;                   /* com.docker.compose.project; NULL: none */
	char *service;                   /* com.docker.compose.service; NULL: none */
	struct label_kv *kv;             /* its dockscale.* labels, sorted by key */
	size_t n;
};

/* From a GET /containers/json answer, the sources: containers labelled
 * dockscale.enable=true that are neither dockscale's own replicas (DOCKER_LABEL) nor
 * compose one-offs (`docker-compose run`), sorted by compose project and service (the
 * newest container of one first: a recreate in progress), then by name. 0 with *out (free it with
 * compose_label_sources_free) and *n, or -1 when body is not a container list or out of
 * memory. */
int compose_label_sources(const char *body, struct label_src **out, size_t *n);
void compose_label_sources_free(struct label_src *v, size_t n);
/* The same containers with the same labels (a change of which is a reload). */
bool compose_label_sources_same(const struct label_src *a, size_t na,
    const struct label_src *b, size_t nb);

#endif
