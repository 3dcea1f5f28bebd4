/* config_list.c: every key of dockscale.conf as "SECTION KEY" lines (dockscaled
 * --list-keys), so that the documentation can be checked against the tables
 * (tests/integration/test_docs.py). A new key table is listed here too. */
#include <stdio.h>

#include "config_int.h"

static const char *const section_names[] = { "daemon", "docker", "prometheus", "nginx",
	"haproxy", "service" }; /* indexed by enum section - SEC_DAEMON */
_Static_assert(NKEYS(section_names) == SEC_SERVICE - SEC_DAEMON + 1,
               "a section has no name here: add it (and its key tables below)");

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
	kd = config_ctr_keys(&n);
	print_table(f, "service", kd, n);
	kd = config_ready_keys(&n);
	print_table(f, "service", kd, n);
	kd = config_lb_keys(SEC_SERVICE, &n);
	print_table(f, "service", kd, n);
	kd = swarm_config_keys(&n);
	print_table(f, "service", kd, n);
}
