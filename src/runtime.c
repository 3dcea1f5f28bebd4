/* runtime.c: the list of runtimes (include/runtime.h): the one place that names them. */
#include <string.h>

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

void
runtime_sample_replica(const struct svc *s, const struct replica *r, struct runtime_sample *out)
{
	memset(out, 0, sizeof(*out));
	out->id = r->id;
	out->name = r->name;
	out->image = r->image;
	out->st = &r->st;
	out->exported = r->have_cpu_sample && r->state <= REP_DRAINING;
	out->seen_at = r->seen_at;
	out->started_at = r->started_at;
	out->spec_memory = r->spec_memory;
	out->spec_nano_cpus = r->spec_nano_cpus;
	out->spec_cpu_quota = r->spec_cpu_quota;
	out->spec_cpu_period = r->spec_cpu_period;
	out->spec_cpu_shares = r->spec_cpu_shares;
	out->oom_events = r->oom_events;
	out->labels[0] = (struct runtime_label){ "container", s->name };
	out->labels[1] = (struct runtime_label){ "container_label_io_dockscale_service", s->name };
	out->nlabels = 2;
}
