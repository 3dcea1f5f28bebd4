/* rollout.h: rolling updates: a service's generation, and moving its replicas to it. */
#ifndef DOCKSCALE_ROLLOUT_H
#define DOCKSCALE_ROLLOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct svc;
struct svc_feature;
struct cJSON;

enum rollout_state {
	ROLLOUT_IDLE = 0,    /* every replica runs the current definition */
	ROLLOUT_ROLLING,     /* replicas of another generation are being replaced */
	ROLLOUT_FAILED,      /* the new generation failed: its replicas are leaving */
	ROLLOUT_ROLLED_BACK, /* they have left; the old ones serve, untouched */
};

/* A service's rollout (doc/rollouts.md). */
struct rollout { /* owner: rollout.c */
	uint64_t gen;          /* the current definition's generation (0 until known) */
	uint64_t restart;      /* a restart request's salt, part of gen; 0 = none */
	uint64_t failed_gen;   /* a generation that failed; not retried until asked */
	uint64_t from_gen;     /* what the running rollout replaces */
	enum rollout_state state;
	int failures;          /* failed new replicas in this rollout */
	int64_t started;       /* unix seconds */
	char from_image[256];
	char reason[256];      /* why it failed */
	uint64_t completed, failed; /* rollouts by result, for /metrics */
};

/* The generation of a definition: a 64-bit FNV-1a hash of its create body, the image
 * ID its reference resolved to ("" when the engine lacks it) and a restart salt; never
 * 0. Known once pull.c has checked the reference (pull_resolved). */
uint64_t rollout_hash(const struct cJSON *def, const char *image_id, uint64_t restart);

/* rollout.c's hooks (featureset.c registers them): a load, reload, new definition or new
 * image ID computes the generation (rollout_define); each pass sets the planner's
 * rollout inputs; new replicas are labelled with the generation; a new replica that
 * fails counts against the rollout; the balancer serving new replicas moves it on; the
 * policy does not count its surge; the "rollout" status object. */
extern const struct svc_feature rollout_feature;
/* s->def was (re)built: compute the generation. A changed one may start a rollout. */
void rollout_define(struct svc *s);
/* POST .../rollout: retry a failed generation, or with restart replace every replica
 * even when nothing changed. */
void rollout_request(struct svc *s, bool restart);
/* The replica count the policy sees: the surge of a rollout is not capacity to count. */
int rollout_policy_count(const struct svc *s);
const char *rollout_state_name(enum rollout_state st);
/* dockscale_rollouts_total{service,result} and dockscale_rollout_in_progress. */
struct buf;
struct dsd;
void rollout_metrics(struct buf *b, const struct dsd *d);

#endif
