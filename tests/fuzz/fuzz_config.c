/* fuzz_config.c: libFuzzer target for config_load: any file, a config or FILE:LINE errors. */
#define _GNU_SOURCE /* fmemopen, memmem */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const risky[] = { "/dev", "/proc", "/sys", "/run" };
	struct config cfg;
	struct config_errors errs = { 0 };
	const char *path = "fuzz.conf";
	FILE *fp;
	int rc;

	/* token_file is read at load: a path to a FIFO, a tty or /dev/stdin would block the
	 * run. The fuzzer cannot guess other such paths. */
	for (size_t i = 0; i < sizeof(risky) / sizeof(risky[0]); i++)
		if (memmem(data, size, risky[i], strlen(risky[i])) != NULL)
			return 0;
	/* The file, in memory: config_load is fopen plus this. */
	if (size == 0 || (fp = fmemopen((void *)data, size, "r")) == NULL)
		return 0;
	rc = config_load_stream(fp, path, &cfg, &errs);
	fclose(fp);
	if (rc == 0) {
		if (errs.n != 0)
			__builtin_trap();
		for (size_t i = 0; i < cfg.nsvcs; i++) {
			const struct svc_conf *s = &cfg.svcs[i];

			if (s->dp.min_replicas > s->dp.max_replicas || s->image == NULL ||
			    s->port < 1 || s->port > 65535 ||
			    !(s->dp.down_threshold < s->dp.up_threshold))
				__builtin_trap();
			if (config_service(&cfg, s->name) != s)
				__builtin_trap(); /* service names are unique */
		}
		config_free(&cfg);
	} else {
		/* Every refusal names the file, and the result is empty. */
		if (rc != -1 || errs.n == 0 || cfg.nsvcs != 0 || cfg.svcs != NULL)
			__builtin_trap();
		for (size_t i = 0; i < errs.n; i++)
			if (strncmp(errs.msg[i], path, strlen(path)) != 0)
				__builtin_trap();
	}
	config_errors_free(&errs);
	return 0;
}
