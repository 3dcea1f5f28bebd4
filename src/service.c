/* service.c: a service's life: made from its configuration, reloaded, given a new
 * definition, freed; its features' state with it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ctrdef.h"
#include "dockscaled.h"
#include "log.h"
#include "runtime.h"
#include "runtime_containers.h"
#include "service.h"

struct svc *
svc_new(struct dsd *d, const struct svc_conf *conf)
{
	struct svc *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->d = d;
	snprintf(s->name, sizeof(s->name), "%s", conf->name);
	s->conf = conf;
	/* A feature may supply it (a compose service: when its container is found). */
	s->def = svc_owns_def(d, conf) ? NULL : ctrdef_build(conf);
	/* The runtime's own state (s->rt), if it keeps any per service. */
	if (svc_runtime(s)->svc_init != NULL && (s->rt = svc_runtime(s)->svc_init(s)) == NULL)
		goto fail;
	scale_init(s);
	svc_base_init(s);
	metric_init(s);
	reqstat_svc_init(s);
	if (traffic_init(s) == -1)
		goto fail;
	/* Each feature's own state (svc_ext), in registration order. */
	for (size_t i = 0; i < svc_features(d); i++) {
		const struct svc_feature *f = svc_feature_at(d, i);

		if (f->init != NULL && (s->ext[i] = f->init(s)) == NULL) {
			log_err("%s: out of memory for its %s", s->name, f->name);
			goto fail;
		}
	}
	svc_conf_changed(s, true); /* e.g. the compose container looked up */
	return s;
fail:
	svc_free(s);
	return NULL;
}

struct svc *
svc_find(const struct dsd *d, const char *name)
{
	for (size_t i = 0; i < d->nsvcs; i++)
		if (strcmp(d->svcs[i]->name, name) == 0)
			return d->svcs[i];
	return NULL;
}

void
svc_free(struct svc *s)
{
	if (s == NULL)
		return;
	svc_base_fini(s);
	if (s->rt != NULL && svc_runtime(s)->svc_fini != NULL)
		svc_runtime(s)->svc_fini(s);
	metric_fini(s);
	traffic_fini(s); /* a balancer read in flight goes with it (include/lb.h) */
	for (size_t i = svc_features(s->d); i-- > 0;)
		if (s->ext[i] != NULL && svc_feature_at(s->d, i)->fini != NULL)
			svc_feature_at(s->d, i)->fini(s, s->ext[i]);
	cJSON_Delete(s->def);
	for (size_t i = 0; i < s->nreps; i++)
		replica_free(s->reps[i]);
	free(s->reps);
	free(s);
}

void
svc_set_conf(struct svc *s, const struct svc_conf *conf)
{
	s->conf = conf;
	if (conf == NULL)
		return;
	/* A compose service keeps its definition until the source answers again. */
	if (!svc_owns_def(s->d, conf)) {
		cJSON_Delete(s->def);
		s->def = ctrdef_build(conf);
	}
	/* New bounds apply at once; the decision windows and cooldowns carry over, and so
	 * does a pause (doc/api.md, "Pause and manual scale"). */
	if (s->desired_set)
		svc_set_desired(s, s->desired, NULL);
	/* Each feature follows: the compose container looked up again, the image checked
	 * (a moved tag is a new generation), a pause's held count within the new bounds,
	 * the wake listener moved. */
	svc_conf_changed(s, false);
	metric_conf(s);
	scale_conf(s);
	svc_names_free(s);
	traffic_changed(s); /* upstream_file or upstream_name may have changed */
	svc_kick(s);
}

void
svc_set_def(struct svc *s, cJSON *def)
{
	if (def == s->def)
		return;
	cJSON_Delete(s->def);
	s->def = def;
	svc_def_changed(s); /* e.g. its image checked, a new generation rolled out */
	if (def != NULL)
		svc_kick(s); /* a creation may have been waiting for it */
}

bool
svc_event(struct svc *s, const struct docker_event *ev)
{
	struct replica *r = runtime_containers_find(s, ev->id);

	if (r != NULL) {
		replica_event(r, ev->action);
		return true;
	}
	/* Our own create, its answer not in yet; a destroy needs no place. */
	return runtime_containers_creating(s, ev->name) || strcmp(ev->action, "destroy") == 0;
}

