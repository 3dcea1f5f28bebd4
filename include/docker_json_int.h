/* docker_json_int.h: checked JSON readers shared by docker_json.c and docker_stats.c. */
#ifndef DOCKSCALE_DOCKERJSON_INT_H
#define DOCKSCALE_DOCKERJSON_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* Copy src whole into dst (n bytes with the NUL); -1, dst empty, when it does not fit. */
int dockerjson_copy_exact(char *dst, size_t n, const char *src);
/* [0-9a-zA-Z_.-], alphanumeric first: an id, a name, a label value kept plain. */
int dockerjson_id_ok(const char *s);
/* A finite JSON number as int64 (from valuedouble: exact up to 2^53); -1 otherwise. */
int dockerjson_num_i64(const cJSON *v, int64_t *out);
/* A finite JSON number; -1 otherwise. */
int dockerjson_num_double(const cJSON *v, double *out);

#endif
