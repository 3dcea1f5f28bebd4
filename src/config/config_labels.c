/* config_labels.c: services declared by containers' dockscale.* labels (doc/labels.md),
 * read by the [service] key tables as a section of the file would be, and added to a
 * loaded configuration. Pure: no I/O. */
#define _GNU_SOURCE /* asprintf */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "config_int.h"

static const char *const state_names[] = {
	[CONFIG_LABEL_MANAGED] = "managed", [CONFIG_LABEL_BAD] = "error",
	[CONFIG_LABEL_SHADOWED] = "shadowed", [CONFIG_LABEL_DUPLICATE] = "duplicate",
};

const char *
config_label_state_name(enum config_label_state st)
{
	return st < NKEYS(state_names) ? state_names[st] : "?";
}

/* The label that names the service, else compose's service, else the container. */
static const char *
service_name(const struct label_src *src, int *line)
{
	for (size_t i = 0; i < src->n; i++) {
		if (strcmp(src->kv[i].key, LABELS_SERVICE) == 0) {
			*line = (int)i + 1;
			return src->kv[i].value;
		}
	}
	*line = 0;
	return src->service != NULL ? src->service : src->name;
}

/* One label through the [service] key table: as on_key (config.c) does a line. */
static void
set_label(struct pstate *ps, const struct label_kv *kv, int line)
{
	const char *key = kv->key + strlen(LABELS_PREFIX), *sec;
	const struct keydef *kd;
	char *base;
	int idx;

	ps->line = line;
	if (strcmp(kv->key, LABELS_ENABLE) == 0 || strcmp(kv->key, LABELS_SERVICE) == 0)
		return;
	if (strcmp(key, "compose_project") == 0 || strcmp(key, "compose_service") == 0) {
		config_perr(ps, line, "not a label: the definition is the container's own "
		            "compose service (its " COMPOSE_LABEL_PREFIX "* labels)");
		return;
	}
	if ((kd = config_key_find(SEC_SERVICE, key, &idx)) == NULL) {
		if ((sec = config_key_section(key)) != NULL)
			config_perr(ps, line, "a [%s] key: only the configuration file sets it", sec);
		else
			config_perr(ps, line, "unknown key '%s' (labels take the [service] keys of "
			            "doc/configuration.md)", key);
		return;
	}
	ps->seen[idx] = line;
	if ((base = config_key_base(ps, idx)) == NULL) /* out of memory, reported */
		return;
	if (!config_set_value(ps, kd, base + kd->off, kv->value))
		ps->seen[idx] = -line;
}

/* The compose labels as the compose_project/compose_service keys, on the "lines" after
 * the container's own labels. */
static void
set_compose(struct pstate *ps, const struct label_src *src)
{
	static const char *const keys[] = { "compose_project", "compose_service" };
	const char *vals[] = { src->project, src->service };
	int idx;

	if (src->project == NULL || src->service == NULL) {
		config_perr(ps, 0, "not a docker-compose container (no " COMPOSE_LABEL_PROJECT
		            " and " COMPOSE_LABEL_SERVICE " labels): a label service takes its "
		            "definition from its compose service");
		return;
	}
	for (size_t k = 0; k < NKEYS(keys); k++) {
		const struct keydef *kd = config_key_find(SEC_SERVICE, keys[k], &idx);
		int line = (int)(src->n + k) + 1;

		ps->line = line;
		ps->seen[idx] = line;
		if (!config_set_value(ps, kd, (char *)ps->cur + kd->off, vals[k]))
			ps->seen[idx] = -line;
	}
}

/* What "line" N of a source names: "label KEY=VALUE" (its labels, then compose's). */
static char **
where_of(const struct label_src *src)
{
	char **w = calloc(src->n + 2, sizeof(*w));

	if (w == NULL)
		return NULL;
	for (size_t i = 0; i < src->n + 2; i++) {
		const char *k = i < src->n ? src->kv[i].key : i == src->n ? COMPOSE_LABEL_PROJECT :
		    COMPOSE_LABEL_SERVICE;
		const char *v = i < src->n ? src->kv[i].value : i == src->n ? src->project :
		    src->service;

		if (asprintf(&w[i], "label %s=%s", k, v != NULL ? v : "") < 0) {
			w[i] = NULL;
			for (size_t j = 0; j < i; j++)
				free(w[j]);
			free(w);
			return NULL;
		}
	}
	return w;
}

static void
where_free(char **w, size_t n)
{
	for (size_t i = 0; w != NULL && i < n; i++)
		free(w[i]);
	free(w);
}

/* Drop the warnings past n: the checks across services say again what the file's load
 * said. */
static void
warnings_cut(struct strv *w, size_t n)
{
	while (w->n > n)
		free(w->v[--w->n]);
	if (w->v != NULL)
		w->v[w->n] = NULL;
}

/* Read src's labels into *sc (named name) and check it, alone then beside cfg's
 * services: errors into errs. 0 when added to cfg, -1 when not (or out of memory). */
static int
read_source(struct config *cfg, const struct label_src *src, const char *name, int name_line,
    struct config_errors *errs)
{
	char path[DOCKER_NAME_MAX + 64], why[1200], **where = where_of(src);
	struct pstate ps = { 0 };
	struct svc_conf sc, *v;
	size_t nwarn;
	int rc = -1;

	if (where == NULL)
		return -1;
	/* A name cut short still names the container. */
	if (snprintf(path, sizeof(path), "container %s (%.12s)", src->name, src->id) >= (int)sizeof(path))
		path[sizeof(path) - 1] = '\0';
	ps.path = path;
	ps.cfg = cfg;
	ps.errs = errs;
	ps.where = (const char *const *)where;
	ps.nwhere = src->n + 2;
	ps.sec = SEC_SERVICE;
	ps.cur = &sc;
	if (config_svc_defaults(&sc, name, 0) == -1)
		ps.oom = true;
	if (config_svc_name_bad(name, why, sizeof(why)))
		config_perr(&ps, name_line, "%s%s", why, name_line == 0 ? " (set " LABELS_SERVICE
		            ")" : "");
	set_compose(&ps, src);
	for (size_t i = 0; i < src->n && !ps.oom; i++)
		set_label(&ps, &src->kv[i], (int)i + 1);
	ps.line = 0;
	sc.depends_on_line = config_key_line(&ps, "depends_on", false);
	/* Without compose's labels there is no definition: said once, not as "image is
	 * required". */
	if (src->project != NULL && src->service != NULL)
		config_check_service(&ps, &sc);
	if (ps.nerr > 0 || ps.oom)
		goto out;
	if ((v = realloc(cfg->svcs, (cfg->nsvcs + 1) * sizeof(*v))) == NULL)
		goto out;
	cfg->svcs = v;
	v[cfg->nsvcs++] = sc;
	memset(&sc, 0, sizeof(sc));
	/* Across services (upstream files, wake listeners, depends_on): with this one. */
	nwarn = cfg->warnings.n;
	config_check_services(&ps, cfg);
	warnings_cut(&cfg->warnings, nwarn);
	if (ps.nerr > 0 || ps.oom) {
		config_svc_free(&cfg->svcs[--cfg->nsvcs]);
		goto out;
	}
	rc = 0;
out:
	if (ps.oom)
		config_perr(&ps, 0, "out of memory");
	config_svc_free(&sc);
	free(ps.err_lines);
	where_free(where, src->n + 2);
	return rc;
}

/* a and b are containers of one compose service: with `--scale` they carry the same
 * labels, during a recreate the newest (first in the sources' order) is the service's. */
static bool
same_service(const struct label_src *a, const struct label_src *b)
{
	return a->project != NULL && b->project != NULL && a->service != NULL &&
	    b->service != NULL && strcmp(a->project, b->project) == 0 &&
	    strcmp(a->service, b->service) == 0;
}

static int
note(struct config_label_result *r, enum config_label_state st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
note(struct config_label_result *r, enum config_label_state st, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	r->state = st;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	n = strv_push(&r->msgs, msg);
	free(msg);
	return n;
}

int
config_labels_merge(struct config *cfg, const struct label_src *src, size_t n,
    struct config_label_result *res)
{
	size_t nfile = cfg->nsvcs;
	size_t *from = calloc(n + 1, sizeof(*from)); /* the source of each label service */
	int rc = 0;

	if (from == NULL)
		return -1;
	memset(res, 0, n * sizeof(*res));
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct config_errors errs = { 0 };
		const struct svc_conf *other;
		int line;
		const char *name = service_name(&src[i], &line);

		/* A name cut short is reported by read_source: the name is too long. */
		snprintf(res[i].service, sizeof(res[i].service), "%s", name);
		other = config_service(cfg, name);
		if (other != NULL && (size_t)(other - cfg->svcs) < nfile) {
			rc = note(&res[i], CONFIG_LABEL_SHADOWED, "container %s (%.12s): service %s is "
			    "also in %s (line %d): the file's wins, these labels are not used",
			    src[i].name, src[i].id, name, cfg->path, other->line);
			continue;
		}
		if (other != NULL) {
			size_t j = from[other - cfg->svcs - nfile];

			if (same_service(&src[i], &src[j]))
				continue; /* src[j]'s service (doc/labels.md, "Conflicts") */
			rc = note(&res[i], CONFIG_LABEL_DUPLICATE, "container %s (%.12s): service %s "
			    "is also declared by container %s (%.12s): the first listed wins, these "
			    "labels are not used", src[i].name, src[i].id, name, src[j].name,
			    src[j].id);
			continue;
		}
		if (read_source(cfg, &src[i], name, line, &errs) == 0)
			from[cfg->nsvcs - 1 - nfile] = i;
		else
			res[i].state = CONFIG_LABEL_BAD;
		for (size_t k = 0; k < errs.n && rc == 0; k++)
			rc = strv_push(&res[i].msgs, errs.msg[k]);
		if (res[i].state == CONFIG_LABEL_BAD && errs.n == 0)
			rc = -1; /* out of memory before a message could be made */
		config_errors_free(&errs);
	}
	free(from);
	return rc;
}

void
config_labels_results_free(struct config_label_result *res, size_t n)
{
	for (size_t i = 0; res != NULL && i < n; i++)
		strv_free(&res[i].msgs);
}
