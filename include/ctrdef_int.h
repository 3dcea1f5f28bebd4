/* ctrdef_int.h: private to ctrdef.c (the body's core) and ctrdef_host.c (the rest). */
#ifndef DOCKSCALE_CTRDEF_INT_H
#define DOCKSCALE_CTRDEF_INT_H

#include <stdint.h>

#include "config.h"

struct cJSON;

/* o[key] = v as integer text (cJSON's doubles lose large values); 0 or -1. */
int ctrdef_add_i64(struct cJSON *o, const char *key, int64_t v);
/* o[key] = the NULL-terminated v as an array of strings; 0 or -1. */
int ctrdef_add_strv(struct cJSON *o, const char *key, const char *const *v);
/* The Config fields of c's container keys (Env, Entrypoint, User, Labels,
 * Healthcheck, ...) into the body root; 0 or -1. */
int ctrdef_config(struct cJSON *root, const struct svc_conf *c);
/* The HostConfig fields of c's container keys (Binds, Tmpfs, CapAdd, RestartPolicy,
 * ...) into hc; 0 or -1. */
int ctrdef_host(struct cJSON *hc, const struct svc_conf *c);
/* Drop from a create body the networks API 1.41 cannot take at create: all but
 * HostConfig.NetworkMode's (connected later, see ctrdef_extra_network). */
void ctrdef_create_networks(struct cJSON *body);

#endif
