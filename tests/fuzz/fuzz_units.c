/* fuzz_units.c: libFuzzer target for the value parsers: durations, sizes, booleans, argv. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DURATION_MAX_MS (366LL * 24 * 3600 * 1000)

/* The first byte picks the parser; the rest is the value as the config reader hands it
 * over: a C string. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	int64_t v = -1;
	bool b;
	struct strv sv;

	if (size == 0 || (s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 5) {
	case 0:
		if (config_parse_duration(s, &v) == 0 && (v < 0 || v > DURATION_MAX_MS))
			__builtin_trap();
		break;
	case 1:
		if (config_parse_size(s, &v) == 0 && v < 0)
			__builtin_trap();
		break;
	case 2:
		(void)config_parse_bool(s, &b);
		break;
	case 3:
		if (config_split_argv(s, &sv) == 0) {
			/* NULL-terminated, no word longer than the input */
			if (sv.n > 0 && sv.v[sv.n] != NULL)
				__builtin_trap();
			for (size_t i = 0; i < sv.n; i++)
				if (strlen(sv.v[i]) > size)
					__builtin_trap();
			strv_free(&sv);
		} else if (sv.n != 0 || sv.v != NULL) {
			__builtin_trap();
		}
		break;
	default:
		if (config_valid_chars(s, "_.-") && s[strspn(s, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")] != '\0')
			__builtin_trap();
		break;
	}
	free(s);
	return 0;
}
