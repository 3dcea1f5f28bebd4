/* fuzz_prom.c: libFuzzer target for prom_parse: any Prometheus answer, one sane outcome. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "prom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 422, 503 };
	struct prom_value v;
	long status;
	int rc;

	/* The first byte picks the HTTP status the body came with. */
	if (size == 0)
		return 0;
	status = statuses[data[0] % 4];
	rc = prom_parse((const char *)data + 1, size - 1, status, "sum(x)", &v);
	if (memchr(v.error, '\0', sizeof(v.error)) == NULL)
		__builtin_trap();
	if (rc == 0) {
		/* a value is finite, came with a 200 and leaves no error */
		if (!v.ok || !isfinite(v.value) || v.error[0] != '\0' || status != 200)
			__builtin_trap();
	} else if (rc != -1 || v.ok || !isnan(v.value) || v.error[0] == '\0') {
		__builtin_trap();
	}
	/* Messages echo the answer's text made printable ASCII. */
	for (const char *p = v.error; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			__builtin_trap();
	return 0;
}
