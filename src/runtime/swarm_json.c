/* swarm_json.c: the Engine's Swarm answers (/services, /tasks, /info, /nodes), parsed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "swarm.h"

/* Copy the string member key of o into out; false when absent, not a string or too long. */
static bool
copy_str(const cJSON *o, const char *key, char *out, size_t outlen)
{
	const char *v = json_get_str(o, key);
	int n;

	if (v == NULL)
		return false;
	n = snprintf(out, outlen, "%s", v);
	return n >= 0 && (size_t)n < outlen;
}

/* A whole non-negative number no larger than max, else -1. */
static double
whole(const cJSON *n, double max)
{
	if (!cJSON_IsNumber(n) || n->valuedouble < 0 || n->valuedouble > max ||
	    n->valuedouble != floor(n->valuedouble))
		return -1;
	return n->valuedouble;
}

int
swarmjson_service(const char *body, struct swarm_service *out)
{
	cJSON *root = json_parse_whole(body, strlen(body));
	const cJSON *spec, *rep, *ctr;
	double v;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (root == NULL || !copy_str(root, "ID", out->id, sizeof(out->id)))
		goto out;
	v = whole(json_get(json_get(root, "Version"), "Index"), 9007199254740992.0);
	spec = json_get(root, "Spec");
	if (v < 0 || spec == NULL || !copy_str(spec, "Name", out->name, sizeof(out->name)))
		goto out;
	out->version = (uint64_t)v;
	rep = json_get(json_get(spec, "Mode"), "Replicated");
	if (rep != NULL) {
		/* An absent Replicas is Swarm's default of 1. */
		const cJSON *n = json_get(rep, "Replicas");

		v = n == NULL ? 1 : whole(n, 1e9);
		if (v < 0)
			goto out;
		out->replicated = true;
		out->replicas = (int)v;
	}
	ctr = json_get(json_get(spec, "TaskTemplate"), "ContainerSpec");
	if (ctr != NULL)
		(void)copy_str(ctr, "Image", out->image, sizeof(out->image));
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

char *
swarmjson_scale_body(const char *body, int replicas, char *why, size_t whylen)
{
	cJSON *root = json_parse_whole(body, strlen(body));
	cJSON *spec, *rep, *n;
	char *out = NULL;

	if (root == NULL) {
		snprintf(why, whylen, "the service answer is not JSON");
		goto out;
	}
	spec = cJSON_GetObjectItemCaseSensitive(root, "Spec");
	rep = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(spec, "Mode"),
	    "Replicated");
	if (!cJSON_IsObject(spec) || !cJSON_IsObject(rep)) {
		snprintf(why, whylen, "not a replicated service (Spec.Mode.Replicated absent)");
		goto out;
	}
	/* Only the count changes: every other field goes back exactly as it was read, so a
	 * change someone made before our read survives, and one made after it makes the
	 * Engine refuse our version instead of being overwritten. */
	n = cJSON_CreateNumber(replicas);
	if (n == NULL || (cJSON_GetObjectItemCaseSensitive(rep, "Replicas") != NULL
	    ? !cJSON_ReplaceItemInObjectCaseSensitive(rep, "Replicas", n)
	    : !cJSON_AddItemToObject(rep, "Replicas", n))) {
		cJSON_Delete(n);
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	out = cJSON_PrintUnformatted(spec);
	if (out == NULL)
		snprintf(why, whylen, "out of memory");
out:
	cJSON_Delete(root);
	return out;
}

int
swarmjson_tasks(const char *body, const char *service_id, struct swarm_task *out, size_t max,
    struct swarm_counts *counts)
{
	cJSON *root = json_parse_array(body);
	const cJSON *t;
	int k = 0;

	memset(counts, 0, sizeof(*counts));
	if (root == NULL)
		return -1;
	cJSON_ArrayForEach(t, root) {
		struct swarm_task x;
		const cJSON *st = json_get(t, "Status");
		const char *sid = json_get_str(t, "ServiceID"), *ds = json_get_str(t, "DesiredState");
		const char *state = json_get_str(st, "State");
		double slot = whole(json_get(t, "Slot"), 1e9);

		memset(&x, 0, sizeof(x));
		if (sid == NULL || strcmp(sid, service_id) != 0 || ds == NULL || state == NULL ||
		    !copy_str(t, "ID", x.id, sizeof(x.id)))
			continue;
		(void)copy_str(t, "NodeID", x.node_id, sizeof(x.node_id));
		(void)copy_str(json_get(st, "ContainerStatus"), "ContainerID", x.container_id,
		    sizeof(x.container_id));
		x.slot = slot < 0 ? 0 : (int)slot;
		x.desired_running = strcmp(ds, "running") == 0;
		x.running = strcmp(state, "running") == 0;
		counts->total++;
		if (x.desired_running && x.running)
			counts->running++;
		else if (x.desired_running)
			counts->pending++;
		if (out != NULL && (size_t)k < max)
			out[k++] = x;
	}
	cJSON_Delete(root);
	return k;
}

int
swarmjson_info(const char *body, struct swarm_info *out)
{
	cJSON *root = json_parse_whole(body, strlen(body));
	const cJSON *sw = json_get(root, "Swarm"), *ca = json_get(sw, "ControlAvailable");
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (sw == NULL || !copy_str(sw, "LocalNodeState", out->state, sizeof(out->state)))
		goto out;
	(void)copy_str(sw, "NodeID", out->node_id, sizeof(out->node_id));
	(void)copy_str(sw, "NodeAddr", out->node_addr, sizeof(out->node_addr));
	out->manager = cJSON_IsTrue(ca);
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

int
swarmjson_leadership(const char *body, const char *node_id, struct swarm_leadership *out)
{
	cJSON *root = json_parse_array(body);
	const cJSON *n;

	memset(out, 0, sizeof(*out));
	if (root == NULL)
		return -1;
	cJSON_ArrayForEach(n, root) {
		const cJSON *ms = json_get(n, "ManagerStatus");
		const char *id = json_get_str(n, "ID");

		if (id == NULL || !cJSON_IsTrue(json_get(ms, "Leader")))
			continue;
		out->leader_known = copy_str(n, "ID", out->leader_id, sizeof(out->leader_id));
		(void)copy_str(json_get(n, "Description"), "Hostname", out->leader_name,
		    sizeof(out->leader_name));
		(void)copy_str(ms, "Addr", out->leader_addr, sizeof(out->leader_addr));
		out->self_leader = out->leader_known && strcmp(id, node_id) == 0;
		break;
	}
	cJSON_Delete(root);
	return 0;
}

int
swarmjson_local(const char *body, struct swarm_local *out, size_t max)
{
	cJSON *root = json_parse_array(body);
	const cJSON *c;
	int k = 0;

	if (root == NULL)
		return -1;
	cJSON_ArrayForEach(c, root) {
		const cJSON *lb = json_get(c, "Labels"), *names = json_get(c, "Names");
		const char *state = json_get_str(c, "State");
		const char *name = cJSON_IsArray(names) ? cJSON_GetStringValue(
		    cJSON_GetArrayItem(names, 0)) : NULL;
		struct swarm_local x;

		if ((size_t)k >= max)
			break;
		memset(&x, 0, sizeof(x));
		if (state == NULL || strcmp(state, "running") != 0 || name == NULL ||
		    !copy_str(c, "Id", x.id, sizeof(x.id)) ||
		    !copy_str(lb, "com.docker.swarm.task.id", x.task_id, sizeof(x.task_id)) ||
		    !copy_str(lb, "com.docker.swarm.service.id", x.service_id,
		    sizeof(x.service_id)))
			continue;
		(void)copy_str(lb, "com.docker.swarm.node.id", x.node_id, sizeof(x.node_id));
		(void)copy_str(c, "Image", x.image, sizeof(x.image));
		(void)snprintf(x.name, sizeof(x.name), "%s", name[0] == '/' ? name + 1 : name);
		out[k++] = x;
	}
	cJSON_Delete(root);
	return k;
}

bool
swarmjson_out_of_sequence(const char *error)
{
	return error != NULL && strstr(error, "update out of sequence") != NULL;
}
