/* fuzz_compose.c: libFuzzer target for compose.c, which reads the Engine's answers about
 * docker-compose's containers (a container list, an inspect). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "compose.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_def(cJSON *def, const char *net)
{
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(def, "Labels"), *l;
	const cJSON *hc = cJSON_GetObjectItemCaseSensitive(def, "HostConfig");
	char *text;
	cJSON *back;

	if (memchr(net, '\0', DOCKER_NETWORK_MAX + 1) == NULL || net[0] == '\0' ||
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(def, "Image")) ||
	    cJSON_GetObjectItemCaseSensitive(hc, "PortBindings") != NULL)
		__builtin_trap();
	cJSON_ArrayForEach(l, labels)
		if (strncmp(l->string, COMPOSE_LABEL_PREFIX, strlen(COMPOSE_LABEL_PREFIX)) == 0)
			__builtin_trap();
	/* What goes to the engine is one strict JSON document (raw integers included). */
	text = cJSON_PrintUnformatted(def);
	if (text == NULL)
		return;
	if ((back = json_parse_whole(text, strlen(text))) == NULL)
		__builtin_trap();
	cJSON_Delete(back);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = malloc(size + 1), net[DOCKER_NETWORK_MAX + 1], why[200];
	struct compose_ctr c;
	int extra, rc;
	cJSON *def;

	if (body == NULL)
		return 0;
	memcpy(body, data, size);
	body[size] = '\0';
	rc = compose_pick(body, "composefx", "web", &c);
	if (rc < -1 || rc > 1 || memchr(c.id, '\0', sizeof(c.id)) == NULL ||
	    memchr(c.name, '\0', sizeof(c.name)) == NULL || (rc == 1 && c.id[0] == '\0'))
		__builtin_trap();
	def = compose_def(body, size % 2 ? "composefx_default" : NULL, net, sizeof(net), &extra,
	    why, sizeof(why));
	if (def != NULL)
		check_def(def, net);
	else if (memchr(why, '\0', sizeof(why)) == NULL || why[0] == '\0')
		__builtin_trap();
	cJSON_Delete(def);
	free(body);
	return 0;
}
