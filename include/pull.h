/* pull.h: a service's image, pulled from its registry. */
#ifndef DOCKSCALE_PULL_H
#define DOCKSCALE_PULL_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "docker.h"

struct svc;
struct svc_feature;

/* Where a service's image stands (doc/registry.md). */
enum pull_phase { PULL_IDLE = 0, PULL_CHECKING, PULL_PULLING };

struct pull { /* owner: pull.c */
	struct svc *svc;
	enum pull_phase phase;
	char image[DOCKER_IMAGE_MAX + 1]; /* the reference everything below is about */
	bool present;              /* the engine has it (checked or pulled): create freely */
	bool resolving;            /* the check in flight follows a pull: learn its id */
	bool eager;                /* the check in flight only learns the id (pull_resolve) */
	bool checked;              /* a check of this reference answered (present or not) */
	char image_id[80];         /* "sha256:...": what the reference resolved to; "" unknown */
	bool have_last;            /* a pull has ended */
	bool last_ok;
	char last_error[256];      /* the registry's message of the last failed pull */
	int64_t last_end_unix;     /* wall clock of the last pull's end */
	int64_t last_ms;           /* how long it took */
	int64_t started_ms;        /* loop clock: the pull in flight began */
	uint64_t ok_total, failed_total;
};

/* pull.c: the service's image, pulled from its registry (doc/registry.md, "Images from a
 * registry"). Its hooks (featureset.c registers them): a load, reload or new definition
 * checks (or, pull = always, pulls) the image; no replica is created before the engine
 * has it; a create's "No such image" makes it check again; a new image ID behind the
 * reference is svc_image_changed; the "pull" status object. */
extern const struct svc_feature pull_feature;
/* The service's pulls, for /metrics. */
const struct pull *pull_of(const struct svc *s);
/* Pull the image now unless a pull is in flight (a reload with pull = always; a
 * rollout). 0 when one is under way, -1 when none could start. */
int pull_request(struct svc *s);
/* Learn what the reference is on the engine now, without pulling or failing: at load
 * and for a rollout request (doc/rollouts.md: the generation hashes the
 * image ID). A changed ID makes a new generation. */
void pull_resolve(struct svc *s);
/* The check of the current reference has answered: pull_image_id is the truth ("" when
 * the engine lacks the image). */
bool pull_resolved(const struct svc *s);
/* The image ID the reference resolved to on the engine (checked, or inspected after a
 * pull), "" while unknown: the rollout generation's image part (doc/rollouts.md). */
const char *pull_image_id(const struct svc *s);
const char *pull_policy_name(enum pull_policy p);

#endif
