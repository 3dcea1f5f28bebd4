/* main.c: command line (SPEC §2), then hand over to the daemon's lifecycle. */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dockscaled.h"
#include "log.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: dockscaled [-c FILE] [--check-config] [--dry-run] [--once] [--version] [--help]\n"
	    "  -c, --config FILE  configuration file (default " CONFIG_DEFAULT_PATH ")\n"
	    "      --check-config parse and validate FILE, print problems as FILE:LINE: message\n"
	    "      --dry-run      observe and decide, but create, remove and write nothing\n"
	    "      --once         one evaluation and reconcile pass, then exit\n"
	    "  -V, --version      print the version\n"
	    "  -h, --help         this text\n"
	    "exit codes: 0 ok, 64 usage, 78 configuration error, 1 other fatal error\n");
}

static int
check_config(const char *path)
{
	struct config cfg = { 0 };
	struct config_errors errs = { 0 };
	int rc = 0;

	if (config_load(path, &cfg, &errs) == -1) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		rc = EXIT_CONFIG;
	} else {
		if (cfg.nsvcs == 0)
			fprintf(stderr, "%s: warning: no [service] section\n", path);
		for (size_t i = 0; i < cfg.warnings.n; i++)
			fprintf(stderr, "%s (warning)\n", cfg.warnings.v[i]);
		printf("%s: ok, %zu service(s)\n", path, cfg.nsvcs);
	}
	config_free(&cfg);
	config_errors_free(&errs);
	return rc;
}

int
main(int argc, char **argv)
{
	enum { OPT_CHECK = 256, OPT_DRY, OPT_ONCE, OPT_LIST_KEYS };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "once", no_argument, NULL, OPT_ONCE },
		/* hidden: for the documentation's check (tests/integration/test_docs.py) */
		{ "list-keys", no_argument, NULL, OPT_LIST_KEYS },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CONFIG_DEFAULT_PATH;
	bool check = false, dry = false, once = false;
	struct dsd d;
	int c, rc;

	log_init(LOG_INFO);
	while ((c = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case OPT_CHECK:
			check = true;
			break;
		case OPT_DRY:
			dry = true;
			break;
		case OPT_ONCE:
			once = true;
			break;
		case OPT_LIST_KEYS:
			config_list_keys(stdout);
			return 0;
		case 'V':
			printf("dockscaled %s\n", DOCKSCALE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "dockscaled: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (check)
		return check_config(path);

	/* glibc raises its mmap threshold to the largest block freed, so one /metrics text
	 * of a few MiB at hundreds of replicas would stay in the heap, dirty, for good:
	 * pinned at the default, blocks that large come and go as mappings
	 * (doc/benchmarks.md, "Idle cost at hundreds of replicas"). */
	(void)mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	rc = dsd_init(&d, path, dry, once);
	if (rc == 0)
		rc = dsd_run(&d);
	dsd_fini(&d);
	if (rc == 0)
		log_notice("dockscaled stopped");
	return rc;
}
