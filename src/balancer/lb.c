/* lb.c: picks a service's balancer and forwards the lb_* calls to its ops table. */
#include "lb.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"

struct lb {
	const struct lb_ops *ops;
	void *impl;
};

/* The kinds, found by the name `balancer` gives; the first is the default. Each is its
 * own files; this is the one place that names them. */
extern const struct lb_ops lb_nginx_ops, lb_haproxy_ops, lb_none_ops;
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
lb_new(struct loop *l, struct docker *docker, const struct config *cfg, const char *service,
    lb_cb cb, void *arg)
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
	if ((b->impl = b->ops->create(l, docker, service, cb, arg)) == NULL) {
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

/* A row of kind kinds[k], at index *i within it, with this key; false when none. */
static bool
find_row(size_t k, const char *key, size_t *i)
{
	for (*i = 0; *i < kinds[k]->nrows; (*i)++)
		if (strcmp(kinds[k]->rows[*i].key, key) == 0)
			return true;
	return false;
}

const struct lb_row *
lb_row_at(size_t n)
{
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		for (size_t i = 0; i < kinds[k]->nrows; i++) {
			const struct lb_row *r = &kinds[k]->rows[i];
			bool seen = false;
			size_t j;

			for (size_t e = 0; e < k && !seen; e++)
				seen = find_row(e, r->key, &j);
			if (!seen && n-- == 0)
				return r;
		}
	return NULL;
}

bool
lb_row_value(const struct lb *b, const struct lb_row *row, double *v)
{
	size_t i;

	*v = 0;
	for (size_t k = 0; b != NULL && k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (kinds[k] == b->ops && find_row(k, row->key, &i))
			return b->ops->row(b->impl, i, v);
	return !row->absent_none;
}

void
lb_rows_json(const struct lb *b, cJSON *o)
{
	const struct lb_row *row;
	double v;

	for (size_t n = 0; (row = lb_row_at(n)) != NULL; n++) {
		if (lb_row_value(b, row, &v))
			cJSON_AddNumberToObject(o, row->key, v);
		else
			cJSON_AddNullToObject(o, row->key);
	}
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

bool
lb_reads_log(const struct lb *b)
{
	return b != NULL && b->ops->access_log;
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

bool
lb_has_traffic(const struct lb *b)
{
	return b != NULL && b->ops->traffic != NULL;
}

int
lb_traffic(struct lb *b, lb_traffic_cb cb, void *arg)
{
	if (b == NULL || b->ops->traffic == NULL)
		return -1;
	return b->ops->traffic(b->impl, cb, arg);
}

void
lb_kind_totals(const struct loop *l, const char *kind, struct lb_totals *out)
{
	const struct lb_ops *ops = find(kind);

	memset(out, 0, sizeof(*out));
	if (strcmp(ops->kind, kind) == 0 && ops->totals != NULL)
		ops->totals(l, out);
}
