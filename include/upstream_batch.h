/* upstream_batch.h: the due syncs of all services behind one nginx, applied by one test and one reload. */
#ifndef DOCKSCALE_UPSTREAM_BATCH_H
#define DOCKSCALE_UPSTREAM_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

struct docker;

/* What a member's apply ends in (doc/balancers.md, "One reload for many services"). */
enum upstream_verdict {
	UPSTREAM_APPLIED,  /* nginx was reloaded with its file and runs it */
	UPSTREAM_FAILED,   /* its file passed the test, the reload failed: the file stays */
	UPSTREAM_REJECTED, /* the test refused its file: it was restored (restore ran) */
};

/* One service's due sync, as the batch sees it. The member's owner fills the settings
 * and the three calls; the batch's fields are the batch's. */
struct upstream_member {
	/* the apply it asks for; valid from join to verdict (owner: upstream.c) */
	const char *service;
	const char *path;
	const char *const *test, *const *reload;
	const char *pid_file;
	int64_t timeout_ms;
	const char *container;  /* nginx's container; NULL: this host */
	struct docker *docker;  /* the Engine, for nginx in a container */
	/* Write the file now: 1 written (an apply is needed), 0 the member is done without
	 * one (nothing changed, or the write failed: it reported that itself). */
	int (*prepare)(struct upstream_member *m);
	/* Put back the bytes the file held before prepare (the test refused the batch). */
	void (*restore)(struct upstream_member *m);
	void (*verdict)(struct upstream_member *m, enum upstream_verdict v);
	/* the batch's (owner: upstream_batch.c) */
	bool alone;                  /* its batch was refused unblamed: it is tried alone */
	bool queued;                 /* in the batch's waiting or running list */
	struct upstream_member *next;
};

/* Counted once per apply, not per member. */
struct upstream_totals {
	uint64_t applies;        /* test + reload runs started */
	uint64_t reloads_ok;     /* reloads that nginx runs */
	uint64_t reloads_failed; /* reloads that failed or were not applied */
	uint64_t tests_failed;   /* tests that refused the files */
	uint64_t members;        /* members applied in all (members / reloads_ok: batching) */
};

struct upstream_batch;

/* The loop's batch (one nginx per daemon: [nginx] is daemon-wide), made at its first use;
 * each get takes a reference, each put drops one. NULL: out of memory (logged). */
struct upstream_batch *upstream_batch_get(struct loop *l);
void upstream_batch_put(struct upstream_batch *b);
/* m is due: it is prepared and applied with every member due in the same loop turn, or,
 * while an apply runs, with every member that joins meanwhile, in the next one. */
void upstream_batch_join(struct upstream_batch *b, struct upstream_member *m);
/* m goes (its owner is freed): no call reaches it any more. */
void upstream_batch_leave(struct upstream_batch *b, struct upstream_member *m);
/* The loop's counts; zeros when it has no batch. */
void upstream_batch_totals(const struct loop *l, struct upstream_totals *out);

/* Which of the n paths the test's output blames: nginx names the file it stopped in
 * ("... in /etc/nginx/conf.d/web.conf:3"). Its index, or -1 when none or more than one is
 * named. Pure. */
int upstream_blame(const char *output, const char *const *paths, size_t n);

#endif
