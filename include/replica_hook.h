/* replica_hook.h: a replica's lifecycle hooks, post_start and pre_stop (doc/replicas.md,
 * "Lifecycle hooks"). */
#ifndef DOCKSCALE_REPLICA_HOOK_H
#define DOCKSCALE_REPLICA_HOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docker.h"
#include "loop.h"

struct replica;
struct httpc_xfer;

enum hook_kind { HOOK_NONE = 0, HOOK_POST_START, HOOK_PRE_STOP };
#define HOOK_KINDS 2 /* the kinds counted: post_start, pre_stop */
enum hook_result { HOOK_OK = 0, HOOK_FAILED, HOOK_TIMEOUT };
#define HOOK_RESULTS 3

/* A hook's end, told to the replica's owner (replica.c): replica_hook.c moves no state. */
typedef void (*hook_done_cb)(struct replica *r, enum hook_kind k, enum hook_result res);

/* A service's hook runs by hook and result, for /metrics. */
struct hook_counts { /* owner: replica_hook.c */
	uint64_t runs[HOOK_KINDS][HOOK_RESULTS];
};

/* One replica's hooks. */
struct hook_state { /* owner: replica_hook.c */
	struct replica *r;         /* back to its replica (the calls' argument is this) */
	hook_done_cb done;
	enum hook_kind running;    /* the hook in progress; HOOK_NONE = none */
	bool gate;                 /* post_start started and not passed: not ready yet */
	char exec_id[DOCKER_ID_MAX + 1];
	int64_t started_ms;        /* loop clock: when it started */
	int64_t deadline_ms;       /* loop clock: the hook's timeout */
	struct loop_timer timer;   /* the timeout, and the inspect's retry */
	struct httpc_xfer *xfer;   /* pre_stop_http's POST in flight; NULL none */
	struct docker_exec_out out; /* pre_stop_http's answer (an exec's is the call's) */
};

void hook_init(struct replica *r, hook_done_cb done);
/* Cancel what is in flight, silently (the replica goes away). */
void hook_fini(struct replica *r);
/* A started replica: run its service's post_start. True when it runs (done is told its
 * end; until an HOOK_OK the replica may not become ready), false when there is none. */
bool hook_post_start(struct replica *r);
/* A replica starts draining: run pre_stop or pre_stop_http. True when it runs (done is
 * told its end, at pre_stop_timeout at the latest), false when there is none. */
bool hook_pre_stop(struct replica *r);
/* Stop what runs without telling done (the replica leaves some other way). */
void hook_cancel(struct replica *r);
/* post_start has not passed yet: the replica may not join (readiness gate). */
bool hook_gates(const struct replica *r);
/* The hook in progress, HOOK_NONE none. */
enum hook_kind hook_running(const struct replica *r);
/* "post_start", "pre_stop"; NULL for HOOK_NONE. */
const char *hook_name(enum hook_kind k);
const char *hook_result_name(enum hook_result res);

#endif
