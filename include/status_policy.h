/* status_policy.h: a service's policy and its per-metric thresholds for the status API. */
#ifndef DOCKSCALE_STATUS_POLICY_H
#define DOCKSCALE_STATUS_POLICY_H

struct cJSON;
struct svc_conf;

/* {"name": "threshold", "metrics": {"docker_cpu": {"scale_up_threshold": 75,
 * "scale_down_threshold": 40, "target": 60}, ...}}; NULL without memory. */
struct cJSON *status_policy(const struct svc_conf *c);

#endif
