/* ctrdef.h: a service's container definition, the body of POST /containers/create. */
#ifndef DOCKSCALE_CTRDEF_H
#define DOCKSCALE_CTRDEF_H

#include <stdint.h>
#include <stddef.h>

#include "config.h"

struct cJSON;

/* The definition a [service] section describes: the create body every replica shares
 * (Image, Cmd, Env, ExposedPorts, HostConfig, ...) without the replica's own name and
 * without dockscale's labels. A new cJSON object, or NULL (logged) when one of its
 * values cannot be sent. Pure: no I/O. */
struct cJSON *ctrdef_build(const struct svc_conf *c);
/* The body of one replica's create call: def plus the io.dockscale.* labels (service,
 * generation, a restart salt unless 0, and a rollout's target count unless 0). A
 * malloc'd string, or NULL on a definition that lacks an Image or out of memory. */
char *ctrdef_replica_body(const struct cJSON *def, const char *service, uint64_t generation,
    uint64_t restart, int rollout_target);
/* The definition's Image, or NULL. */
const char *ctrdef_image(const struct cJSON *def);
/* The i-th network (from 0) a replica joins after its create and before its start
 * (dockscale.conf(5), `networks`), or NULL past the last. */
const char *ctrdef_extra_network(const struct cJSON *def, size_t i);

#endif
