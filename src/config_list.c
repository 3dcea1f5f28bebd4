/* config_list.c: where each key of dockscale.conf is defined: the [service] key tables
 * beside svc_keys (each in its own slots of pstate.seen), the lookup that searches them,
 * and every key as "SECTION KEY" lines (dockscaled --list-keys), so that the
 * documentation can be checked against the tables (tests/integration/test_docs.py). A
 * new key table is one line in service_tables. */
#include <stdio.h>
#include <string.h>

#include "config_int.h"

static const char *const section_names[] = { "daemon", "docker", "prometheus", "nginx",
	"haproxy", "service" }; /* indexed by enum section - SEC_DAEMON */
_Static_assert(NKEYS(section_names) == SEC_SERVICE - SEC_DAEMON + 1,
               "a section has no name here: add it (and its key tables below)");

static const struct keydef *
lb_service_keys(size_t *n)
{
	return config_lb_keys(SEC_SERVICE, n);
}

/* The [service] keys kept outside svc_keys, in the order of their slots. */
static const struct {
	const struct keydef *(*keys)(size_t *n);
	int slots;
} service_tables[] = {
	{ config_ctr_keys, CTR_KEYS_MAX },     /* the container definition */
	{ config_ready_keys, READY_KEYS_MAX }, /* readiness */
	{ lb_service_keys, LB_KEYS_MAX },      /* the balancer and waking from zero */
	{ swarm_config_keys, SWARM_KEYS_MAX }, /* the runtime */
	{ config_kinds_keys, KINDS_KEYS_MAX }, /* the balancer kind and the runtime */
};

static int
key_index(const struct keydef *tab, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(tab[i].name, name) == 0)
			return (int)i;
	return -1;
}

const struct keydef *
config_key_find(enum section sec, const char *name, int *idx)
{
	size_t n, m;
	const struct keydef *tab = config_keys(sec, &n);
	int base = (int)n;

	if ((*idx = key_index(tab, n, name)) >= 0)
		return &tab[*idx];
	if (sec != SEC_SERVICE)
		return NULL;
	for (size_t t = 0; t < NKEYS(service_tables); t++) {
		const struct keydef *more = service_tables[t].keys(&m);
		int i = key_index(more, m, name);

		if (i >= 0) {
			*idx = base + i;
			/* the tables are static: m only says how long they are */
			// cppcheck-suppress returnDanglingLifetime
			return more + i;
		}
		base += service_tables[t].slots;
	}
	*idx = -1;
	return NULL;
}

static void
print_table(FILE *f, const char *section, const struct keydef *kd, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s %s\n", section, kd[i].name);
}

void
config_list_keys(FILE *f)
{
	const struct keydef *kd;
	size_t n;

	for (int s = SEC_DAEMON; s <= SEC_SERVICE; s++) {
		kd = config_keys((enum section)s, &n);
		print_table(f, section_names[s - SEC_DAEMON], kd, n);
	}
	for (size_t t = 0; t < NKEYS(service_tables); t++) {
		kd = service_tables[t].keys(&n);
		print_table(f, "service", kd, n);
	}
}
