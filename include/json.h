/* json.h: strict parsing of untrusted JSON, and type-checked cJSON lookups. */
#ifndef DOCKSCALE_JSON_H
#define DOCKSCALE_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* Member key of object o, case-sensitive (Docker has both "Id" and "id"; Alertmanager's
 * Go structs make "Labels" not "labels"); NULL when o is not an object or has no key. */
const cJSON *json_get(const cJSON *o, const char *key);
/* The string member key, or NULL when absent or not a string. */
const char *json_get_str(const cJSON *o, const char *key);

/* The byte-level checks of json_parse_strict, before any parsing: body[0..len) is valid
 * UTF-8, has no control character other than JSON's whitespace (none at all inside
 * strings) and no \u0000 escape. 0 if so; -1 with the reason in err (may be NULL). */
int json_check_text(const char *body, size_t len, char *err, size_t errlen);

/* Exactly one JSON document in body[0..len) (whitespace around it allowed; cJSON alone
 * accepts "{}garbage"), and strict where cJSON is lenient: json_check_text holds and no
 * object has the same key twice (which member would a reader take?). Every string of
 * the tree is then exactly what was sent, NUL-free, valid UTF-8. NULL otherwise, with
 * the reason in err (may be NULL): "not JSON" when cJSON refused it. Every parser of
 * input the daemon does not control goes through here (doc/testing.md, "Fuzzing"). */
cJSON *json_parse_strict(const char *body, size_t len, char *err, size_t errlen);
/* json_parse_strict without the reason. */
cJSON *json_parse_whole(const char *body, size_t len);
/* json_parse_whole of a NUL-terminated body that must be an array (a Docker list). */
cJSON *json_parse_array(const char *body);

#endif
