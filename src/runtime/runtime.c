/* runtime.c: the list of runtimes (include/runtime.h): the one place that names them. */
#include <string.h>

#include "runtime.h"

#define NRUNTIMES (sizeof(runtimes) / sizeof(runtimes[0]))

/* Found by the name `runtime` gives; the first is the default. Each is its own files;
 * this is the one place that names them. */
extern const struct runtime_ops runtime_swarm_ops;
static const struct runtime_ops *const runtimes[] = { &runtime_containers_ops, &runtime_swarm_ops };

_Static_assert(NRUNTIMES <= RUNTIMES_MAX, "RUNTIMES_MAX too small");

int
runtime_init(struct dsd *d, struct runtime_states *st)
{
	for (size_t i = 0; i < NRUNTIMES; i++)
		if (runtimes[i]->init != NULL && (st->v[i] = runtimes[i]->init(d)) == NULL)
			return -1;
	return 0;
}

void
runtime_fini(struct runtime_states *st)
{
	for (size_t i = 0; i < NRUNTIMES; i++) {
		if (runtimes[i]->fini != NULL && st->v[i] != NULL)
			runtimes[i]->fini(st->v[i]);
		st->v[i] = NULL;
	}
}

void
runtime_pass(struct dsd *d)
{
	for (size_t i = 0; i < NRUNTIMES; i++)
		if (runtimes[i]->pass != NULL)
			runtimes[i]->pass(d);
}

const struct runtime_wait *
runtime_ready_wait(struct dsd *d, void (*cb)(struct dsd *d))
{
	const struct runtime_wait *w;

	for (size_t i = 0; i < NRUNTIMES; i++)
		if (runtimes[i]->ready_wait != NULL && (w = runtimes[i]->ready_wait(d, cb)) != NULL)
			return w;
	return NULL;
}

void *
runtime_state(const struct runtime_states *st, const struct runtime_ops *ops)
{
	for (size_t i = 0; i < NRUNTIMES; i++)
		if (runtimes[i] == ops)
			return st->v[i];
	return NULL;
}

enum runtime_act
runtime_may_act(const struct svc *s, char *why, size_t len)
{
	const struct runtime_ops *ops = runtime_for(s->conf);

	return ops->may_act != NULL ? ops->may_act(s, why, len) : RUNTIME_ACTS;
}

const struct runtime_ops *
runtime_for(const struct svc_conf *c)
{
	const char *name = c != NULL ? c->runtime : NULL;

	for (size_t i = 0; name != NULL && i < NRUNTIMES; i++)
		if (strcmp(runtimes[i]->kind, name) == 0)
			return runtimes[i];
	return runtimes[0];
}
