/* ctrdef_host.c: the container keys of config_ctr.c as Engine API 1.41 create-body
 * fields (doc/definition.md, "Coming from docker-compose"). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ctrdef.h"
#include "ctrdef_int.h"

#define NS_PER_MS 1000000LL

/* cJSON prints numbers with %.15g/%.17g, which turns large values into exponent form
 * that Go's int64 decoder rejects: emit integers as raw text. */
int
ctrdef_add_i64(cJSON *o, const char *key, int64_t v)
{
	char num[32];
	cJSON *n;

	snprintf(num, sizeof(num), "%lld", (long long)v);
	if ((n = cJSON_CreateRaw(num)) == NULL)
		return -1;
	if (!cJSON_AddItemToObject(o, key, n)) {
		cJSON_Delete(n);
		return -1;
	}
	return 0;
}

int
ctrdef_add_strv(cJSON *o, const char *key, const char *const *v)
{
	cJSON *arr = cJSON_AddArrayToObject(o, key);

	if (arr == NULL)
		return -1;
	for (; *v != NULL; v++) {
		cJSON *s = cJSON_CreateString(*v);
		if (s == NULL || !cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			return -1;
		}
	}
	return 0;
}

static const char *const *
vec(const struct strv *sv)
{
	return (const char *const *)sv->v;
}

static int
add_str(cJSON *o, const char *key, const char *v)
{
	if (v == NULL || v[0] == '\0')
		return 0;
	return cJSON_AddStringToObject(o, key, v) != NULL ? 0 : -1;
}

static int
add_list(cJSON *o, const char *key, const struct strv *sv)
{
	return sv->n > 0 ? ctrdef_add_strv(o, key, vec(sv)) : 0;
}

/* entries "KEY<sep>VALUE" of sv as an object {KEY: VALUE} (VALUE "" without sep). */
static int
add_map(cJSON *o, const char *key, const struct strv *sv, char sep)
{
	cJSON *m;

	if (sv->n == 0)
		return 0;
	if ((m = cJSON_AddObjectToObject(o, key)) == NULL)
		return -1;
	for (size_t i = 0; i < sv->n; i++) {
		const char *e = sv->v[i], *p = strchr(e, sep);
		size_t kl = p != NULL ? (size_t)(p - e) : strlen(e);
		char *k = strndup(e, kl);
		cJSON *s = cJSON_CreateString(p != NULL ? p + 1 : "");

		if (k == NULL || s == NULL || !cJSON_AddItemToObject(m, k, s)) {
			free(k);
			cJSON_Delete(s);
			return -1;
		}
		free(k);
	}
	return 0;
}

static bool
env_has(const struct strv *env, const char *kv)
{
	size_t kl = strcspn(kv, "=");

	for (size_t i = 0; i < env->n; i++)
		if (strncmp(env->v[i], kv, kl + 1) == 0)
			return true;
	return false;
}

/* env_file values first, then env: a key in env wins, as in docker-compose. */
static int
add_env(cJSON *root, const struct svc_conf *c)
{
	const struct strv *fe = &c->ctr.file_env;
	cJSON *arr, *s;

	if (c->env.n == 0 && fe->n == 0)
		return 0;
	if ((arr = cJSON_AddArrayToObject(root, "Env")) == NULL)
		return -1;
	for (size_t i = 0; i < fe->n + c->env.n; i++) {
		const char *e = i < fe->n ? fe->v[i] : c->env.v[i - fe->n];

		if (i < fe->n && env_has(&c->env, e))
			continue;
		if ((s = cJSON_CreateString(e)) == NULL || !cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			return -1;
		}
	}
	return 0;
}

static int
add_healthcheck(cJSON *root, const struct ctr_conf *k)
{
	cJSON *h;

	if (k->healthcheck.n == 0 && !k->hc_interval_ms && !k->hc_timeout_ms &&
	    !k->hc_start_period_ms && !k->hc_retries)
		return 0;
	/* No Test with a duration set: the Engine keeps the image's test, ours tune it. */
	if ((h = cJSON_AddObjectToObject(root, "Healthcheck")) == NULL ||
	    add_list(h, "Test", &k->healthcheck) == -1)
		return -1;
	if ((k->hc_interval_ms && ctrdef_add_i64(h, "Interval", k->hc_interval_ms * NS_PER_MS)) ||
	    (k->hc_timeout_ms && ctrdef_add_i64(h, "Timeout", k->hc_timeout_ms * NS_PER_MS)) ||
	    (k->hc_start_period_ms &&
	     ctrdef_add_i64(h, "StartPeriod", k->hc_start_period_ms * NS_PER_MS)) ||
	    (k->hc_retries && ctrdef_add_i64(h, "Retries", k->hc_retries)))
		return -1;
	return 0;
}

/* Every network of the definition, `network` first; the replica body keeps only that
 * one (API 1.41 takes one at create), the others are connected before the start. */
static int
add_networks(cJSON *root, const struct svc_conf *c)
{
	cJSON *nc, *ec;

	if (c->ctr.networks.n == 0)
		return 0;
	if ((nc = cJSON_AddObjectToObject(root, "NetworkingConfig")) == NULL ||
	    (ec = cJSON_AddObjectToObject(nc, "EndpointsConfig")) == NULL)
		return -1;
	if (c->network != NULL && c->network[0] != '\0' &&
	    cJSON_AddObjectToObject(ec, c->network) == NULL)
		return -1;
	for (size_t i = 0; i < c->ctr.networks.n; i++)
		if (cJSON_AddObjectToObject(ec, c->ctr.networks.v[i]) == NULL)
			return -1;
	return 0;
}

int
ctrdef_config(cJSON *root, const struct svc_conf *c)
{
	const struct ctr_conf *k = &c->ctr;

	if (add_env(root, c) == -1 || add_list(root, "Entrypoint", &k->entrypoint) == -1 ||
	    add_str(root, "User", k->user) == -1 ||
	    add_str(root, "WorkingDir", k->working_dir) == -1 ||
	    add_str(root, "Hostname", k->hostname) == -1 ||
	    add_str(root, "Domainname", k->domainname) == -1 ||
	    add_str(root, "StopSignal", k->stop_signal) == -1 ||
	    add_map(root, "Labels", &k->labels, '=') == -1 || add_healthcheck(root, k) == -1 ||
	    add_networks(root, c) == -1)
		return -1;
	return 0;
}

static int
add_ulimits(cJSON *hc, const struct strv *sv)
{
	cJSON *arr, *u;

	if (sv->n == 0)
		return 0;
	if ((arr = cJSON_AddArrayToObject(hc, "Ulimits")) == NULL)
		return -1;
	for (size_t i = 0; i < sv->n; i++) {
		/* config_ctr.c stored it as NAME=SOFT:HARD */
		const char *e = sv->v[i], *eq = strchr(e, '=');
		char *end, *name;
		long long soft, hard;

		if (eq == NULL)
			return -1;
		soft = strtoll(eq + 1, &end, 10);
		if (*end != ':')
			return -1;
		hard = strtoll(end + 1, &end, 10);
		if (*end != '\0' || (u = cJSON_CreateObject()) == NULL)
			return -1;
		if (!cJSON_AddItemToArray(arr, u)) {
			cJSON_Delete(u);
			return -1;
		}
		if ((name = strndup(e, (size_t)(eq - e))) == NULL)
			return -1;
		if (cJSON_AddStringToObject(u, "Name", name) == NULL) {
			free(name);
			return -1;
		}
		free(name);
		if (
		    ctrdef_add_i64(u, "Soft", soft) == -1 || ctrdef_add_i64(u, "Hard", hard) == -1)
			return -1;
	}
	return 0;
}

static int
add_security(cJSON *hc, const struct ctr_conf *k)
{
	cJSON *arr, *s;

	if (add_list(hc, "SecurityOpt", &k->security_opt) == -1)
		return -1;
	if (!k->no_new_privileges)
		return 0;
	arr = cJSON_GetObjectItemCaseSensitive(hc, "SecurityOpt");
	if (arr == NULL && (arr = cJSON_AddArrayToObject(hc, "SecurityOpt")) == NULL)
		return -1;
	if ((s = cJSON_CreateString("no-new-privileges:true")) == NULL ||
	    !cJSON_AddItemToArray(arr, s)) {
		cJSON_Delete(s);
		return -1;
	}
	return 0;
}

static int
add_log(cJSON *hc, const struct ctr_conf *k)
{
	cJSON *lc;

	if ((k->log_driver == NULL || k->log_driver[0] == '\0') && k->log_opts.n == 0)
		return 0;
	/* Type "" with options: the daemon's default driver, given these options. */
	if ((lc = cJSON_AddObjectToObject(hc, "LogConfig")) == NULL ||
	    cJSON_AddStringToObject(lc, "Type", k->log_driver != NULL ? k->log_driver : "") ==
	        NULL)
		return -1;
	if (k->log_opts.n == 0)
		return cJSON_AddObjectToObject(lc, "Config") != NULL ? 0 : -1;
	return add_map(lc, "Config", &k->log_opts, '=');
}

int
ctrdef_host(cJSON *hc, const struct svc_conf *c)
{
	const struct ctr_conf *k = &c->ctr;
	cJSON *rp;

	if (add_list(hc, "Binds", &k->volumes) == -1 || add_map(hc, "Tmpfs", &k->tmpfs, ':') == -1 ||
	    (k->read_only && cJSON_AddBoolToObject(hc, "ReadonlyRootfs", true) == NULL) ||
	    add_list(hc, "CapAdd", &k->cap_add) == -1 || add_list(hc, "CapDrop", &k->cap_drop) == -1 ||
	    add_security(hc, k) == -1 ||
	    (k->pids_limit > 0 && ctrdef_add_i64(hc, "PidsLimit", k->pids_limit) == -1) ||
	    (k->shm_size > 0 && ctrdef_add_i64(hc, "ShmSize", k->shm_size) == -1) ||
	    add_ulimits(hc, &k->ulimits) == -1 || add_list(hc, "ExtraHosts", &k->extra_hosts) == -1 ||
	    add_list(hc, "Dns", &k->dns) == -1 || add_list(hc, "DnsSearch", &k->dns_search) == -1 ||
	    add_list(hc, "DnsOptions", &k->dns_opts) == -1 ||
	    add_map(hc, "Sysctls", &k->sysctls, '=') == -1 ||
	    add_list(hc, "GroupAdd", &k->group_add) == -1 ||
	    (k->oom_score_adj != 0 && ctrdef_add_i64(hc, "OomScoreAdj", k->oom_score_adj) == -1) ||
	    add_log(hc, k) == -1)
		return -1;
	/* "no" unless on-failure: Docker restarting replicas behind our back (always,
	 * unless-stopped) would fight dockscale's own replacement of dead ones. */
	if ((rp = cJSON_AddObjectToObject(hc, "RestartPolicy")) == NULL ||
	    cJSON_AddStringToObject(rp, "Name", k->restart_on_failure ? "on-failure" : "no") ==
	        NULL ||
	    (k->restart_on_failure && ctrdef_add_i64(rp, "MaximumRetryCount", k->restart_max) == -1))
		return -1;
	return 0;
}

/* The network the body is created on: HostConfig.NetworkMode, or NULL (the default
 * bridge). */
static const char *
primary_network(const cJSON *def)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(def, "HostConfig"), "NetworkMode");

	return cJSON_IsString(m) && m->valuestring[0] != '\0' ? m->valuestring : NULL;
}

void
ctrdef_create_networks(cJSON *body)
{
	cJSON *nc = cJSON_GetObjectItemCaseSensitive(body, "NetworkingConfig");
	cJSON *ec = cJSON_GetObjectItemCaseSensitive(nc, "EndpointsConfig");
	const char *prim = primary_network(body);
	cJSON *e = cJSON_IsObject(ec) ? ec->child : NULL;

	while (e != NULL) {
		cJSON *next = e->next;

		if (prim == NULL || e->string == NULL || strcmp(e->string, prim) != 0)
			cJSON_Delete(cJSON_DetachItemViaPointer(ec, e));
		e = next;
	}
	if (nc != NULL && (ec == NULL || ec->child == NULL))
		cJSON_DeleteItemFromObjectCaseSensitive(body, "NetworkingConfig");
}

const char *
ctrdef_extra_network(const cJSON *def, size_t i)
{
	const cJSON *ec = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(def, "NetworkingConfig"), "EndpointsConfig");
	const char *prim = primary_network(def);
	const cJSON *e;

	cJSON_ArrayForEach(e, ec) {
		if (e->string == NULL || (prim != NULL && strcmp(e->string, prim) == 0))
			continue;
		if (i-- == 0)
			return e->string;
	}
	return NULL;
}
