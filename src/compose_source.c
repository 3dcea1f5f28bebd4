/* compose_source.c: a compose service's definition kept in step with docker-compose's
 * container (doc/compose.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "compose.h"
#include "compose_source.h"
#include "ctrdef.h"
#include "dockscaled.h"
#include "log.h"
#include "service.h"

static void lookup_done(struct compose_source *cs);

static struct compose_source *
cs_of(const struct svc *s)
{
	return svc_ext(s, &compose_source_feature);
}

bool
compose_source_wanted(const struct svc_conf *c)
{
	return c != NULL && c->compose_project != NULL && c->compose_project[0] != '\0' &&
	    c->compose_service != NULL && c->compose_service[0] != '\0';
}

static void
cancel(struct compose_source *cs)
{
	struct dsd *d = cs->svc != NULL ? cs->svc->d : NULL;

	if (d != NULL && d->docker != NULL && cs->busy)
		docker_cancel_arg(d->docker, cs);
	cs->busy = false;
}

/* Start-up and reload: follow the service's compose keys and look the container up. */
static void
apply(struct svc *s, bool first)
{
	struct compose_source *cs = cs_of(s);
	const struct svc_conf *c = s->conf;

	(void)first;
	cs->svc = s;
	if (!compose_source_wanted(c)) {
		/* Back to a [service] definition (service.c built it). */
		cancel(cs);
		memset(cs, 0, sizeof(*cs));
		cs->svc = s;
		return;
	}
	if (cs->state == CS_OFF || strcmp(cs->project, c->compose_project) != 0 ||
	    strcmp(cs->service, c->compose_service) != 0) {
		cancel(cs);
		memset(cs, 0, sizeof(*cs));
		cs->svc = s;
		cs->state = CS_LOOKING;
		/* Bounded by config_keys.c (COMPOSE_NAME_MAX). */
		snprintf(cs->project, sizeof(cs->project), "%s", c->compose_project);
		snprintf(cs->service, sizeof(cs->service), "%s", c->compose_service);
		snprintf(cs->why, sizeof(cs->why), "definition: looking up compose container %s/%s",
		    cs->project, cs->service);
		svc_set_def(s, NULL); /* another source's definition is not this one's */
	}
	/* A reload looks again: `network` may have changed what the definition joins. */
	compose_source_lookup(s);
}

/* No definition now: no replica can be created; the ones there keep serving. */
static void
lose(struct compose_source *cs, enum compose_state st, const char *why)
{
	struct svc *s = cs->svc;

	if (cs->state != st || strcmp(cs->why, why) != 0)
		log_warning("%s: %s; no replica can be created until it is back (the %d running "
		    "keep serving)", s->name, why, svc_current(s));
	cs->state = st;
	snprintf(cs->why, sizeof(cs->why), "%s", why);
	cs->id[0] = cs->name[0] = '\0';
	svc_set_def(s, NULL);
}

static void
found(struct compose_source *cs, const struct compose_ctr *c, cJSON *def, const char *net,
    int extra)
{
	struct svc *s = cs->svc;
	bool same_ctr = cs->state == CS_FOUND && strcmp(cs->id, c->id) == 0;

	if (!same_ctr) {
		log_notice("%s: definition from compose container %s (%.12s, %s%s)", s->name,
		    c->name, c->id, c->running ? "running" : "not running",
		    c->candidates > 1 ? ", the lowest container-number" : "");
		if (extra > 0)
			log_warning("%s: compose container %s is on %d more network(s); replicas "
			    "join %s only", s->name, c->name, extra, net);
	}
	cs->state = CS_FOUND;
	cs->why[0] = '\0';
	memcpy(cs->id, c->id, sizeof(cs->id));
	memcpy(cs->name, c->name, sizeof(cs->name));
	snprintf(cs->network, sizeof(cs->network), "%s", net); /* same bound */
	if (s->def != NULL && cJSON_Compare(s->def, def, true)) {
		cJSON_Delete(def);
		return;
	}
	cs->generation++;
	cs->since_ms = loop_now(&s->d->loop);
	if (cs->generation > 1)
		log_notice("%s: definition #%llu taken from compose container %s: new replicas "
		    "are created from it", s->name, (unsigned long long)cs->generation, c->name);
	svc_set_def(s, def);
}

static void
on_inspect(void *arg, const struct docker_reply *r, const char *body, size_t len)
{
	struct compose_source *cs = arg;
	struct svc *s = cs->svc;
	const struct compose_ctr *c = &cs->pending;
	char net[DOCKER_NETWORK_MAX + 1], why[200], msg[sizeof(cs->why)];
	int extra = 0;
	cJSON *def;

	(void)len;
	cs->busy = false;
	if (!r->ok) {
		/* Gone between the list and the inspect (compose recreating it): again. */
		if (r->status == 404)
			cs->again = true;
		goto out;
	}
	def = compose_def(body, s->conf != NULL ? s->conf->network : NULL, net, sizeof(net),
	    &extra, why, sizeof(why));
	if (def == NULL) {
		/* A reason cut short is still a reason. */
		if (snprintf(msg, sizeof(msg), "definition: compose container %s unusable: %s",
		    c->name, why) >= (int)sizeof(msg))
			log_debug("%s: reason cut to %zu bytes", s->name, sizeof(msg) - 1);
		lose(cs, CS_UNUSABLE, msg);
		goto out;
	}
	found(cs, c, def, net, extra);
out:
	lookup_done(cs);
}

static void
on_list(void *arg, const struct docker_reply *r, const char *body, size_t len)
{
	struct compose_source *cs = arg;
	struct svc *s = cs->svc;
	char msg[sizeof(cs->why)];
	int rc;

	(void)len;
	cs->busy = false;
	if (!r->ok)
		goto out; /* docker.c logged it; the definition stays what it was */
	rc = compose_pick(body, cs->project, cs->service, &cs->pending);
	if (rc == -1) {
		log_warning("%s: malformed container list looking up compose %s/%s", s->name,
		    cs->project, cs->service);
	} else if (rc == 0) {
		snprintf(msg, sizeof(msg), "definition: waiting for compose container %s/%s",
		    cs->project, cs->service);
		lose(cs, CS_MISSING, msg);
	} else if (docker_inspect_body(s->d->docker, cs->pending.id, on_inspect, cs) == 0) {
		cs->busy = true;
		return;
	}
out:
	lookup_done(cs);
}

static void
lookup_done(struct compose_source *cs)
{
	if (cs->again && !cs->busy) {
		cs->again = false;
		compose_source_lookup(cs->svc);
	}
	svc_kick(cs->svc);
}

void
compose_source_lookup(struct svc *s)
{
	struct compose_source *cs = cs_of(s);

	if (cs->state == CS_OFF || s->d->docker == NULL)
		return;
	if (cs->busy) {
		cs->again = true;
		return;
	}
	if (docker_compose_list(s->d->docker, cs->project, cs->service, on_list, cs) == 0)
		cs->busy = true;
}

/* The network replicas are reached on: `network`, else the compose container's. */
static const char *
network(const struct svc *s)
{
	const struct svc_conf *c = s->conf;

	if (c != NULL && c->network != NULL && c->network[0] != '\0')
		return c->network;
	return cs_of(s)->state != CS_OFF ? cs_of(s)->network : "";
}

/* Replicas of a compose service are reached at their container IP on the network they
 * joined, known even before the compose container is found (svc_by_ip adds `network`). */
static bool
by_ip(const struct svc *s)
{
	return cs_of(s)->state != CS_OFF;
}

static const char *
blocked(const struct svc *s)
{
	return cs_of(s)->state != CS_OFF ? cs_of(s)->why : NULL;
}

const char *
compose_source_blocked(const struct svc *s)
{
	if (s->def != NULL)
		return NULL;
	return cs_of(s)->state != CS_OFF ? cs_of(s)->why : "no container definition (see the log)";
}

bool
compose_source_pending(const struct svc *s)
{
	return cs_of(s)->state == CS_LOOKING;
}

static const char *const state_names[] = {
	[CS_OFF] = "config", [CS_LOOKING] = "looking", [CS_FOUND] = "found",
	[CS_MISSING] = "waiting", [CS_UNUSABLE] = "unusable",
};

/* The "definition" object of the status API. */
static void
status(const struct svc *s, cJSON *parent, int64_t now)
{
	const struct compose_source *cs = cs_of(s);
	cJSON *o = cJSON_AddObjectToObject(parent, "definition");
	const char *image = ctrdef_image(s->def);

	if (o == NULL)
		return;
	cJSON_AddStringToObject(o, "source", cs->state == CS_OFF ? "config" : "compose");
	if (image != NULL)
		cJSON_AddStringToObject(o, "image", image);
	else
		cJSON_AddNullToObject(o, "image");
	if (compose_source_blocked(s) != NULL)
		cJSON_AddStringToObject(o, "reason", compose_source_blocked(s));
	if (cs->state == CS_OFF)
		return;
	cJSON_AddStringToObject(o, "state", state_names[cs->state]);
	cJSON_AddStringToObject(o, "project", cs->project);
	cJSON_AddStringToObject(o, "service", cs->service);
	cJSON_AddStringToObject(o, "container", cs->name);
	cJSON_AddStringToObject(o, "container_id", cs->id);
	cJSON_AddStringToObject(o, "network", network(s));
	cJSON_AddNumberToObject(o, "generation", (double)cs->generation);
	cJSON_AddNumberToObject(o, "age_ms", cs->generation > 0 ?
	    (double)(now - cs->since_ms) : 0.0);
}

static void *
init(struct svc *s)
{
	struct compose_source *cs = calloc(1, sizeof(*cs));

	if (cs != NULL)
		cs->svc = s;
	return cs;
}

static void
fini(struct svc *s, void *state)
{
	(void)s;
	cancel(state);
	free(state);
}

static void
observe(struct svc *s)
{
	compose_source_lookup(s); /* each pass: compose may have recreated it */
}

const struct svc_feature compose_source_feature = {
	.name = "compose_source",
	.init = init,
	.fini = fini,
	.conf = apply,
	.owns_def = compose_source_wanted,
	.observe = observe,
	.blocked = blocked,
	.by_ip = by_ip,
	.status = status,
};
