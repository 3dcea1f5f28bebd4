/* fuzz_json.c: libFuzzer target for json_parse_strict: what it accepts is exactly what was sent. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* cJSON prints +-Inf (from "1e999") as null: such a tree cannot compare equal. */
static bool
has_inf(const cJSON *v)
{
	const cJSON *c;

	if (cJSON_IsNumber(v))
		return !isfinite(v->valuedouble);
	cJSON_ArrayForEach(c, v)
		if (has_inf(c))
			return true;
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[128];
	cJSON *root = json_parse_strict((const char *)data, size, err, sizeof(err)), *again;
	char *printed;

	if (root == NULL) {
		/* A refusal always says why. */
		if (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL)
			__builtin_trap();
		return 0;
	}
	if (err[0] != '\0')
		__builtin_trap();
	/* What was accepted prints back (cJSON escapes controls, copies other bytes) as
	 * JSON that is accepted again and reads the same: no string of the tree can hold
	 * invalid UTF-8 or have been cut by a NUL, no object a duplicate key. */
	printed = cJSON_PrintUnformatted(root);
	if (printed != NULL) {
		again = json_parse_strict(printed, strlen(printed), err, sizeof(err));
		if (again == NULL)
			__builtin_trap();
		if (!has_inf(root) && !cJSON_Compare(root, again, true))
			__builtin_trap();
		cJSON_Delete(again);
		free(printed);
	}
	cJSON_Delete(root);
	return 0;
}
