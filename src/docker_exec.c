/* docker_exec.c: a command run inside a running container through the Engine's exec API
 * (create, attached start streaming its output, inspect for the exit code), on docker.c's
 * call machinery; the lifecycle hooks' transport (doc/replicas.md, "Lifecycle hooks"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "docker_int.h"
#include "json.h"
#include "log.h"

static void
keep(struct docker_exec_out *o, const char *p, size_t n)
{
	size_t room = DOCKER_EXEC_OUT_MAX - o->len;

	o->total += n;
	if (n > room)
		n = room;
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

/* The stream of a container without a TTY is framed (the Engine API's "Attach to a
 * container", stream format): a header may be cut between two chunks, so it is gathered
 * first. */
void
docker_exec_demux(struct docker_exec_out *o, const char *data, size_t len)
{
	while (len > 0) {
		if (o->frame_left == 0) {
			size_t n = sizeof(o->hdr) - o->hdr_have;

			if (n > len)
				n = len;
			memcpy(o->hdr + o->hdr_have, data, n);
			o->hdr_have += n;
			data += n;
			len -= n;
			if (o->hdr_have < sizeof(o->hdr))
				return;
			o->hdr_have = 0;
			o->frame_left = (uint32_t)o->hdr[4] << 24 | (uint32_t)o->hdr[5] << 16 |
			    (uint32_t)o->hdr[6] << 8 | (uint32_t)o->hdr[7];
			continue;
		}
		size_t n = len < o->frame_left ? len : o->frame_left;

		keep(o, data, n);
		o->frame_left -= (uint32_t)n;
		data += n;
		len -= n;
	}
}

int
docker_exec_data(void *arg, const char *data, size_t len)
{
	struct call *c = arg;

	docker_exec_demux(&c->exec, data, len);
	return 0;
}

int
docker_parse_exec_inspect(const char *body, size_t len, bool *running, int *exit_code)
{
	cJSON *o = json_parse_whole(body, len);
	const cJSON *r, *e;
	int rc = -1;

	if (o == NULL)
		return -1;
	r = json_get(o, "Running");
	e = json_get(o, "ExitCode");
	/* ExitCode is null while it runs on some engines: only Running is required then. */
	if (!cJSON_IsBool(r))
		goto out;
	if (e != NULL && cJSON_IsNumber(e) && e->valuedouble >= -1e9 && e->valuedouble <= 1e9)
		*exit_code = (int)e->valuedouble;
	else if (cJSON_IsTrue(r) && (e == NULL || cJSON_IsNull(e)))
		*exit_code = -1;
	else
		goto out;
	*running = cJSON_IsTrue(r);
	rc = 0;
out:
	cJSON_Delete(o);
	return rc;
}

int
docker_exec_create(struct docker *d, const char *id, char *const *argv, size_t argc,
    docker_create_cb cb, void *arg)
{
	cJSON *o = cJSON_CreateObject(), *cmd;
	struct call *c;
	char *body = NULL;
	int rc = -1;

	if (cb == NULL || argc == 0 || o == NULL || !docker_id_ok(id))
		goto out;
	if ((cmd = cJSON_AddArrayToObject(o, "Cmd")) == NULL ||
	    cJSON_AddTrueToObject(o, "AttachStdout") == NULL ||
	    cJSON_AddTrueToObject(o, "AttachStderr") == NULL)
		goto out;
	for (size_t i = 0; i < argc; i++)
		if (!cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i])))
			goto out;
	if ((body = cJSON_PrintUnformatted(o)) == NULL ||
	    (c = docker_call_new(CALL_EXEC_CREATE, arg, "/containers/", id, "/exec")) == NULL)
		goto out;
	c->cb.create = cb;
	rc = docker_call_start(d, c, "POST", true, body, d->timeout_ms); /* httpc copies body */
out:
	free(body);
	cJSON_Delete(o);
	return rc;
}

int
docker_exec_start(struct docker *d, const char *exec_id, int64_t timeout_ms,
    docker_exec_cb cb, void *arg)
{
	struct call *c;

	if (cb == NULL || !docker_id_ok(exec_id) ||
	    (c = docker_call_new(CALL_EXEC_START, arg, "/exec/", exec_id, "/start")) == NULL)
		return -1;
	c->cb.exec = cb;
	return docker_call_start(d, c, "POST", true, "{\"Detach\":false,\"Tty\":false}",
	    timeout_ms);
}

int
docker_exec_inspect(struct docker *d, const char *exec_id, docker_body_cb cb, void *arg)
{
	if (!docker_id_ok(exec_id))
		return -1;
	return docker_call_body(d, "GET", "/exec/", exec_id, "/json", cb, arg);
}
