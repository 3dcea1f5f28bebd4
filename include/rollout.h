/* rollout.h: rolling updates: a service's generation, and moving its replicas to it. */
#ifndef DOCKSCALE_ROLLOUT_H
#define DOCKSCALE_ROLLOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct svc;
struct replica;
struct plan_input;
struct docker_ctr;
struct cJSON;

enum rollout_state {
	ROLLOUT_IDLE = 0,    /* every replica runs the current definition */
	ROLLOUT_ROLLING,     /* replicas of another generation are being replaced */
	ROLLOUT_FAILED,      /* the new generation failed: its replicas are leaving */
	ROLLOUT_ROLLED_BACK, /* they have left; the old ones serve, untouched */
};

/* A service's rollout (owner: rollout.c). */
struct rollout {
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

/* s->def was (re)built: compute the generation. A changed one may start a rollout. */
void rollout_define(struct svc *s);
/* POST .../rollout: retry a failed generation, or with restart replace every replica
 * even when nothing changed. */
void rollout_request(struct svc *s, bool restart);
/* Each pass: update the state from the replica table and fill the planner's rollout
 * inputs (generation, surge, min_healthy, rollback). */
void rollout_pass(struct svc *s, struct plan_input *in);
/* A replica of the generation being rolled out failed to start, or left before it
 * had served rollout_min_healthy. */
void rollout_replica_failed(struct replica *r, const char *why);
/* The replica count the policy sees: the surge of a rollout is not capacity to count. */
int rollout_policy_count(const struct svc *s);
/* The replica's generation for the planner: an unlabelled one counts as current. */
uint64_t rollout_generation_of(const struct svc *s, const struct replica *r);
const char *rollout_state_name(enum rollout_state st);
/* dockscale_rollouts_total{service,result} and dockscale_rollout_in_progress. */
struct buf;
struct dsd;
void rollout_metrics(struct buf *b, const struct dsd *d);
/* The status API's "rollout" object. */
struct cJSON *rollout_status(const struct svc *s);

#endif
