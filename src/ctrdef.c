/* ctrdef.c: a service's container definition as the Engine's create body (doc/definition.md,
 * "Coming from docker-compose"). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ctrdef.h"
#include "ctrdef_int.h"
#include "docker.h"
#include "log.h"

static int
create_host_config(cJSON *root, const struct svc_conf *c, const char *portkey)
{
	cJSON *hc, *pb, *binds, *b;
	bool netset = c->network != NULL && c->network[0] != '\0';

	if ((hc = cJSON_AddObjectToObject(root, "HostConfig")) == NULL ||
	    cJSON_AddBoolToObject(hc, "Init", c->init) == NULL)
		return -1;
	if (c->cpus > 0 && isfinite(c->cpus)) {
		double nano = c->cpus * 1e9;
		/* round half up by hand: no libm needed for one positive value */
		if (nano >= 9.2e18 || ctrdef_add_i64(hc, "NanoCpus", (int64_t)(nano + 0.5)) == -1)
			return -1;
	}
	if (c->memory > 0 && ctrdef_add_i64(hc, "Memory", c->memory) == -1)
		return -1;
	if (netset) {
		if (cJSON_AddStringToObject(hc, "NetworkMode", c->network) == NULL)
			return -1;
	} else if (portkey != NULL) {
		/* HostPort "" lets the kernel choose; loopback only: nginx is local. */
		if ((pb = cJSON_AddObjectToObject(hc, "PortBindings")) == NULL ||
		    (binds = cJSON_AddArrayToObject(pb, portkey)) == NULL)
			return -1;
		if ((b = cJSON_CreateObject()) == NULL)
			return -1;
		if (!cJSON_AddItemToArray(binds, b)) {
			cJSON_Delete(b);
			return -1;
		}
		if (cJSON_AddStringToObject(b, "HostIp", "127.0.0.1") == NULL ||
		    cJSON_AddStringToObject(b, "HostPort", "") == NULL)
			return -1;
	}
	return ctrdef_host(hc, c);
}

cJSON *
ctrdef_build(const struct svc_conf *c)
{
	cJSON *root, *exposed;
	char portkey[32];
	bool has_port;

	if (c == NULL || c->image == NULL || c->image[0] == '\0')
		return NULL;
	has_port = c->port > 0 && c->port <= 65535;
	snprintf(portkey, sizeof(portkey), "%d/tcp", c->port);
	if ((root = cJSON_CreateObject()) == NULL)
		goto fail;
	if (cJSON_AddStringToObject(root, "Image", c->image) == NULL)
		goto fail;
	/* An empty Cmd means "the image's", same as leaving it out. */
	if (c->command.n > 0 && ctrdef_add_strv(root, "Cmd", (const char *const *)c->command.v) == -1)
		goto fail;
	if (ctrdef_config(root, c) == -1)
		goto fail;
	/* PortBindings only apply to ports that are also exposed (the CLI adds this). */
	if (has_port && ((exposed = cJSON_AddObjectToObject(root, "ExposedPorts")) == NULL ||
	    cJSON_AddObjectToObject(exposed, portkey) == NULL))
		goto fail;
	if (create_host_config(root, c, has_port ? portkey : NULL) == -1)
		goto fail;
	return root;
fail:
	log_err("%s: cannot build the container definition", c->name);
	cJSON_Delete(root);
	return NULL;
}

/* Replace (or add) one of our labels. */
static int
set_label(cJSON *labels, const char *key, const char *value)
{
	cJSON_DeleteItemFromObjectCaseSensitive(labels, key);
	return cJSON_AddStringToObject(labels, key, value) == NULL ? -1 : 0;
}

char *
ctrdef_replica_body(const cJSON *def, const char *service, uint64_t generation,
    uint64_t restart, int rollout_target)
{
	cJSON *root, *labels;
	char *out = NULL, hex[17], count[16];

	if (ctrdef_image(def) == NULL || service == NULL || service[0] == '\0')
		return NULL;
	if ((root = cJSON_Duplicate(def, true)) == NULL)
		return NULL;
	ctrdef_create_networks(root);
	labels = cJSON_GetObjectItemCaseSensitive(root, "Labels");
	if (labels == NULL && (labels = cJSON_AddObjectToObject(root, "Labels")) == NULL)
		goto out;
	if (!cJSON_IsObject(labels))
		goto out;
	if (set_label(labels, DOCKER_LABEL, service) == -1)
		goto out;
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)generation);
	if (generation != 0 && set_label(labels, DOCKER_LABEL_GENERATION, hex) == -1)
		goto out;
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)restart);
	if (restart != 0 && set_label(labels, DOCKER_LABEL_RESTART, hex) == -1)
		goto out;
	/* Fits: an int in decimal. Not part of the generation: def is hashed without it. */
	snprintf(count, sizeof(count), "%d", rollout_target);
	if (rollout_target > 0 && set_label(labels, DOCKER_LABEL_ROLLOUT_TARGET, count) == -1)
		goto out;
	out = cJSON_PrintUnformatted(root);
out:
	cJSON_Delete(root);
	return out;
}

const char *
ctrdef_image(const cJSON *def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(def, "Image");

	return cJSON_IsString(v) && v->valuestring[0] != '\0' ? v->valuestring : NULL;
}
