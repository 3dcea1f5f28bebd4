/* config_list.c: where each key of dockscale.conf is defined: the [service] key tables
 * beside svc_keys (each in its own slots of pstate.seen), then each kind's own [service]
 * keys (config_kinds.c), the lookup that searches them, where a value goes, and every
 * key as "SECTION KEY" lines (dockscaled --list-keys), so that the documentation can be
 * checked against the tables (tests/integration/test_docs.py). A new key table is one
 * line in service_tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

static const char *const section_names[] = { "daemon", "docker", "prometheus", "nginx",
	"notify", "service" }; /* indexed by enum section - SEC_DAEMON */
_Static_assert(NKEYS(section_names) == SEC_SERVICE - SEC_DAEMON + 1,
               "a section has no name here: add it (and its key tables below)");

/* The [service] keys kept outside svc_keys, in the order of their slots. */
static const struct {
	const struct keydef *(*keys)(size_t *n);
	int slots;
} service_tables[] = {
	{ config_ctr_keys, CTR_KEYS_MAX },     /* the container definition */
	{ config_ready_keys, READY_KEYS_MAX }, /* readiness */
	{ config_lb_keys, LB_KEYS_MAX },       /* waking from zero */
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

/* The first slot of the kinds' own [service] keys: KIND_KEYS_MAX for each kind. */
static int
kind_slots_base(void)
{
	size_t n;
	int base;

	(void)config_keys(SEC_SERVICE, &n);
	base = (int)n;
	for (size_t t = 0; t < NKEYS(service_tables); t++)
		base += service_tables[t].slots;
	return base;
}

const struct keydef *
config_key_find(enum section sec, const char *name, int *idx)
{
	size_t n, m;
	const struct keydef *tab = config_keys(sec, &n);
	const struct config_kind *k;
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
	for (size_t j = 0; (k = config_kind_at(j)) != NULL; j++) {
		int i = k->svc_keys != NULL ? key_index(k->svc_keys, k->nsvc_keys, name) : -1;

		if (i >= 0) {
			*idx = base + (int)j * KIND_KEYS_MAX + i;
			return k->svc_keys + i;
		}
	}
	*idx = -1;
	return NULL;
}

const char *
config_key_section(const char *name)
{
	const struct config_kind *k;
	int idx;

	for (int sec = SEC_DAEMON; sec < SEC_SERVICE; sec++)
		if (config_key_find((enum section)sec, name, &idx) != NULL)
			return section_names[sec - SEC_DAEMON];
	for (size_t j = 0; (k = config_kind_at(j)) != NULL; j++)
		if (k->section != NULL && config_key_find((enum section)(SEC_KIND + (int)j), name,
		    &idx) != NULL)
			return k->section;
	return NULL;
}

void *
config_key_base(const struct pstate *ps, int idx)
{
	int base;

	if (ps->sec >= SEC_KIND)
		return ps->cfg->kinds[ps->sec - SEC_KIND].conf;
	if (ps->sec != SEC_SERVICE)
		return ps->cfg;
	base = kind_slots_base();
	if (idx >= base)
		return ps->cur->kinds[(idx - base) / KIND_KEYS_MAX].conf;
	return ps->cur;
}

const struct keydef *
config_service_table(size_t t, size_t *n)
{
	const struct config_kind *k;

	if (t == 0)
		return config_keys(SEC_SERVICE, n);
	t--;
	if (t < NKEYS(service_tables))
		return service_tables[t].keys(n);
	t -= NKEYS(service_tables);
	for (size_t j = 0; (k = config_kind_at(j)) != NULL; j++) {
		if (k->svc_keys == NULL)
			continue;
		if (t == 0) {
			*n = k->nsvc_keys;
			return k->svc_keys;
		}
		t--;
	}
	*n = 0;
	return NULL;
}

int
config_key_line(const struct pstate *ps, const char *name, bool any)
{
	int idx;

	if (config_key_find(SEC_SERVICE, name, &idx) == NULL)
		return 0;
	return any ? abs(ps->seen[idx]) : ps->seen[idx] > 0 ? ps->seen[idx] : 0;
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
	const struct config_kind *k;
	const struct keydef *kd;
	size_t n;

	for (int s = SEC_DAEMON; s < SEC_SERVICE; s++) {
		kd = config_keys((enum section)s, &n);
		print_table(f, section_names[s - SEC_DAEMON], kd, n);
	}
	for (size_t j = 0; (k = config_kind_at(j)) != NULL; j++)
		if (k->section != NULL)
			print_table(f, k->section, k->keys, k->nkeys);
	kd = config_keys(SEC_SERVICE, &n);
	print_table(f, "service", kd, n);
	for (size_t t = 0; t < NKEYS(service_tables); t++) {
		kd = service_tables[t].keys(&n);
		print_table(f, "service", kd, n);
	}
	for (size_t j = 0; (k = config_kind_at(j)) != NULL; j++)
		if (k->svc_keys != NULL)
			print_table(f, "service", k->svc_keys, k->nsvc_keys);
}
