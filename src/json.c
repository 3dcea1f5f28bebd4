/* json.c: type-checked cJSON lookups: a field is used only as the type it should be. */
#include "json.h"

const cJSON *
json_get(const cJSON *o, const char *key)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

const char *
json_get_str(const cJSON *o, const char *key)
{
	const cJSON *v = json_get(o, key);

	return cJSON_IsString(v) && v->valuestring != NULL ? v->valuestring : NULL;
}

cJSON *
json_parse_whole(const char *body, size_t len)
{
	const char *end = NULL;
	cJSON *root;

	if (body == NULL || len == 0)
		return NULL;
	root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	for (; root != NULL && end != NULL && end < body + len; end++) {
		if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
			cJSON_Delete(root);
			root = NULL;
		}
	}
	return root;
}
