/* api_ops.h: the operator routes (doc/api.md, "Event history", "Pause and manual scale",
 * "Status page"). */
#ifndef DOCKSCALE_API_OPS_H
#define DOCKSCALE_API_OPS_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "http.h"

struct dsd;
struct svc;

/* api_ops.c: /api/v1/services/{name}/{pause,resume,explain,history}; false when sub
 * names none of them. */
bool api_ops_route(struct dsd *d, struct svc *s, const char *sub, const struct http_req *req,
    struct http_resp *resp);
/* The POSTs among them (their body is read). */
bool api_ops_takes_body(const char *sub);

/* api.c: a POST body that is empty, {} or {key: value of is_type}: false when it is
 * not (answered 400 with usage). *body is the caller's to free (NULL when empty). */
bool api_optional_body(const struct http_req *req, struct http_resp *resp, const char *key,
    cJSON_bool (*is_type)(const cJSON *), const char *usage, cJSON **body, cJSON **field);

/* api_events.c: GET /api/v1/events. */
void api_events(struct dsd *d, const struct http_req *req, struct http_resp *resp);

/* api_statuspage.c: GET / (the status page) and its /statuspage.css, /statuspage.js. */
bool api_statuspage_path(const char *path);
void api_statuspage(struct dsd *d, const struct http_req *req, struct http_resp *resp);

#endif
