/* rollout.c: rolling updates: a service's generation, its rollout state and its failure
 * and rollback rules (doc/rollouts.md). The planner (plan.c) decides which
 * replica to create or retire; this file tells it what is current and what failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "ctrdef.h"
#include "dockscaled.h"
#include "log.h"
#include "plan.h"
#include "pull.h"
#include "replica.h"
#include "rollout.h"
#include "service.h"

static struct rollout *
ro_of(const struct svc *s)
{
	return svc_ext(s, &rollout_feature);
}

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t
fnv(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= FNV_PRIME;
	}
	return h;
}

uint64_t
rollout_hash(const cJSON *def, const char *image_id, uint64_t restart)
{
	char *text = def != NULL ? cJSON_PrintUnformatted(def) : NULL;
	char salt[32];
	uint64_t h = FNV_OFFSET;

	/* cJSON prints members in insertion order, and ctrdef builds them in a fixed
	 * order: the same definition gives the same text. */
	h = fnv(h, text != NULL ? text : "");
	h = fnv(h, "\n");
	h = fnv(h, image_id != NULL ? image_id : "");
	snprintf(salt, sizeof(salt), "\n%016llx", (unsigned long long)restart);
	h = fnv(h, salt);
	free(text);
	return h != 0 ? h : 1;
}

const char *
rollout_state_name(enum rollout_state st)
{
	switch (st) {
	case ROLLOUT_ROLLING:
		return "rolling";
	case ROLLOUT_FAILED:
		return "failed";
	case ROLLOUT_ROLLED_BACK:
		return "rolled_back";
	default:
		return "idle";
	}
}

void
rollout_define(struct svc *s)
{
	struct rollout *ro = ro_of(s);
	uint64_t gen;

	/* No definition (a compose source that went away): nothing new to roll to, and
	 * the replicas of the last one are still current. */
	if (s->def == NULL)
		return;
	gen = rollout_hash(s->def, pull_image_id(s), ro->restart);
	if (gen == ro->gen)
		return;
	if (ro->gen != 0)
		log_info("%s: definition generation %016llx -> %016llx", s->name,
		    (unsigned long long)ro->gen, (unsigned long long)gen);
	ro->gen = gen;
	/* A new definition is a new chance: a failure of the old one is history. */
	if (ro->state == ROLLOUT_FAILED || ro->state == ROLLOUT_ROLLED_BACK)
		ro->state = ROLLOUT_IDLE;
	if (ro->state == ROLLOUT_ROLLING)
		ro->failures = 0;
	svc_kick(s);
}

void
rollout_request(struct svc *s, bool restart)
{
	struct rollout *ro = ro_of(s);

	ro->failed_gen = 0;
	if (ro->state == ROLLOUT_FAILED || ro->state == ROLLOUT_ROLLED_BACK)
		ro->state = ROLLOUT_IDLE;
	if (restart) {
		uint64_t salt = 0;

		if (getrandom(&salt, sizeof(salt), GRND_NONBLOCK) != (ssize_t)sizeof(salt))
			salt = (uint64_t)time(NULL) ^ (uint64_t)loop_clock_us() << 20;
		ro->restart = salt != 0 ? salt : 1;
		ro->gen = 0; /* forces rollout_define to take the new one */
	}
	events_log(&s->d->events, LOG_NOTICE, EV_ROLLOUT, s->name, "%s: rollout requested%s", s->name, restart ? " (restart every replica)" : "");
	rollout_define(s);
	/* The reference again: a tag that moved is a new generation (pull = always pulls
	 * it first). */
	if (s->conf != NULL && s->conf->pull == PULL_ALWAYS)
		(void)pull_request(s);
	else
		pull_resolve(s);
	svc_kick(s);
}

/* Replicas created for a restart request, with today's definition: that request is the
 * current generation, so a restarted daemon finishes it rather than starting another. */
static void
adopt_restart(struct svc *s)
{
	struct rollout *ro = ro_of(s);

	for (size_t i = 0; i < s->nreps; i++) {
		const struct replica *r = s->reps[i];

		if (r->restart == 0 || r->restart == ro->restart || r->generation == 0 ||
		    s->def == NULL ||
		    rollout_hash(s->def, pull_image_id(s), r->restart) != r->generation)
			continue;
		ro->restart = r->restart;
		ro->gen = r->generation;
		log_info("%s: continuing the restart rollout %016llx", s->name,
		    (unsigned long long)ro->gen);
		return;
	}
}

/* The replica's generation for the planner: an unlabelled one counts as current. */
static uint64_t
generation_of(const struct svc *s, const struct replica *r)
{
	/* Until the image ID is known the generation is not: nothing is outdated. */
	if (!pull_resolved(s))
		return 0;
	return r->generation != 0 ? r->generation : ro_of(s)->gen;
}

static bool
present(const struct replica *r)
{
	return r->state == REP_CREATING || r->state == REP_STARTING || r->state == REP_READY;
}

/* Present replicas carry two generation labels or more: a rollout may be under way. */
static bool
two_generations(const struct svc *s)
{
	uint64_t gen = 0;

	for (size_t i = 0; i < s->nreps; i++) {
		const struct replica *r = s->reps[i];

		if (!present(r) || r->generation == 0)
			continue;
		if (gen != 0 && r->generation != gen)
			return true;
		gen = r->generation;
	}
	return false;
}

/* Each pass: update the state from the replica table and fill the planner's rollout
 * inputs (generation, surge, min_healthy, rollback) and each replica's generation. */
static void
plan(struct svc *s, struct plan_input *in, struct plan_replica *view)
{
	struct rollout *ro = ro_of(s);
	const struct svc_conf *c = s->conf;
	int outdated = 0, updated = 0;
	const struct replica *old = NULL;

	/* The planner's view first, with the generation as it stands before this pass. */
	for (size_t i = 0; i < s->nreps; i++)
		view[i].generation = generation_of(s, s->reps[i]);
	if (c != NULL) {
		in->surge = c->rollout_surge;
		in->min_healthy_ms = c->rollout_min_healthy_ms;
	}
	if (!pull_resolved(s)) {
		pull_resolve(s); /* a check that failed is asked again */
		in->generation = 0;
		/* Every replica counts as current until then; after a restart mid-rollout
		 * (desired the rollout's count, the surge still running) a scale-down now
		 * would take the newest, a new replica, maybe still in what the balancer
		 * runs (doc/replicas.md, "Restart safety"): wait for the generation. */
		if (two_generations(s))
			in->down_blocked = "the current definition's generation is not known "
			    "yet (its image is being checked)";
		return;
	}
	if (ro->state == ROLLOUT_IDLE)
		adopt_restart(s);
	for (size_t i = 0; i < s->nreps; i++) {
		const struct replica *r = s->reps[i];

		if (!present(r))
			continue;
		if (generation_of(s, r) == ro->gen) {
			updated++;
		} else {
			outdated++;
			old = r;
		}
	}
	if (ro->state == ROLLOUT_IDLE && outdated > 0 && ro->gen != 0) {
		ro->state = ROLLOUT_ROLLING;
		ro->from_gen = generation_of(s, old);
		ro->failures = 0;
		ro->started = (int64_t)time(NULL);
		ro->reason[0] = '\0';
		snprintf(ro->from_image, sizeof(ro->from_image), "%s", old->image);
		events_log(&s->d->events, LOG_NOTICE, EV_ROLLOUT, s->name, "%s: rolling out generation %016llx (%s) over %d replica(s) of "
		    "%016llx", s->name, (unsigned long long)ro->gen,
		    ctrdef_image(s->def) != NULL ? ctrdef_image(s->def) : "?", outdated,
		    (unsigned long long)ro->from_gen);
	} else if (ro->state == ROLLOUT_ROLLING && outdated == 0) {
		ro->state = ROLLOUT_IDLE;
		ro->completed++;
		events_log(&s->d->events, LOG_NOTICE, EV_ROLLOUT, s->name, "%s: rollout of %016llx complete: %d replica(s) updated", s->name,
		    (unsigned long long)ro->gen, updated);
	} else if (ro->state == ROLLOUT_FAILED && updated == 0) {
		ro->state = ROLLOUT_ROLLED_BACK;
		events_log(&s->d->events, LOG_NOTICE, EV_ROLLOUT, s->name, "%s: rolled back: %d replica(s) of %016llx serve", s->name, outdated,
		    (unsigned long long)ro->from_gen);
	}
	in->generation = ro->gen;
	in->rollback = ro->failed_gen != 0 && ro->failed_gen == ro->gen;
}

/* A replica of the generation being rolled out failed to start, or left before it had
 * served rollout_min_healthy. */
static void
replica_lost(struct replica *r, const char *why)
{
	struct svc *s = r->svc;
	struct rollout *ro = ro_of(s);
	const struct svc_conf *c = s->conf;

	if (ro->state != ROLLOUT_ROLLING || r->generation != ro->gen || c == NULL)
		return;
	/* A replica that served rollout_min_healthy did its part: a later exit is an
	 * ordinary replacement, not a failed rollout. */
	if (r->ready_ms != 0 && loop_now(&s->d->loop) - r->ready_ms >= c->rollout_min_healthy_ms)
		return;
	ro->failures++;
	events_log(&s->d->events, LOG_WARNING, EV_ROLLOUT, s->name, "%s: new replica %s failed during the rollout (%s): %d of %d failure(s) "
	    "allowed", s->name, r->name, why, ro->failures, c->rollout_max_failures);
	if (ro->failures < c->rollout_max_failures)
		return;
	ro->state = ROLLOUT_FAILED;
	ro->failed_gen = ro->gen;
	ro->failed++;
	snprintf(ro->reason, sizeof(ro->reason), "replica %s: %s", r->name, why);
	events_log(&s->d->events, LOG_ERR, EV_ROLLOUT, s->name, "%s: rollout of %016llx failed (%s); rolling back to %016llx, whose replicas "
	    "keep serving", s->name, (unsigned long long)ro->gen, ro->reason,
	    (unsigned long long)ro->from_gen);
	svc_kick(s);
}

/* The surge of a rollout is not capacity to count. */
static int
policy_count(const struct svc *s, int current)
{
	return ro_of(s)->state == ROLLOUT_ROLLING && current > s->desired ? s->desired : current;
}

int
rollout_policy_count(const struct svc *s)
{
	return policy_count(s, svc_current(s));
}

/* The status API's "rollout" object. */
static void
status(const struct svc *s, cJSON *parent, int64_t now)
{
	const struct rollout *ro = ro_of(s);
	cJSON *o = cJSON_AddObjectToObject(parent, "rollout");
	char hex[17];
	int updated = 0;

	(void)now;
	if (o == NULL)
		return;
	for (size_t i = 0; i < s->nreps; i++)
		updated += present(s->reps[i]) && generation_of(s, s->reps[i]) == ro->gen;
	cJSON_AddStringToObject(o, "state", rollout_state_name(ro->state));
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)ro->gen);
	cJSON_AddStringToObject(o, "generation", hex);
	cJSON_AddStringToObject(o, "image", ctrdef_image(s->def) != NULL ? ctrdef_image(s->def) : "");
	if (ro->state != ROLLOUT_IDLE || ro->started != 0) {
		snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)ro->from_gen);
		cJSON_AddStringToObject(o, "from_generation", hex);
		cJSON_AddStringToObject(o, "from_image", ro->from_image);
		cJSON_AddNumberToObject(o, "started", (double)ro->started);
	}
	cJSON_AddNumberToObject(o, "updated", updated);
	cJSON_AddNumberToObject(o, "total", s->desired);
	cJSON_AddNumberToObject(o, "failures", ro->failures);
	if (ro->reason[0] != '\0')
		cJSON_AddStringToObject(o, "reason", ro->reason);
	else
		cJSON_AddNullToObject(o, "reason");
}

void
rollout_metrics(struct buf *b, const struct dsd *d)
{
	buf_printf(b, "# HELP dockscale_rollouts_total Rollouts by result.\n"
	    "# TYPE dockscale_rollouts_total counter\n");
	for (size_t i = 0; i < d->nsvcs; i++) {
		const struct rollout *ro = ro_of(d->svcs[i]);

		buf_printf(b, "dockscale_rollouts_total{service=\"%s\",result=\"completed\"} "
		    "%llu\n", d->svcs[i]->name, (unsigned long long)ro->completed);
		buf_printf(b, "dockscale_rollouts_total{service=\"%s\",result=\"failed\"} %llu\n",
		    d->svcs[i]->name, (unsigned long long)ro->failed);
	}
	buf_printf(b, "# HELP dockscale_rollout_in_progress 1 while a service rolls out or "
	    "back.\n# TYPE dockscale_rollout_in_progress gauge\n");
	for (size_t i = 0; i < d->nsvcs; i++)
		buf_printf(b, "dockscale_rollout_in_progress{service=\"%s\"} %d\n",
		    d->svcs[i]->name, ro_of(d->svcs[i])->state == ROLLOUT_ROLLING ||
		    ro_of(d->svcs[i])->state == ROLLOUT_FAILED);
}

static void *
init(struct svc *s)
{
	(void)s;
	return calloc(1, sizeof(struct rollout));
}

static void
fini(struct svc *s, void *state)
{
	(void)s;
	free(state);
}

static void
on_conf(struct svc *s, bool first)
{
	(void)first;
	rollout_define(s);
}

/* The labels of a replica created now: the generation it runs. */
static void
labels(const struct svc *s, struct replica_labels *lab)
{
	lab->generation = ro_of(s)->gen;
	lab->restart = ro_of(s)->restart;
}

/* A rollout waits for new replicas to serve: the next step need not wait for the next
 * interval. */
static void
serving(struct svc *s)
{
	if (ro_of(s)->state == ROLLOUT_ROLLING)
		svc_kick(s);
}

const struct svc_feature rollout_feature = {
	.name = "rollout",
	.init = init,
	.fini = fini,
	.conf = on_conf,
	.def_changed = rollout_define, /* a changed source rolls the replicas */
	.image_changed = rollout_define, /* a new image behind the reference: a new one */
	.plan = plan,
	.labels = labels,
	.replica_lost = replica_lost,
	.serving = serving,
	.policy_count = policy_count,
	.status = status,
};
