/* lb_nginx.c: the nginx balancer: members into an upstream file, applied by a reload. */
#include <stdlib.h>

#include "lb.h"
#include "log.h"
#include "upstream.h"
#include "upstream_batch.h"

static void *
nginx_create(struct loop *l, struct docker *docker, const char *service, lb_cb cb,
    void *arg)
{
	return upstream_new(l, docker, service, cb, arg);
}

static void
nginx_destroy(void *impl)
{
	upstream_free(impl);
}

/* Draining members are simply left out: nginx has no per-server drain state that
 * survives a reload, and a reload already lets old workers finish what they hold. */
static uint64_t
nginx_sync(void *impl, const struct config *cfg, const struct svc_conf *sc,
    const struct lb_member *m, size_t n)
{
	struct upstream_target t = {
		.path = sc->upstream_file,
		.name = sc->upstream_name,
		.test = (const char *const *)cfg->nginx_test.v,
		.reload = (const char *const *)cfg->nginx_reload.v,
		.pid_file = cfg->nginx_pid_file,
		.timeout_ms = cfg->nginx_timeout_ms,
		.container = cfg->nginx_container,
	};
	const char **addrs = calloc(n + 1, sizeof(*addrs));
	size_t k = 0;
	uint64_t gen;

	if (addrs == NULL) {
		log_err("service %s: balancer: out of memory", sc->name);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (!m[i].draining)
			addrs[k++] = m[i].addr;
	/* doc/waking.md: no replica serves, the daemon takes the requests
	 * in place of the `down` placeholder */
	if (k == 0 && sc->wake_listen != NULL && sc->wake_listen[0] != '\0')
		addrs[k++] = sc->wake_listen;
	gen = upstream_sync(impl, &t, addrs, k);
	free(addrs);
	return gen;
}

static bool
nginx_busy(const void *impl)
{
	return upstream_busy(impl);
}

static void
nginx_stats(const void *impl, struct lb_stats *out)
{
	const struct upstream_stats *st = upstream_get_stats(impl);

	out->applied = st->reloads_ok;
	out->failed = st->reloads_failed;
	out->rejected = st->tests_failed;
	out->serving = upstream_size(impl);
}

/* One reload serves every service due at once (doc/balancers.md, "One reload for many
 * services"): the reloads are counted once, daemon-wide. */
static void
nginx_totals(const struct loop *l, struct lb_totals *out)
{
	struct upstream_totals t;

	upstream_batch_totals(l, &t);
	out->applies = t.applies;
	out->applied = t.reloads_ok;
	out->failed = t.reloads_failed;
	out->rejected = t.tests_failed;
	out->syncs = t.members;
}

const struct lb_ops lb_nginx_ops = {
	.kind = "nginx",
	.totals = nginx_totals,
	.access_log = true,
	.create = nginx_create,
	.destroy = nginx_destroy,
	.sync = nginx_sync,
	.busy = nginx_busy,
	.stats = nginx_stats,
};
