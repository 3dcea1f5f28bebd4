/* json.h: type-checked cJSON lookups shared by every parser of peers' answers. */
#ifndef DOCKSCALE_JSON_H
#define DOCKSCALE_JSON_H

#include <cjson/cJSON.h>

/* Member key of object o, case-sensitive (Docker has both "Id" and "id"; Alertmanager's
 * Go structs make "Labels" not "labels"); NULL when o is not an object or has no key. */
const cJSON *json_get(const cJSON *o, const char *key);
/* The string member key, or NULL when absent or not a string. */
const char *json_get_str(const cJSON *o, const char *key);

#endif
