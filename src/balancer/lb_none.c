/* lb_none.c: no balancer: every healthy member counts as serving at once. */
#include <stdlib.h>

#include "lb.h"
#include "log.h"

/* For users who only want the count managed (doc/balancers.md, "Choosing a balancer"):
 * replicas are still health-gated, nothing routes to them but the user's own means. */
struct none {
	struct loop *l;
	lb_cb cb;
	void *arg;
	struct loop_timer timer; /* reports from the loop, as lb.h promises */
	uint64_t gen, reported;
	struct lb_stats st;
	size_t pending_serving;
};

static void
on_timer(struct loop *l, struct loop_timer *t)
{
	struct none *b = t->arg;

	(void)l;
	b->reported = b->gen;
	b->st.applied++;
	b->st.serving = b->pending_serving;
	b->cb(b->arg, b->gen, true);
}

static void *
none_create(struct loop *l, struct docker *docker, const char *service, lb_cb cb,
    void *arg)
{
	struct none *b = calloc(1, sizeof(*b));

	if (b == NULL) {
		log_err("service %s: balancer: out of memory", service);
		return NULL;
	}
	b->l = l;
	b->cb = cb;
	b->arg = arg;
	loop_timer_init(&b->timer, on_timer, b);
	return b;
}

static void
none_destroy(void *impl)
{
	struct none *b = impl;

	if (b == NULL)
		return;
	loop_timer_stop(b->l, &b->timer);
	free(b);
}

static uint64_t
none_sync(void *impl, const struct config *cfg, const struct svc_conf *sc,
    const struct lb_member *m, size_t n)
{
	struct none *b = impl;
	size_t serving = 0;

	(void)cfg;
	(void)sc;
	for (size_t i = 0; i < n; i++)
		serving += !m[i].draining;
	b->pending_serving = serving;
	loop_timer_start(b->l, &b->timer, 0);
	return ++b->gen;
}

static bool
none_busy(const void *impl)
{
	const struct none *b = impl;

	return b->reported != b->gen;
}

static void
none_stats(const void *impl, struct lb_stats *out)
{
	const struct none *b = impl;

	*out = b->st;
	out->servers = b->st.serving;
}

const struct lb_ops lb_none_ops = {
	.kind = "none",
	.create = none_create,
	.destroy = none_destroy,
	.sync = none_sync,
	.busy = none_busy,
	.stats = none_stats,
};
