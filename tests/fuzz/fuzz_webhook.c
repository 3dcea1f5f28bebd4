/* fuzz_webhook.c: libFuzzer target for webhook_parse: any bytes, no crash, no leak, sane output. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A parser bug that does not crash can still break the contract the HTTP handler relies
 * on; trap on those too, so libFuzzer reports them like a crash. */
static void
check_field(const char *s)
{
	if (memchr(s, '\0', WEBHOOK_FIELD_MAX) == NULL)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webhook_payload p;
	char err[128];

	/* data is exactly size bytes with no NUL after it: ASan catches any over-read. */
	if (webhook_parse((const char *)data, size, &p, err, sizeof(err)) == 0) {
		if (p.nalerts > WEBHOOK_MAX_ALERTS || (p.nalerts > 0) != (p.alerts != NULL))
			__builtin_trap();
		for (size_t i = 0; i < p.nalerts; i++) {
			const struct webhook_alert *a = &p.alerts[i];

			check_field(a->alertname);
			check_field(a->service);
			check_field(a->fingerprint);
			if (a->action != DECIDE_HOLD && a->action != DECIDE_UP &&
			    a->action != DECIDE_DOWN)
				__builtin_trap();
			if (a->action_invalid && a->action != DECIDE_HOLD)
				__builtin_trap();
		}
	} else {
		/* A refusal always says why, and leaves nothing to free. */
		if (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL ||
		    p.alerts != NULL || p.nalerts != 0)
			__builtin_trap();
	}
	webhook_payload_free(&p);
	return 0;
}
