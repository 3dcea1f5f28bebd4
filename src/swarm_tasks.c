/* swarm_tasks.c: the containers of a Swarm service's tasks on this node, sampled each
 * pass (GET /containers/json by the service label, then one stats call each) so that
 * /metrics carries their cAdvisor series (README.md, "Running on a Swarm cluster"). */
#include <stdlib.h>
#include <string.h>

#include "dockscaled.h"
#include "log.h"
#include "service.h"
#include "swarm.h"

#define LOCAL_MAX 256 /* task containers of one service on one node that we sample */

void
swarm_tasks_init(struct svc *s)
{
	s->st.svc = s;
}

static void
sample_free(struct svc *s, struct swarm_sample *x)
{
	if (x->busy && s->d->docker != NULL)
		docker_cancel_arg(s->d->docker, x);
	free(x);
}

void
swarm_tasks_fini(struct svc *s)
{
	struct swarm_tasks *t = &s->st;

	if (s->d->docker != NULL)
		docker_cancel_arg(s->d->docker, t);
	for (size_t i = 0; i < t->n; i++)
		sample_free(s, t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

static void
on_stats(void *arg, const struct docker_reply *r, const struct docker_stats *st)
{
	struct swarm_sample *x = arg;

	x->busy = false;
	if (!r->ok)
		return; /* gone meanwhile: the next list drops it */
	metric_ctr_seen(&x->r.smp, st);
}

/* The new list: keep the samples of containers still here, add the new, drop the gone. */
static void
on_list(void *arg, const struct docker_reply *r, const char *body, size_t len)
{
	struct swarm_tasks *t = arg;
	struct svc *s = t->svc;
	struct swarm_local *l = NULL;
	struct swarm_sample **v = NULL;
	int n;
	size_t k = 0;

	(void)len;
	t->listing = false;
	if (!r->ok || (l = calloc(LOCAL_MAX, sizeof(*l))) == NULL ||
	    (n = swarmjson_local(body, l, LOCAL_MAX)) < 0 ||
	    (v = calloc((size_t)n + 1, sizeof(*v))) == NULL)
		goto out;
	for (int i = 0; i < n; i++) {
		struct swarm_sample *x = NULL;

		for (size_t j = 0; j < t->n && x == NULL; j++)
			if (t->v[j] != NULL && strcmp(t->v[j]->r.id, l[i].id) == 0) {
				x = t->v[j];
				t->v[j] = NULL;
			}
		if (x == NULL && (x = calloc(1, sizeof(*x))) != NULL) {
			memcpy(x->r.id, l[i].id, sizeof(x->r.id));
			memcpy(x->r.name, l[i].name, sizeof(x->r.name));
			memcpy(x->r.image, l[i].image, sizeof(x->r.image));
			x->r.svc = s;
			x->r.state = REP_READY;
		}
		if (x == NULL)
			continue;
		x->l = l[i];
		v[k++] = x;
		if (!x->busy && docker_stats(s->d->docker, x->r.id, on_stats, x) == 0)
			x->busy = true;
	}
	for (size_t j = 0; j < t->n; j++)
		if (t->v[j] != NULL)
			sample_free(s, t->v[j]);
	free(t->v);
	t->v = v;
	t->n = k;
	v = NULL;
out:
	free(v);
	free(l);
}

void
swarm_tasks_sample(struct svc *s)
{
	struct swarm_tasks *t = &s->st;
	const char *name = s->conf != NULL && s->conf->swarm_service[0] != '\0' ?
	    s->conf->swarm_service : s->name;

	if (t->listing || s->d->stopping || s->d->docker == NULL)
		return;
	if (swarm_local_containers(s->d->docker, name, on_list, t) == 0)
		t->listing = true;
}
