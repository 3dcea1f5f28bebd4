/* fuzz_scale.c: libFuzzer target for the body of POST /api/v1/services/{name}/scale. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The route (api.c, route_scale) parses the body with json_parse_whole and reads
 * "replicas" as a number; this is that reading, with the checks it relies on. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *body = json_parse_whole((const char *)data, size);
	const cJSON *n = json_get(body, "replicas");

	if (body != NULL && cJSON_IsObject(body) && cJSON_IsNumber(n)) {
		double v = n->valuedouble;

		/* the route's bounds check: whole and in [0, 1000] before the (int) cast */
		if (v == floor(v) && v >= 0 && v <= 1000 && ((int)v < 0 || (int)v > 1000))
			__builtin_trap();
	}
	cJSON_Delete(body);
	return 0;
}
