/* runtime.c: the list of runtimes (include/runtime.h): the one place that names them. */
#include "runtime.h"

extern const struct runtime_ops runtime_containers_ops, runtime_swarm_ops;

/* indexed by enum svc_runtime */
static const struct runtime_ops *const runtimes[] = {
	[RUNTIME_CONTAINERS] = &runtime_containers_ops, [RUNTIME_SWARM] = &runtime_swarm_ops,
};

const struct runtime_ops *
runtime_for(const struct svc_conf *c)
{
	return runtimes[c != NULL ? c->runtime : RUNTIME_CONTAINERS];
}
