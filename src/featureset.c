/* featureset.c: the optional features of a service, registered with the core at start-up:
 * one line each (doc/architecture.md). Their hooks run in this order. */
#include "compose_source.h"
#include "featureset.h"
#include "headroom.h"
#include "idle.h"
#include "pause.h"
#include "pull.h"
#include "rollout.h"
#include "schedule.h"
#include "wake.h"
#include "service.h"

int
featureset_register(struct dsd *d)
{
	static const struct svc_feature *const all[] = {
		&compose_source_feature,
		&pull_feature,
		&rollout_feature,
		&pause_feature,
		&wake_feature,
		&idle_feature,
		&schedule_feature,
		/* last: asked only once every other feature lets a start go */
		&headroom_feature,
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (svc_feature_add(d, all[i]) == -1)
			return -1;
	return 0;
}
