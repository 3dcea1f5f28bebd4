/* compose_source.h: a compose service's definition, kept in step with docker-compose's container. */
#ifndef DOCKSCALE_COMPOSE_SOURCE_H
#define DOCKSCALE_COMPOSE_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "compose.h"
#include "docker.h"

struct svc;
struct svc_conf;
struct cJSON;

/* Where a compose service's definition comes from: owned and written by
 * compose_source.c only (README.md, "A docker-compose service as the source"). */
enum compose_state {
	CS_OFF = 0,   /* the service's definition is its [service] section */
	CS_LOOKING,   /* no answer yet */
	CS_FOUND,     /* s->def is the compose container's */
	CS_MISSING,   /* no compose container: no replica can be created */
	CS_UNUSABLE,  /* its definition cannot be used (why says so) */
};

struct compose_source {
	struct svc *svc;
	enum compose_state state;
	char project[COMPOSE_NAME_MAX + 1];
	char service[COMPOSE_NAME_MAX + 1];
	bool busy;                     /* a list or inspect call in flight */
	bool again;                    /* asked to look again meanwhile */
	struct compose_ctr pending;    /* the container being inspected */
	char id[DOCKER_ID_MAX + 1];    /* the container the definition came from */
	char name[DOCKER_NAME_MAX + 1];
	char network[DOCKER_NETWORK_MAX + 1]; /* replicas join it and are reached on it;
	                                       * kept while the source is missing */
	char why[256];                 /* MISSING, UNUSABLE: what the status API says */
	uint64_t generation;           /* definitions taken so far */
	int64_t since_ms;              /* loop clock: when the current one was taken */
};

/* compose_source.c: a compose service's definition, kept in step with docker-compose's
 * container. */
bool compose_source_wanted(const struct svc_conf *c);
/* Start-up and reload: follow the service's compose keys and look the container up. */
void compose_source_apply(struct svc *s);
/* Look the compose container up again (each pass; coalesced while one is running). */
void compose_source_lookup(struct svc *s);
void compose_source_fini(struct svc *s);
/* The network replicas are reached on: `network`, else the compose container's. */
const char *compose_source_network(const struct svc *s);
/* Replicas are reached at their container IP (on `network`, or, for a compose service,
 * on the network they joined: known even before the compose container is found). */
bool compose_source_by_ip(const struct svc *s);
/* Why no replica can be created now (no definition), or NULL. */
const char *compose_source_blocked(const struct svc *s);
/* The first lookup has not answered yet. */
bool compose_source_pending(const struct svc *s);
/* The "definition" object of the status API. */
struct cJSON *compose_source_status(const struct svc *s, int64_t now);

#endif
