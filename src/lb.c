/* lb.c: picks a service's balancer and forwards the lb_* calls to its ops table. */
#include "lb.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

struct lb {
	const struct lb_ops *ops;
	void *impl;
};

struct lb *
lb_new(struct loop *l, const struct config *cfg, const char *service, lb_cb cb, void *arg)
{
	struct lb *b = calloc(1, sizeof(*b));

	(void)cfg; /* one kind today; the key that chooses it arrives with the second */
	if (b == NULL) {
		log_err("service %s: balancer: out of memory", service);
		return NULL;
	}
	b->ops = &lb_nginx_ops;
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
	if (b != NULL)
		b->ops->stats(b->impl, out);
}

const char *
lb_kind(const struct lb *b)
{
	return b != NULL ? b->ops->kind : "none";
}
