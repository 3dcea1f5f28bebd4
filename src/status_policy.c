/* status_policy.c: what a service's metric is measured against, for the status API (a
 * client shows "value/target" as `kubectl get hpa` does: doc/operating.md). */
#include <cjson/cJSON.h>

#include "config.h"
#include "status_policy.h"

static const char *
policy_name(enum decide_policy_kind k)
{
	switch (k) {
	case POLICY_TARGET:
		return "target";
	case POLICY_PREDICTIVE:
		return "predictive";
	default:
		return "threshold";
	}
}

cJSON *
status_policy(const struct svc_conf *c)
{
	cJSON *o = cJSON_CreateObject(), *ms, *m;

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "name", policy_name(c->dp.policy));
	ms = cJSON_AddObjectToObject(o, "metrics");
	for (int k = 0; k < METRIC_KINDS && ms != NULL; k++) {
		bool mem = k == METRIC_DOCKER_MEMORY;

		if (!(c->metrics & METRIC_BIT(k)) ||
		    (m = cJSON_AddObjectToObject(ms, config_metric_name((enum metric_kind)k))) == NULL)
			continue;
		/* docker_memory has its own three keys; the others share the service's. */
		cJSON_AddNumberToObject(m, "scale_up_threshold",
		    mem ? c->mem_up_threshold : c->dp.up_threshold);
		cJSON_AddNumberToObject(m, "scale_down_threshold",
		    mem ? c->mem_down_threshold : c->dp.down_threshold);
		cJSON_AddNumberToObject(m, "target", mem ? c->mem_target : c->dp.target);
	}
	return o;
}
