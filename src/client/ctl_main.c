/* ctl_main.c: dockscalectl's entry point: parse, find the daemon, run the command. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"

int
main(int argc, char **argv)
{
	struct ctl_args a;
	struct ctl_target t;
	char err[512];
	int rc;

	if (ctl_args_parse(argc, argv, &a, err, sizeof(err)) < 0) {
		fprintf(stderr, "dockscalectl: %s (see 'dockscalectl help')\n", err);
		return CTL_EXIT_USAGE;
	}
	if (a.cmd == CTL_HELP) {
		fputs(ctl_usage(), stdout);
		return CTL_EXIT_OK;
	}
	if (a.cmd == CTL_VERSION) {
		printf("dockscalectl %s\n", DOCKSCALE_VERSION);
		return CTL_EXIT_OK;
	}
	if (ctl_conf_resolve(&a, &t, err, sizeof(err)) < 0) {
		fprintf(stderr, "dockscalectl: %s\n", err);
		return CTL_EXIT_USAGE;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "dockscalectl: cannot initialise libcurl\n");
		return CTL_EXIT_UNREACHABLE;
	}
	rc = ctl_run(&a, &t);
	curl_global_cleanup();
	return rc;
}
