/* featureset.h: the optional features of a service (featureset.c registers them). */
#ifndef DOCKSCALE_FEATURESET_H
#define DOCKSCALE_FEATURESET_H

struct dsd;

/* Register every feature's hooks with the core (svc_feature_add), once, before the first
 * service is made; again is a no-op. 0, or -1 (logged). */
int featureset_register(struct dsd *d);

#endif
