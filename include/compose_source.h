/* compose_source.h: a compose service's definition, kept in step with docker-compose's container. */
#ifndef DOCKSCALE_COMPOSE_SOURCE_H
#define DOCKSCALE_COMPOSE_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "compose.h"
#include "docker.h"

struct svc;
struct svc_conf;
struct svc_feature;

/* Where a compose service's definition comes from (doc/compose.md). */
enum compose_state {
	CS_OFF = 0,   /* the service's definition is its [service] section */
	CS_LOOKING,   /* no answer yet */
	CS_FOUND,     /* s->def is the compose container's */
	CS_MISSING,   /* no compose container: no replica can be created */
	CS_UNUSABLE,  /* its definition cannot be used (why says so) */
};

struct compose_source { /* owner: compose_source.c */
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
 * container. Its hooks (featureset.c registers them): it supplies the definition of a
 * service with compose keys, looks the container up at load, reload and each pass, says
 * why nothing can be created while it has none, reaches replicas by IP, and adds the
 * "definition" object to the status. */
extern const struct svc_feature compose_source_feature;
/* The service's configuration names a compose project and service. */
bool compose_source_wanted(const struct svc_conf *c);
/* Look the compose container up again (each pass; coalesced while one is running). */
void compose_source_lookup(struct svc *s);
/* Why no replica can be created now (no definition), or NULL. */
const char *compose_source_blocked(const struct svc *s);
/* The first lookup has not answered yet. */
bool compose_source_pending(const struct svc *s);

#endif
