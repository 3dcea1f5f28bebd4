/* pull.c: a service's image from its registry: checked, pulled, its outcome kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "ctrdef.h"
#include "docker_image.h"
#include "dockscaled.h"
#include "log.h"
#include "pull.h"
#include "replica.h"
#include "service.h"

_Static_assert(sizeof(((struct pull *)0)->last_error) <=
    sizeof(((struct docker_reply *)0)->error), "pull error bound");

static struct pull *
pl_of(const struct svc *s)
{
	return svc_ext(s, &pull_feature);
}

const struct pull *
pull_of(const struct svc *s)
{
	return pl_of(s);
}

const char *
pull_policy_name(enum pull_policy p)
{
	static const char *const names[] = { "missing", "always", "never" };

	return (unsigned)p < sizeof(names) / sizeof(names[0]) ? names[p] : "?";
}

static const char *
phase_name(enum pull_phase ph)
{
	return ph == PULL_CHECKING ? "checking" : ph == PULL_PULLING ? "pulling" : "idle";
}

/* Whatever is in flight is abandoned silently: the engine finishes the pull. */
static void
cancel(struct svc *s)
{
	if (s->d->docker != NULL)
		docker_cancel_arg(s->d->docker, pl_of(s));
	pl_of(s)->phase = PULL_IDLE;
}

/* The image cannot be had now: a failed start (counted, logged once, backed off). */
static void
fail(struct svc *s, const char *why)
{
	replica_start_failed(s, NULL, why);
	svc_kick(s);
}

static void on_checked(void *arg, const struct docker_reply *r, const char *id);

static void
on_pulled(void *arg, const struct docker_reply *r)
{
	struct pull *p = arg;
	struct svc *s = p->svc;
	struct timespec now;
	char why[sizeof(p->last_error) + DOCKER_IMAGE_MAX + 32];

	p->phase = PULL_IDLE;
	p->have_last = true;
	p->last_ok = r->ok;
	p->last_ms = loop_now(&s->d->loop) - p->started_ms;
	clock_gettime(CLOCK_REALTIME, &now);
	p->last_end_unix = (int64_t)now.tv_sec;
	if (r->ok) {
		p->ok_total++;
		p->present = true;
		p->last_error[0] = '\0';
		log_info("%s: pulled %s in %lldms", s->name, p->image, (long long)p->last_ms);
		/* What the tag names now: the ID may have changed under the same reference. */
		if (docker_image_inspect(s->d->docker, p->image, on_checked, p) == 0) {
			p->phase = PULL_CHECKING;
			p->resolving = true;
		}
		svc_kick(s);
		return;
	}
	p->failed_total++;
	snprintf(p->last_error, sizeof(p->last_error), "%s", r->error);
	snprintf(why, sizeof(why), "pull of %s failed: %s", p->image, r->error);
	fail(s, why);
}

static int
start_pull(struct svc *s)
{
	struct pull *p = pl_of(s);
	struct docker_ref ref;
	char auth[REGAUTH_HEADER_MAX + 1];
	int has_auth, rc;

	if (docker_ref_split(p->image, &ref) == -1)
		return -1;
	/* The entry of the image's registry host, if the auth file has one. */
	has_auth = regauth_header(&s->d->cfg.regauth, ref.host, auth, sizeof(auth));
	rc = docker_image_pull(s->d->docker, p->image, has_auth == 1 ? auth : NULL,
	    s->d->cfg.pull_timeout_ms, on_pulled, p);
	explicit_bzero(auth, sizeof(auth));
	if (rc == -1)
		return -1;
	p->phase = PULL_PULLING;
	p->started_ms = loop_now(&s->d->loop);
	log_info("%s: pulling %s from %s%s (pull = %s)", s->name, p->image, ref.host,
	    has_auth == 1 ? " with credentials" : "", pull_policy_name(s->conf->pull));
	return 0;
}

static void
on_checked(void *arg, const struct docker_reply *r, const char *id)
{
	struct pull *p = arg;
	struct svc *s = p->svc;
	char why[sizeof(r->error) + DOCKER_IMAGE_MAX + 64];

	p->phase = PULL_IDLE;
	if (p->eager) {
		/* Only learning the id: an absent image is pulled (or refused) when a replica
		 * needs it, not now; a failed check is asked again later. */
		p->eager = false;
		p->checked = r->ok || r->status == 404;
		if (r->ok)
			p->present = true;
		if (r->ok && strcmp(p->image_id, id) != 0) {
			log_info("%s: %s is image %.19s", s->name, p->image, id);
			snprintf(p->image_id, sizeof(p->image_id), "%s", id);
			svc_image_changed(s);
		} else if (r->status == 404 && p->image_id[0] != '\0') {
			p->image_id[0] = '\0';
			svc_image_changed(s);
		}
		svc_kick(s);
		return;
	}
	if (r->ok || p->resolving) {
		/* After a pull the image is there even if its inspect failed: never pull in a
		 * loop; its id stays unknown then. */
		p->resolving = false;
		p->present = true;
		p->checked = true;
		if (r->ok && strcmp(p->image_id, id) != 0) {
			log_info("%s: %s is image %.19s", s->name, p->image, id);
			snprintf(p->image_id, sizeof(p->image_id), "%s", id);
			svc_image_changed(s); /* a new image behind the reference: a new generation */
		}
		svc_kick(s);
		return;
	}
	p->checked = r->status == 404;
	if (r->status != 404) {
		snprintf(why, sizeof(why), "checking image %s: %s", p->image, r->error);
		fail(s, why);
	} else if (s->conf == NULL || s->conf->pull == PULL_NEVER) {
		snprintf(why, sizeof(why), "image %s is not on the engine and pull = never",
		    p->image);
		fail(s, why);
	} else if (start_pull(s) == -1) {
		snprintf(why, sizeof(why), "cannot start the pull of %s", p->image);
		fail(s, why);
	}
}

/* Follow the definition's image: a new reference starts from "unknown". */
static const char *
track_image(struct svc *s)
{
	struct pull *p = pl_of(s);
	const char *img = ctrdef_image(s->def);

	if (img == NULL)
		return NULL;
	if (strcmp(p->image, img) != 0) {
		cancel(s); /* a check or pull of the old image is of no use now */
		p->present = false;
		p->resolving = false;
		p->eager = false;
		p->checked = false;
		p->image_id[0] = '\0';
		snprintf(p->image, sizeof(p->image), "%s", img);
	}
	return img;
}

int
pull_request(struct svc *s)
{
	struct pull *p = pl_of(s);

	if (track_image(s) == NULL || s->d->docker == NULL || s->d->stopping)
		return -1;
	if (p->phase == PULL_PULLING)
		return 0;
	if (s->d->dry_run) {
		log_notice("%s: dry-run: would pull %s", s->name, p->image);
		return -1;
	}
	if (p->phase == PULL_CHECKING)
		cancel(s);
	p->present = false;
	p->resolving = false;
	p->eager = false;
	if (start_pull(s) == -1) {
		fail(s, "cannot start the image pull");
		return -1;
	}
	return 0;
}

/* The definition was (re)built at load or reload: `always` pulls now. */
static void
pull_conf(struct svc *s)
{
	if (track_image(s) == NULL || s->conf == NULL)
		return;
	/* always: once per load or reload (the tag may have moved while the file did not),
	 * never before each replica. */
	if (s->conf->pull == PULL_ALWAYS)
		(void)pull_request(s);
}

void
pull_resolve(struct svc *s)
{
	struct pull *p = pl_of(s);

	if (track_image(s) == NULL || s->d->docker == NULL || s->d->stopping ||
	    p->phase != PULL_IDLE)
		return;
	if (docker_image_inspect(s->d->docker, p->image, on_checked, p) == -1)
		return; /* asked again at the next pass (rollout_pass) */
	p->phase = PULL_CHECKING;
	p->eager = true;
}

bool
pull_resolved(const struct svc *s)
{
	const char *img = ctrdef_image(s->def);

	return img != NULL && pl_of(s)->checked && strcmp(pl_of(s)->image, img) == 0;
}

/* May a replica be created now? False while the image is checked or pulled (the
 * service is kicked when that ends) or when it cannot be had (a failed start, counted). */
static bool
pull_ready(struct svc *s)
{
	struct pull *p = pl_of(s);

	if (track_image(s) == NULL || s->conf == NULL)
		return true; /* replica_launch reports the missing definition */
	if (p->phase != PULL_IDLE)
		return false; /* the replica waits for it; the loop does not */
	if (p->present)
		return true;
	if (s->conf->pull == PULL_ALWAYS) {
		(void)pull_request(s);
		return false;
	}
	/* missing and never: ask the engine first (GET /images/{ref}/json). */
	if (docker_image_inspect(s->d->docker, p->image, on_checked, p) == -1) {
		fail(s, "cannot check the image on the engine");
		return false;
	}
	p->phase = PULL_CHECKING;
	return false;
}

/* A create answered "No such image": check (and pull) again before the next one. */
static void
pull_forget(struct svc *s)
{
	pl_of(s)->present = false;
}

const char *
pull_image_id(const struct svc *s)
{
	return pl_of(s)->image_id;
}

/* The "pull" object of the status API. */
static void
status(const struct svc *s, cJSON *parent, int64_t now)
{
	const struct pull *p = pl_of(s);
	cJSON *o = cJSON_AddObjectToObject(parent, "pull");

	if (o == NULL)
		return;
	cJSON_AddStringToObject(o, "policy", s->conf != NULL ? pull_policy_name(s->conf->pull) :
	    "?");
	cJSON_AddStringToObject(o, "image", p->image);
	cJSON_AddStringToObject(o, "state", phase_name(p->phase));
	cJSON_AddBoolToObject(o, "image_present", p->present);
	if (p->image_id[0] != '\0')
		cJSON_AddStringToObject(o, "image_id", p->image_id);
	else
		cJSON_AddNullToObject(o, "image_id");
	if (p->phase == PULL_PULLING)
		cJSON_AddNumberToObject(o, "pulling_for_ms", (double)(now - p->started_ms));
	if (p->have_last) {
		cJSON_AddStringToObject(o, "last_result", p->last_ok ? "ok" : "failed");
		cJSON_AddNumberToObject(o, "last_time", (double)p->last_end_unix);
		cJSON_AddNumberToObject(o, "last_duration_ms", (double)p->last_ms);
	} else {
		cJSON_AddNullToObject(o, "last_result");
	}
	if (p->have_last && !p->last_ok)
		cJSON_AddStringToObject(o, "last_error", p->last_error);
	cJSON_AddNumberToObject(o, "pulls_ok_total", (double)p->ok_total);
	cJSON_AddNumberToObject(o, "pulls_failed_total", (double)p->failed_total);
}

static void *
init(struct svc *s)
{
	struct pull *p = calloc(1, sizeof(*p));

	if (p != NULL)
		p->svc = s;
	return p;
}

static void
fini(struct svc *s, void *state)
{
	cancel(s);
	free(state);
}

/* Load: `always` pulls; a reload also asks what the reference is now (a moved tag is a
 * new generation). */
static void
on_conf(struct svc *s, bool first)
{
	pull_conf(s);
	if (!first)
		pull_resolve(s);
}

/* A new definition: its image, pulled (pull = always) or checked. */
static void
on_def(struct svc *s)
{
	pull_conf(s);
	pull_resolve(s);
}

const struct svc_feature pull_feature = {
	.name = "pull",
	.init = init,
	.fini = fini,
	.conf = on_conf,
	.def_changed = on_def,
	.may_create = pull_ready,
	.no_image = pull_forget,
	.status = status,
};
