/* swarm_tasks.c: the containers of a Swarm service's tasks on this node, sampled each
 * pass (GET /containers/json by the service label, then one stats call each) so that
 * /metrics carries their cAdvisor series (doc/swarm.md). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docker.h"
#include "swarm.h"

#define LOCAL_MAX 256 /* task containers of one service on one node that we sample */

static void
sample_free(struct docker *d, struct swarm_sample *x)
{
	if (x->busy && d != NULL)
		docker_cancel_arg(d, x);
	free(x);
}

void
swarm_tasks_fini(struct swarm_tasks *t)
{
	if (t->docker != NULL)
		docker_cancel_arg(t->docker, t);
	for (size_t i = 0; i < t->n; i++)
		sample_free(t->docker, t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
	t->listing = false;
}

static void
on_stats(void *arg, const struct docker_reply *r, const struct docker_stats *st)
{
	struct swarm_sample *x = arg;
	struct timespec now;

	x->busy = false;
	if (!r->ok)
		return; /* gone meanwhile: the next list drops it */
	x->st = *st;
	x->have = true;
	(void)clock_gettime(CLOCK_REALTIME, &now);
	x->seen_at = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* The new list: keep the samples of containers still here, add the new, drop the gone. */
static void
on_list(void *arg, const struct docker_reply *r, const char *body, size_t len)
{
	struct swarm_tasks *t = arg;
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
			if (t->v[j] != NULL && strcmp(t->v[j]->l.id, l[i].id) == 0) {
				x = t->v[j];
				t->v[j] = NULL;
			}
		if (x == NULL && (x = calloc(1, sizeof(*x))) == NULL)
			continue;
		x->l = l[i];
		v[k++] = x;
		if (!x->busy && docker_stats(t->docker, x->l.id, on_stats, x) == 0)
			x->busy = true;
	}
	for (size_t j = 0; j < t->n; j++)
		if (t->v[j] != NULL)
			sample_free(t->docker, t->v[j]);
	free(t->v);
	t->v = v;
	t->n = k;
	v = NULL;
out:
	free(v);
	free(l);
}

void
swarm_tasks_sample(struct swarm_tasks *t, struct docker *d, const char *name)
{
	if (t->listing || d == NULL)
		return;
	t->docker = d;
	if (swarm_local_containers(d, name, on_list, t) == 0)
		t->listing = true;
}
