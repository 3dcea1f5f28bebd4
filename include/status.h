/* status.h: a service's state as JSON for the status API. */
#ifndef DOCKSCALE_STATUS_H
#define DOCKSCALE_STATUS_H

#include <stdint.h>

struct svc;
struct cJSON;

struct cJSON *status_service(const struct svc *s, int64_t now);

#endif
