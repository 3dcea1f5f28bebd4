/* lb.c: picks a service's balancer and forwards the lb_* calls to its ops table. */
#include "lb.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

struct lb {
	const struct lb_ops *ops;
	void *impl;
};

/* The kinds, found by the name `balancer` gives; the first is the default. */
static const struct lb_ops *const kinds[] = { &lb_nginx_ops, &lb_haproxy_ops, &lb_none_ops };

static const struct lb_ops *
find(const char *name)
{
	for (size_t i = 0; name != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i]->kind, name) == 0)
			return kinds[i];
	return kinds[0];
}

struct lb *
lb_new(struct loop *l, const struct config *cfg, const char *service, lb_cb cb, void *arg)
{
	struct lb *b = calloc(1, sizeof(*b));

	const struct svc_conf *sc = NULL;

	for (size_t i = 0; i < cfg->nsvcs && sc == NULL; i++)
		if (strcmp(cfg->svcs[i].name, service) == 0)
			sc = &cfg->svcs[i];
	if (b == NULL) {
		log_err("service %s: balancer: out of memory", service);
		return NULL;
	}
	b->ops = find(sc != NULL ? sc->balancer : NULL);
	if ((b->impl = b->ops->create(l, service, cb, arg)) == NULL) {
		free(b);
		return NULL;
	}
	return b;
}

void
lb_free(struct lb *b)
{
	if (b == NULL)
		return;
	b->ops->destroy(b->impl);
	free(b);
}

uint64_t
lb_sync(struct lb *b, const struct config *cfg, const struct svc_conf *sc,
    const struct lb_member *m, size_t n)
{
	return b != NULL ? b->ops->sync(b->impl, cfg, sc, m, n) : 0;
}

bool
lb_busy(const struct lb *b)
{
	return b != NULL && b->ops->busy(b->impl);
}

void
lb_stats(const struct lb *b, struct lb_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->last_drain_ms = -1;
	if (b != NULL)
		b->ops->stats(b->impl, out);
}

void
lb_set_events(struct lb *b, struct events *ev)
{
	if (b != NULL && b->ops->set_events != NULL)
		b->ops->set_events(b->impl, ev);
}

bool
lb_drains(const struct lb *b)
{
	return b != NULL && b->ops->drains;
}

bool
lb_every_pass(const struct lb *b)
{
	return b != NULL && b->ops->every_pass;
}

const char *
lb_kind_name(const char *balancer)
{
	return find(balancer)->kind;
}

const char *
lb_kind(const struct lb *b)
{
	return b != NULL ? b->ops->kind : "none";
}
