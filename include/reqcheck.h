/* reqcheck.h: pure checks of request headers (doc/api.md, "Routes", "API limits"). */
#ifndef DOCKSCALE_REQCHECK_H
#define DOCKSCALE_REQCHECK_H

#include <stdbool.h>
#include <stddef.h>

/* method is one of allow's comma-separated names ("GET, HEAD"); "" never is. */
bool reqcheck_method(const char *method, const char *allow);
/* Content-Type is application/json, parameters allowed ("; charset=utf-8"). */
bool reqcheck_json_type(const char *ctype);
/* Authorization is "Bearer <token>" (scheme case-insensitive), compared in constant
 * time in the token's length. */
bool reqcheck_bearer(const char *authorization, const char *token);
/* Host names this server (DNS rebinding): absent, an IP literal or localhost (any
 * port), or one of names (case-insensitive, n of them). */
bool reqcheck_host(const char *host, const char *const *names, size_t n);

#endif
