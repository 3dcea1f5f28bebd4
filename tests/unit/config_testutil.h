/* config_testutil.h: the configuration tests' loader: a text read as a file named path
 * (include after cmocka.h; the test defines _GNU_SOURCE for fmemopen). */
#ifndef DOCKSCALE_CONFIG_TESTUTIL_H
#define DOCKSCALE_CONFIG_TESTUTIL_H

#include <stdio.h>
#include <string.h>

#include "config.h"

static inline int
load_as(const char *path, const char *text, struct config *c, struct config_errors *e)
{
	FILE *fp = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(fp);
	memset(e, 0, sizeof(*e));
	memset(c, 0, sizeof(*c));
	rc = config_load_stream(fp, path, c, e);
	fclose(fp);
	return rc;
}

static inline int
load(const char *text, struct config *c, struct config_errors *e)
{
	return load_as("m.conf", text, c, e);
}

#endif
