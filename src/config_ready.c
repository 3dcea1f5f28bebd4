/* config_ready.c: the [service] keys about a replica's readiness (doc/readiness.md
 * "Readiness"): their table and values. A third table beside svc_keys and config_ctr.c's,
 * searched by config_key_find. */
#include <stddef.h>
#include <string.h>

#include "config_int.h"
#include "readiness.h"

/* clang-format off */
#define KEY(n, t, o, lo, hi, f) { n, o, lo, hi, t, f }
#define S(f) offsetof(struct svc_conf, f)

static const struct keydef ready_keys[] = {
	KEY("readiness", K_READINESS, S(readiness), 0, 0, 0),
};
/* clang-format on */
_Static_assert(sizeof(ready_keys) / sizeof(ready_keys[0]) <= READY_KEYS_MAX,
    "READY_KEYS_MAX too small");

const struct keydef *
config_ready_keys(size_t *n)
{
	*n = NKEYS(ready_keys);
	return ready_keys;
}

bool
config_ready_set_value(struct pstate *ps, const struct keydef *kd, void *p, const char *v)
{
	int m;

	if (kd->type != K_READINESS)
		return false;
	if ((m = readiness_mode_parse(v)) < 0) {
		config_perr(ps, ps->line, "%s: '%s' is not one of auto, probe, health, both",
		    kd->name, v);
		return false;
	}
	*(enum readiness_mode *)p = (enum readiness_mode)m;
	return true;
}
