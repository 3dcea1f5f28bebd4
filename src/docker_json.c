/* docker_json.c: the pure half of the Docker client: Engine API JSON in and out, no I/O.
 * Answers are parsed strictly (json_parse_whole): a label or name holding \u0000 would
 * otherwise read as a shorter one, and could name another service or container. */
#include "docker.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docker_json_int.h"
#include "json.h"
#include "text.h"

/* The newest API we speak and the oldest we accept (1.25 added the features we use:
 * Init, NanoCpus, filters as JSON objects). */
#define API_MINOR_MAX 41
#define API_MINOR_MIN 25

/* Copy src into dst (size n); -1 if it does not fit, so identity fields (ids, names,
 * labels) are never silently cut into something that names another container. */
int
dockerjson_copy_exact(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);

	if (n == 0)
		return -1;
	if (len >= n) {
		dst[0] = '\0';
		return -1;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

/* Copy with truncation, for informational text (image names, messages). */
static void
copy_trunc(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);

	if (n == 0)
		return;
	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Ids and names end up in URL paths: only [0-9a-zA-Z_.-], starting alphanumeric so
 * "." and ".." (which curl would fold as dot segments) can never get through. */
int
dockerjson_id_ok(const char *s)
{
	if (s[0] == '\0' || !((s[0] >= '0' && s[0] <= '9') || (s[0] >= 'a' && s[0] <= 'z') ||
	    (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (const char *p = s; *p != '\0'; p++) {
		char c = *p;
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

/* Numbers are read from valuedouble: valueint saturates at 32 bits, and nanosecond
 * counters pass 2^31 after two seconds of CPU. Exact up to 2^53. */
int
dockerjson_num_i64(const cJSON *v, int64_t *out)
{
	double d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!isfinite(d) || d < -9.2e18 || d > 9.2e18)
		return -1;
	*out = (int64_t)d;
	return 0;
}

int
dockerjson_num_double(const cJSON *v, double *out)
{
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return -1;
	*out = v->valuedouble;
	return 0;
}

/* Names come as "/web-1"; strip the slash. */
static int
copy_name(char *dst, size_t n, const char *name)
{
	if (name[0] == '/')
		name++;
	if (dockerjson_copy_exact(dst, n, name) == -1 || !dockerjson_id_ok(dst)) {
		dst[0] = '\0';
		return -1;
	}
	return 0;
}

uint64_t
docker_parse_hex64(const char *s)
{
	uint64_t v = 0;

	if (s == NULL || strlen(s) != 16)
		return 0;
	for (const char *p = s; *p != '\0'; p++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;

		if (d < 0)
			return 0;
		v = v << 4 | (uint64_t)d;
	}
	return v;
}

int
docker_parse_count(const char *s)
{
	long v = 0;

	if (s == NULL || s[0] < '1' || s[0] > '9')
		return 0;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (*p - '0');
		if (v > DOCKER_TARGET_MAX)
			return 0;
	}
	return (int)v;
}

static int
list_entry(const cJSON *e, struct docker_ctr *c)
{
	const cJSON *names = json_get(e, "Names"), *created = json_get(e, "Created");
	const char *id = json_get_str(e, "Id"), *state = json_get_str(e, "State");
	const char *svc = json_get_str(json_get(e, "Labels"), DOCKER_LABEL);

	memset(c, 0, sizeof(*c));
	/* No label: not ours (the filter should already have dropped it; stay safe). A
	 * container docker-compose manages is never ours either, whatever labels its image
	 * gave it (doc/compose.md). */
	if (svc == NULL || json_get(json_get(e, "Labels"), "com.docker.compose.project") != NULL || id == NULL || state == NULL || !cJSON_IsArray(names))
		return -1;
	if (dockerjson_copy_exact(c->id, sizeof(c->id), id) == -1 || !dockerjson_id_ok(c->id))
		return -1;
	if (!cJSON_IsString(cJSON_GetArrayItem(names, 0)) ||
	    copy_name(c->name, sizeof(c->name), cJSON_GetArrayItem(names, 0)->valuestring) == -1)
		return -1;
	if (dockerjson_copy_exact(c->service, sizeof(c->service), svc) == -1 ||
	    dockerjson_copy_exact(c->state, sizeof(c->state), state) == -1)
		return -1;
	/* Created is informational: absent is 0, but the wrong type means a bad entry. */
	if (created != NULL && dockerjson_num_i64(created, &c->created) == -1)
		return -1;
	c->generation = docker_parse_hex64(json_get_str(json_get(e, "Labels"),
	    DOCKER_LABEL_GENERATION));
	c->restart = docker_parse_hex64(json_get_str(json_get(e, "Labels"), DOCKER_LABEL_RESTART));
	c->rollout_target = docker_parse_count(json_get_str(json_get(e, "Labels"),
	    DOCKER_LABEL_ROLLOUT_TARGET));
	return 0;
}

int
docker_parse_list(const char *body, struct docker_ctr *out, size_t max)
{
	cJSON *root;
	const cJSON *e;
	size_t n = 0;

	if ((root = json_parse_array(body)) == NULL)
		return -1;
	cJSON_ArrayForEach(e, root) {
		if (n >= max || n >= (size_t)INT32_MAX)
			break;
		if (list_entry(e, &out[n]) == 0)
			n++;
	}
	cJSON_Delete(root);
	return (int)n;
}

/* Config.Healthcheck.Test: [] or absent inherits (and inspect shows the merged
 * config, so empty means none); ["NONE"] disables. */
static bool
healthcheck_set(const cJSON *hc)
{
	const cJSON *test = json_get(hc, "Test"), *first;

	if (!cJSON_IsArray(test))
		return false;
	first = cJSON_GetArrayItem(test, 0);
	if (!cJSON_IsString(first) || first->valuestring == NULL)
		return false;
	return strcmp(first->valuestring, "NONE") != 0;
}

/* NetworkSettings.Ports["8080/tcp"] is null when not published, and may list one
 * binding per address family with the same port: take the first usable one. */
static int
host_port(const cJSON *ports, int port)
{
	char key[32];
	const cJSON *arr, *b;

	if (port <= 0 || port > 65535)
		return 0;
	snprintf(key, sizeof(key), "%d/tcp", port);
	arr = json_get(ports, key);
	if (!cJSON_IsArray(arr))
		return 0;
	cJSON_ArrayForEach(b, arr) {
		const char *hp = json_get_str(b, "HostPort");
		char *end;
		long v;

		if (hp == NULL || hp[0] == '\0')
			continue;
		v = strtol(hp, &end, 10);
		if (*end == '\0' && v > 0 && v <= 65535)
			return (int)v;
	}
	return 0;
}

int
docker_parse_inspect(const char *body, int port, const char *network,
    struct docker_inspect *out)
{
	cJSON *root;
	const cJSON *st, *running, *code, *cfg, *ns, *rc_item, *hc;
	const char *id, *name, *status, *s;
	int64_t ec = 0, restarts = 0, n;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (body == NULL || (root = json_parse_whole(body, strlen(body))) == NULL)
		return -1;
	st = json_get(root, "State");
	id = json_get_str(root, "Id");
	name = json_get_str(root, "Name");
	status = json_get_str(st, "Status");
	running = json_get(st, "Running");
	code = json_get(st, "ExitCode");
	if (id == NULL || name == NULL || status == NULL || !cJSON_IsBool(running))
		goto out;
	if (dockerjson_copy_exact(out->id, sizeof(out->id), id) == -1 || !dockerjson_id_ok(out->id) ||
	    copy_name(out->name, sizeof(out->name), name) == -1 ||
	    dockerjson_copy_exact(out->state, sizeof(out->state), status) == -1)
		goto out;
	out->running = cJSON_IsTrue(running);
	out->restarting = cJSON_IsTrue(json_get(st, "Restarting"));
	if ((rc_item = json_get(root, "RestartCount")) != NULL &&
	    (dockerjson_num_i64(rc_item, &restarts) == -1 || restarts < 0 || restarts > 2147483647))
		goto out;
	out->restart_count = (int)restarts;
	if (code != NULL && (dockerjson_num_i64(code, &ec) == -1 || ec < -2147483647 || ec > 2147483647))
		goto out;
	out->exit_code = (int)ec;
	/* State.Health is absent for images without HEALTHCHECK: that is "none". */
	out->health = docker_health_parse(json_get_str(json_get(st, "Health"), "Status"));

	cfg = json_get(root, "Config");
	out->has_healthcheck = healthcheck_set(json_get(cfg, "Healthcheck"));
	if ((s = json_get_str(cfg, "Image")) != NULL)
		copy_trunc(out->image, sizeof(out->image), s);

	/* State.Pid: its init process, where the kernel's counters are found (cgroup.c); 0
	 * while it is not running. A bad value only loses that source. */
	if (dockerjson_num_i64(json_get(st, "Pid"), &n) == 0 && n > 0 && n <= INT32_MAX)
		out->pid = (int)n;
	out->started_at = docker_parse_time(json_get_str(st, "StartedAt"));
	if (out->started_at < 0)
		out->started_at = 0;
	hc = json_get(root, "HostConfig");
	(void)dockerjson_num_double(json_get(hc, "NanoCpus"), &out->nano_cpus);
	(void)dockerjson_num_double(json_get(hc, "CpuQuota"), &out->cpu_quota);
	(void)dockerjson_num_double(json_get(hc, "CpuPeriod"), &out->cpu_period);
	(void)dockerjson_num_double(json_get(hc, "CpuShares"), &out->cpu_shares);
	(void)dockerjson_num_double(json_get(hc, "Memory"), &out->memory_limit);

	ns = json_get(root, "NetworkSettings");
	out->host_port = host_port(json_get(ns, "Ports"), port);
	/* No network named: the container's own (a compose service's replicas are reached
	 * on the network their definition joined, doc/compose.md "A docker-compose service as
	 * the source"). */
	if (network == NULL || network[0] == '\0')
		network = json_get_str(json_get(root, "HostConfig"), "NetworkMode");
	if (network != NULL && network[0] != '\0' &&
	    (s = json_get_str(json_get(json_get(ns, "Networks"), network), "IPAddress")) != NULL &&
	    dockerjson_copy_exact(out->ip, sizeof(out->ip), s) == -1)
		out->ip[0] = '\0';
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc == -1)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* The first of keys that o has as a number, or 0: cgroup v1 and v2 name the same
 * counter differently, and an absent counter reads as none. */
/* Exactly n decimal digits at s, as a number; -1 otherwise. */
static int
digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

double
docker_parse_time(const char *s)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, oh, om, nd = 0;
	double frac = 0;
	time_t t;

	/* "YYYY-MM-DDTHH:MM:SS": fixed positions, so every field is checked in place. */
	if (s == NULL || strnlen(s, 20) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	sec = digits(s + 17, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || sec < 0 || sec > 60)
		return -1;
	s += 19;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			if (nd < 9)
				frac += (*s - '0') / pow(10.0, ++nd);
	tm = (struct tm){ .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
		.tm_min = mi, .tm_sec = sec };
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	if (*s == 'Z' && s[1] == '\0')
		return (double)t + frac;
	if ((*s == '+' || *s == '-') && strlen(s) == 6 && s[3] == ':' &&
	    (oh = digits(s + 1, 2)) >= 0 && oh < 24 && (om = digits(s + 4, 2)) >= 0 && om < 60)
		return (double)t + frac - (*s == '+' ? 1 : -1) * (oh * 3600.0 + om * 60.0);
	return -1;
}


int
docker_parse_event(const char *line, size_t len, struct docker_event *out)
{
	cJSON *root;
	const cJSON *actor, *attrs;
	const char *type, *action, *id, *s;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (line == NULL || (root = json_parse_whole(line, len)) == NULL)
		return -1;
	type = json_get_str(root, "Type");
	action = json_get_str(root, "Action");
	actor = json_get(root, "Actor");
	attrs = json_get(actor, "Attributes");
	if ((id = json_get_str(actor, "ID")) == NULL)
		id = json_get_str(root, "id");
	if (type == NULL || strcmp(type, "container") != 0 || action == NULL || id == NULL)
		goto out;
	if (dockerjson_copy_exact(out->id, sizeof(out->id), id) == -1 || !dockerjson_id_ok(out->id))
		goto out;
	/* Actions like "exec_create: <command line>" can be long; the part that matters
	 * ("health_status: unhealthy", "die") always fits, so truncation is fine. */
	copy_trunc(out->action, sizeof(out->action), action);
	if ((s = json_get_str(attrs, DOCKER_LABEL)) != NULL &&
	    dockerjson_copy_exact(out->service, sizeof(out->service), s) == -1)
		goto out;
	if ((s = json_get_str(attrs, "name")) != NULL &&
	    dockerjson_copy_exact(out->name, sizeof(out->name), s) == -1)
		goto out;
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc == -1)
		memset(out, 0, sizeof(*out));
	return rc;
}

int
docker_parse_create(const char *body, char *id, size_t idlen)
{
	cJSON *root;
	const char *s;
	int rc = -1;

	if (idlen > 0)
		id[0] = '\0';
	if (body == NULL || (root = json_parse_whole(body, strlen(body))) == NULL)
		return -1;
	if ((s = json_get_str(root, "Id")) != NULL && dockerjson_copy_exact(id, idlen, s) == 0 && dockerjson_id_ok(id))
		rc = 0;
	else if (idlen > 0)
		id[0] = '\0';
	cJSON_Delete(root);
	return rc;
}

void
docker_error_message(const char *body, char *out, size_t outlen)
{
	cJSON *root;
	const char *s;
	size_t i, n;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (body == NULL || body[0] == '\0') {
		copy_trunc(out, outlen, "(no message)");
		return;
	}
	if ((root = json_parse_whole(body, strlen(body))) != NULL) {
		s = json_get_str(root, "message");
		copy_trunc(out, outlen, s != NULL && s[0] != '\0' ? s : "(no message)");
		cJSON_Delete(root);
	} else {
		/* Not Docker's JSON (a proxy, a truncated answer): show its start. */
		copy_trunc(out, outlen, body);
	}
	/* The text goes into log lines: no control characters, and (a raw body, a cut)
	 * no broken UTF-8. */
	for (i = 0; out[i] != '\0'; i += n) {
		n = text_utf8_seq(out + i, strlen(out + i));
		if (n == 0) {
			out[i] = '?';
			n = 1;
		} else if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f) {
			out[i] = ' ';
		}
	}
}

/* "1.NN" -> NN; -1 unless exactly major 1 and a decimal minor. */
static int
api_minor(const char *s)
{
	char *end;
	long minor;

	if (s == NULL || strncmp(s, "1.", 2) != 0 || s[2] < '0' || s[2] > '9')
		return -1;
	minor = strtol(s + 2, &end, 10);
	if (*end != '\0' || minor > 1000)
		return -1;
	return (int)minor;
}

int
docker_parse_version(const char *body, char *out, size_t outlen)
{
	cJSON *root;
	int minor, minimum;
	int rc = -1;

	if (outlen > 0)
		out[0] = '\0';
	if (body == NULL || (root = json_parse_whole(body, strlen(body))) == NULL)
		return -1;
	minor = api_minor(json_get_str(root, "ApiVersion"));
	minimum = api_minor(json_get_str(root, "MinAPIVersion"));
	/* An engine that no longer serves 1.41 would refuse every call we make. */
	if (minor >= API_MINOR_MIN && minimum <= API_MINOR_MAX) {
		if (minor > API_MINOR_MAX)
			minor = API_MINOR_MAX;
		if (outlen > 0 && (size_t)snprintf(out, outlen, "1.%d", minor) < outlen)
			rc = 0;
		else if (outlen > 0)
			out[0] = '\0';
	}
	cJSON_Delete(root);
	return rc;
}

enum docker_health
docker_health_parse(const char *s)
{
	static const char prefix[] = "health_status:";

	if (s == NULL)
		return HEALTH_NONE;
	if (strncmp(s, prefix, sizeof(prefix) - 1) == 0)
		s += sizeof(prefix) - 1;
	while (*s == ' ')
		s++;
	if (strcmp(s, "healthy") == 0)
		return HEALTH_HEALTHY;
	if (strcmp(s, "unhealthy") == 0)
		return HEALTH_UNHEALTHY;
	if (strcmp(s, "starting") == 0)
		return HEALTH_STARTING;
	return HEALTH_NONE;
}

const char *
docker_health_name(enum docker_health h)
{
	switch (h) {
	case HEALTH_NONE:
		return "none";
	case HEALTH_STARTING:
		return "starting";
	case HEALTH_HEALTHY:
		return "healthy";
	case HEALTH_UNHEALTHY:
		return "unhealthy";
	}
	return "unknown";
}
