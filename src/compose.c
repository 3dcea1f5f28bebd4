/* compose.c: a docker-compose container's inspect answer as a service's container
 * definition (doc/compose.md). Pure: no I/O. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "compose.h"
#include "json.h"

/* Config members a replica copies as they are: everything `docker-compose up --scale`
 * would give a new container of the service. Hostname, Labels and Image are handled
 * on their own; the attach/stdin flags and OnBuild are not a service's. */
static const char *const config_keys[] = {
	"User", "Env", "Cmd", "Entrypoint", "Healthcheck", "WorkingDir", "StopSignal",
	"StopTimeout", "ExposedPorts", "Volumes", "Tty", "OpenStdin", "Domainname", "Shell",
};

/* HostConfig members a replica copies as they are. Left out: PortBindings and
 * PublishAllPorts (host ports belong to one container), RestartPolicy (dockscale
 * replaces replicas itself), NetworkMode (rewritten), Links (name-bound), AutoRemove,
 * ContainerIDFile, ConsoleSize, MaskedPaths/ReadonlyPaths (the engine's defaults
 * again), KernelMemory (deprecated). */
static const char *const host_keys[] = {
	"Binds", "Mounts", "Tmpfs", "VolumeDriver", "VolumesFrom", "StorageOpt", "LogConfig",
	"CapAdd", "CapDrop", "SecurityOpt", "ReadonlyRootfs", "Privileged", "Init",
	"ExtraHosts", "Dns", "DnsOptions", "DnsSearch", "NanoCpus", "CpuShares", "CpuPeriod",
	"CpuQuota", "CpuRealtimePeriod", "CpuRealtimeRuntime", "CpusetCpus", "CpusetMems",
	"CpuCount", "CpuPercent", "Memory", "MemoryReservation", "MemorySwap",
	"MemorySwappiness", "OomKillDisable", "OomScoreAdj", "PidsLimit", "Ulimits",
	"ShmSize", "Sysctls", "GroupAdd", "Devices", "DeviceCgroupRules", "DeviceRequests",
	"BlkioWeight", "BlkioWeightDevice", "BlkioDeviceReadBps", "BlkioDeviceWriteBps",
	"BlkioDeviceReadIOps", "BlkioDeviceWriteIOps", "IOMaximumIOps",
	"IOMaximumBandwidth", "IpcMode", "PidMode", "UTSMode", "UsernsMode", "CgroupnsMode",
	"Cgroup", "CgroupParent", "Runtime", "Isolation",
};

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

static bool
has_prefix(const char *s, const char *pre)
{
	return strncmp(s, pre, strlen(pre)) == 0;
}

/* ---- choosing the container --------------------------------------------------------- */

static int
label_number(const cJSON *labels)
{
	const char *v = json_get_str(labels, COMPOSE_LABEL_NUMBER);
	char *end;
	long n;

	if (v == NULL)
		return 0;
	n = strtol(v, &end, 10);
	return *end == '\0' && end != v && n > 0 && n < 1000000 ? (int)n : 0;
}

/* a before b in compose_pick's order (numbers unknown, 0, go last). */
static bool
better(const struct compose_ctr *a, double a_created, const struct compose_ctr *b,
    double b_created)
{
	if (a->running != b->running)
		return a->running;
	if (a->number != b->number)
		return b->number == 0 || (a->number != 0 && a->number < b->number);
	if (a_created != b_created)
		return a_created > b_created;
	return strcmp(a->id, b->id) < 0;
}

int
compose_pick(const char *body, const char *project, const char *service,
    struct compose_ctr *out)
{
	cJSON *root;
	const cJSON *e;
	double best_created = 0;
	int found = 0;

	memset(out, 0, sizeof(*out));
	if ((root = json_parse_array(body)) == NULL)
		return -1;
	cJSON_ArrayForEach(e, root) {
		const cJSON *labels = json_get(e, "Labels"), *names = json_get(e, "Names");
		const cJSON *created = json_get(e, "Created");
		const char *id = json_get_str(e, "Id"), *state = json_get_str(e, "State");
		const char *p = json_get_str(labels, COMPOSE_LABEL_PROJECT);
		const char *s = json_get_str(labels, COMPOSE_LABEL_SERVICE);
		const char *oneoff = json_get_str(labels, COMPOSE_LABEL_ONEOFF);
		const cJSON *name0 = cJSON_GetArrayItem(names, 0);
		struct compose_ctr c = { 0 };
		double cr = cJSON_IsNumber(created) ? created->valuedouble : 0;

		if (id == NULL || state == NULL || p == NULL || s == NULL ||
		    strcmp(p, project) != 0 || strcmp(s, service) != 0 ||
		    strlen(id) > DOCKER_ID_MAX || !cJSON_IsString(name0))
			continue;
		/* `docker-compose run` containers (oneoff) may run another command; ours are
		 * never compose's (they never carry its labels: stay safe anyway). */
		if ((oneoff != NULL && strcmp(oneoff, "True") == 0) ||
		    json_get(labels, DOCKER_LABEL) != NULL || strcmp(state, "removing") == 0 ||
		    strcmp(state, "dead") == 0)
			continue;
		memcpy(c.id, id, strlen(id) + 1);
		snprintf(c.name, sizeof(c.name), "%s", name0->valuestring +
		    (name0->valuestring[0] == '/'));
		c.number = label_number(labels);
		c.running = strcmp(state, "running") == 0;
		if (found++ == 0 || better(&c, cr, out, best_created)) {
			*out = c;
			best_created = cr;
		}
	}
	out->candidates = found;
	cJSON_Delete(root);
	return found > 0;
}

/* ---- the definition ------------------------------------------------------------------ */

__attribute__((format(printf, 3, 4))) static void
say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	/* A reason cut short is still a reason. */
	(void)vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* null, "", [] and {} say nothing: left out, as compose would leave them out. */
static bool
empty(const cJSON *v)
{
	return v == NULL || cJSON_IsNull(v) || (cJSON_IsString(v) && v->valuestring[0] == '\0') ||
	    ((cJSON_IsArray(v) || cJSON_IsObject(v)) && v->child == NULL);
}

static int
copy_member(cJSON *dst, const cJSON *src, const char *key, bool zero_unset)
{
	const cJSON *v = json_get(src, key);
	cJSON *dup;

	if (empty(v) || (zero_unset && cJSON_IsNumber(v) && v->valuedouble == 0))
		return 0;
	if ((dup = cJSON_Duplicate(v, true)) == NULL)
		return -1;
	if (!cJSON_AddItemToObject(dst, key, dup)) {
		cJSON_Delete(dup);
		return -1;
	}
	return 0;
}

/* cJSON prints large numbers in exponent form, which Go's int64 decoder rejects:
 * integers go out as raw text (nanosecond durations, byte sizes). */
static int
integers_raw(cJSON *node)
{
	for (cJSON *it = node; it != NULL; it = it->next) {
		if (cJSON_IsNumber(it) && floor(it->valuedouble) == it->valuedouble &&
		    fabs(it->valuedouble) < 9.2e18) {
			char num[32];

			snprintf(num, sizeof(num), "%lld", (long long)it->valuedouble);
			if ((it->valuestring = strdup(num)) == NULL)
				return -1;
			it->type = cJSON_Raw;
		} else if ((cJSON_IsArray(it) || cJSON_IsObject(it)) &&
		    integers_raw(it->child) == -1) {
			return -1;
		}
	}
	return 0;
}

/* Config.Labels without compose's (its project, service, number, config-hash: a
 * `docker-compose up` must never take a replica for its own) and dockscale's (its
 * own, and the dockscale.* ones that declare a service: a replica is never a source,
 * doc/labels.md). */
static int
copy_labels(cJSON *root, const cJSON *labels)
{
	const cJSON *l;
	cJSON *out = NULL;

	cJSON_ArrayForEach(l, labels) {
		if (!cJSON_IsString(l) || l->string == NULL ||
		    has_prefix(l->string, COMPOSE_LABEL_PREFIX) || has_prefix(l->string, "io.dockscale.") ||
		    has_prefix(l->string, LABELS_PREFIX))
			continue;
		if (out == NULL && (out = cJSON_AddObjectToObject(root, "Labels")) == NULL)
			return -1;
		if (cJSON_AddStringToObject(out, l->string, l->valuestring) == NULL)
			return -1;
	}
	return 0;
}

/* An alias the engine gave this container alone (its short id, its name). */
static bool
own_alias(const char *a, const char *id, const char *name)
{
	return (strlen(a) >= 12 && strncmp(a, id, strlen(a)) == 0) || strcmp(a, name) == 0;
}

/* HostConfig.NetworkMode and NetworkingConfig for the network the replicas are reached
 * on, with the service's aliases (so `web` resolves to every replica, as with
 * --scale); 0, or -1 with why. */
static int
copy_network(cJSON *root, cJSON *hc, const cJSON *in, const char *want, char *net,
    size_t netlen, int *extra, char *why, size_t whylen)
{
	const char *mode = json_get_str(json_get(in, "HostConfig"), "NetworkMode");
	const char *id = json_get_str(in, "Id"), *name = json_get_str(in, "Name");
	const cJSON *nets = json_get(json_get(in, "NetworkSettings"), "Networks"), *ep, *a;
	cJSON *ec, *mine, *aliases = NULL;

	if (mode == NULL || id == NULL || name == NULL) {
		say(why, whylen, "no HostConfig.NetworkMode, Id or Name");
		return -1;
	}
	name += name[0] == '/';
	if (strcmp(mode, "default") == 0)
		mode = "bridge";
	if (strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0 ||
	    has_prefix(mode, "container:")) {
		say(why, whylen, "network_mode %s: replicas need an address of their own", mode);
		return -1;
	}
	if (want == NULL || want[0] == '\0')
		want = mode;
	if ((ep = json_get(nets, want)) == NULL || !cJSON_IsObject(ep)) {
		say(why, whylen, "the compose container is not on network %s", want);
		return -1;
	}
	if (snprintf(net, netlen, "%s", want) >= (int)netlen) {
		say(why, whylen, "network name %.32s... too long", want);
		return -1;
	}
	*extra = cJSON_GetArraySize(nets) - 1;
	if (cJSON_AddStringToObject(hc, "NetworkMode", want) == NULL)
		return -1;
	/* The default bridge takes no aliases; static addresses are one container's. */
	if (strcmp(want, "bridge") == 0)
		return 0;
	if ((ec = cJSON_AddObjectToObject(cJSON_AddObjectToObject(root, "NetworkingConfig"),
	    "EndpointsConfig")) == NULL || (mine = cJSON_AddObjectToObject(ec, want)) == NULL)
		return -1;
	cJSON_ArrayForEach(a, json_get(ep, "Aliases")) {
		if (!cJSON_IsString(a) || own_alias(a->valuestring, id, name))
			continue;
		if (aliases == NULL && (aliases = cJSON_AddArrayToObject(mine, "Aliases")) == NULL)
			return -1;
		if (!cJSON_AddItemToArray(aliases, cJSON_CreateString(a->valuestring)))
			return -1;
	}
	return copy_member(mine, ep, "DriverOpts", false);
}

cJSON *
compose_def(const char *body, const char *network, char *net, size_t netlen, int *extra,
    char *why, size_t whylen)
{
	cJSON *in = NULL, *root = NULL, *hc, *rp;
	const cJSON *cfg, *hin;
	const char *image, *host, *id;

	*extra = 0;
	if (body == NULL || (in = json_parse_whole(body, strlen(body))) == NULL ||
	    !cJSON_IsObject(cfg = json_get(in, "Config")) ||
	    !cJSON_IsObject(hin = json_get(in, "HostConfig"))) {
		say(why, whylen, "malformed inspect answer");
		goto fail;
	}
	image = json_get_str(cfg, "Image");
	id = json_get_str(in, "Id");
	if (image == NULL || image[0] == '\0' || strlen(image) > DOCKER_IMAGE_MAX || id == NULL) {
		say(why, whylen, "no usable Config.Image or Id");
		goto fail;
	}
	if ((root = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(root, "Image", image) == NULL)
		goto oom;
	for (size_t i = 0; i < NKEYS(config_keys); i++)
		if (copy_member(root, cfg, config_keys[i], false) == -1)
			goto oom;
	/* The engine names a container's host after its short id; a hostname the compose
	 * file set is the service's and is kept. */
	host = json_get_str(cfg, "Hostname");
	if (host != NULL && host[0] != '\0' && strncmp(host, id, strlen(host)) != 0 &&
	    cJSON_AddStringToObject(root, "Hostname", host) == NULL)
		goto oom;
	if (copy_labels(root, json_get(cfg, "Labels")) == -1)
		goto oom;
	if ((hc = cJSON_AddObjectToObject(root, "HostConfig")) == NULL)
		goto oom;
	/* In HostConfig a 0 is "unset" for every number copied (limits, weights). */
	for (size_t i = 0; i < NKEYS(host_keys); i++)
		if (copy_member(hc, hin, host_keys[i], true) == -1)
			goto oom;
	/* Docker must not restart replicas behind our back: dockscale replaces them. */
	if ((rp = cJSON_AddObjectToObject(hc, "RestartPolicy")) == NULL ||
	    cJSON_AddStringToObject(rp, "Name", "no") == NULL)
		goto oom;
	why[0] = '\0';
	if (copy_network(root, hc, in, network, net, netlen, extra, why, whylen) == -1) {
		if (why[0] == '\0')
			goto oom;
		goto fail;
	}
	if (integers_raw(root) == -1)
		goto oom;
	cJSON_Delete(in);
	return root;
oom:
	say(why, whylen, "out of memory");
fail:
	cJSON_Delete(in);
	cJSON_Delete(root);
	return NULL;
}

/* ---- services declared by labels (doc/labels.md) ------------------------------------ */

static int
kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct label_kv *)a)->key, ((const struct label_kv *)b)->key);
}

static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/* By compose project and service, the newest first within one (a recreate in progress),
 * then by name. */
static int
src_cmp(const void *a, const void *b)
{
	const struct label_src *x = a, *y = b;
	int c = strcmp(or_empty(x->project), or_empty(y->project));

	if (c == 0)
		c = strcmp(or_empty(x->service), or_empty(y->service));
	if (c == 0 && x->project != NULL && x->service != NULL && x->created != y->created)
		return x->created > y->created ? -1 : 1;
	if (c == 0)
		c = strcmp(x->name, y->name);
	return c != 0 ? c : strcmp(x->id, y->id);
}

static void
src_free(struct label_src *s)
{
	for (size_t i = 0; s->kv != NULL && i < s->n; i++) {
		free(s->kv[i].key);
		free(s->kv[i].value);
	}
	free(s->kv);
	free(s->project);
	free(s->service);
	memset(s, 0, sizeof(*s));
}

void
compose_label_sources_free(struct label_src *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		src_free(&v[i]);
	free(v);
}

/* NULL stays NULL; -1 when out of memory. */
static int
dup_opt(char **dst, const char *s)
{
	*dst = s != NULL ? strdup(s) : NULL;
	return s != NULL && *dst == NULL ? -1 : 0;
}

/* The source one list entry describes: 1, 0 when it is none, -1 out of memory. */
static int
src_from(const cJSON *e, struct label_src *out)
{
	const cJSON *labels = json_get(e, "Labels"), *l;
	const cJSON *name0 = cJSON_GetArrayItem(json_get(e, "Names"), 0);
	const char *id = json_get_str(e, "Id"), *enable = json_get_str(labels, LABELS_ENABLE);
	const char *oneoff = json_get_str(labels, COMPOSE_LABEL_ONEOFF);
	size_t k = 0;

	memset(out, 0, sizeof(*out));
	/* A replica carries its source's labels only if someone put them there by hand:
	 * never a source itself (doc/labels.md, "Replicas"). */
	if (id == NULL || strlen(id) > DOCKER_ID_MAX || !cJSON_IsString(name0) ||
	    enable == NULL || strcmp(enable, "true") != 0 || json_get(labels, DOCKER_LABEL) != NULL ||
	    (oneoff != NULL && strcmp(oneoff, "True") == 0))
		return 0;
	memcpy(out->id, id, strlen(id) + 1);
	out->created = cJSON_IsNumber(json_get(e, "Created")) ? json_get(e, "Created")->valuedouble : 0;
	snprintf(out->name, sizeof(out->name), "%s", name0->valuestring +
	    (name0->valuestring[0] == '/')); /* a name cut short still names it */
	if (dup_opt(&out->project, json_get_str(labels, COMPOSE_LABEL_PROJECT)) == -1 ||
	    dup_opt(&out->service, json_get_str(labels, COMPOSE_LABEL_SERVICE)) == -1)
		goto oom;
	cJSON_ArrayForEach(l, labels)
		k += cJSON_IsString(l) && l->string != NULL && has_prefix(l->string, LABELS_PREFIX);
	if ((out->kv = calloc(k ? k : 1, sizeof(*out->kv))) == NULL)
		goto oom;
	cJSON_ArrayForEach(l, labels) {
		if (!cJSON_IsString(l) || l->string == NULL || !has_prefix(l->string, LABELS_PREFIX))
			continue;
		out->kv[out->n].key = strdup(l->string);
		out->kv[out->n].value = strdup(l->valuestring);
		out->n++;
		if (out->kv[out->n - 1].key == NULL || out->kv[out->n - 1].value == NULL)
			goto oom;
	}
	qsort(out->kv, out->n, sizeof(*out->kv), kv_cmp);
	return 1;
oom:
	src_free(out);
	return -1;
}

int
compose_label_sources(const char *body, struct label_src **out, size_t *n)
{
	cJSON *root;
	const cJSON *e;
	struct label_src *v;
	size_t k = 0;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if ((root = json_parse_array(body)) == NULL)
		return -1;
	if ((v = calloc((size_t)cJSON_GetArraySize(root) + 1, sizeof(*v))) == NULL)
		goto out;
	cJSON_ArrayForEach(e, root) {
		int r = src_from(e, &v[k]);

		if (r == -1) {
			compose_label_sources_free(v, k);
			goto out;
		}
		k += (size_t)r;
	}
	qsort(v, k, sizeof(*v), src_cmp);
	*out = v;
	*n = k;
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

static bool
same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

bool
compose_label_sources_same(const struct label_src *a, size_t na, const struct label_src *b,
    size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		if (strcmp(a[i].id, b[i].id) != 0 || strcmp(a[i].name, b[i].name) != 0 ||
		    !same_str(a[i].project, b[i].project) || !same_str(a[i].service, b[i].service) ||
		    a[i].n != b[i].n)
			return false;
		for (size_t j = 0; j < a[i].n; j++)
			if (strcmp(a[i].kv[j].key, b[i].kv[j].key) != 0 ||
			    strcmp(a[i].kv[j].value, b[i].kv[j].value) != 0)
				return false;
	}
	return true;
}
