/* json.h: type-checked cJSON lookups shared by every parser of peers' answers. */
#ifndef DOCKSCALE_JSON_H
#define DOCKSCALE_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* Member key of object o, case-sensitive (Docker has both "Id" and "id"; Alertmanager's
 * Go structs make "Labels" not "labels"); NULL when o is not an object or has no key. */
const cJSON *json_get(const cJSON *o, const char *key);
/* The string member key, or NULL when absent or not a string. */
const char *json_get_str(const cJSON *o, const char *key);

/* Exactly one JSON document in body[0..len), whitespace around it allowed; NULL otherwise.
 * cJSON_ParseWithLength alone accepts "{}garbage", which is not a document. */
cJSON *json_parse_whole(const char *body, size_t len);

#endif
