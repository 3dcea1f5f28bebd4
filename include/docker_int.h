/* docker_int.h: internals shared by docker.c (calls), docker_events.c (event stream),
 * docker_image.c (image calls) and dockercompose.c (compose's containers). */
#ifndef DOCKSCALE_DOCKER_INT_H
#define DOCKSCALE_DOCKER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docker.h"
#include "docker_image.h"
#include "lines.h"
#include "loop.h"

enum call_kind {
	CALL_NEGOTIATE,
	CALL_LIST,
	CALL_CREATE,
	CALL_START,
	CALL_INSPECT,
	CALL_STOP,
	CALL_REMOVE,
	CALL_STATS,
	CALL_RENAME,
	CALL_BODY,              /* docker_call_body (dockercompose.c) */
	CALL_CONNECT,
	CALL_IMAGE,             /* docker_image.c */
	CALL_PULL,
	CALL_PAUSE,             /* pause and unpause (doc/waking.md, "Sleeping: stop or pause") */
	CALL_KILL,              /* a signal to a container (doc/balancers.md, "nginx in a container") */
	CALL_EXEC_CREATE,       /* docker_exec.c (doc/replicas.md, "Lifecycle hooks") */
	CALL_EXEC_START,
};

union call_cb {
	docker_cb plain;
	docker_list_cb list;
	docker_inspect_cb inspect;
	docker_create_cb create;
	docker_stats_cb stats;
	docker_body_cb body;
	docker_image_cb image;
	docker_exec_cb exec;
};

/* One call in flight: carries the user's callback until httpc reports back. */
struct call {
	struct call *prev, *next;
	struct docker *d;
	struct httpc_xfer *x;
	enum call_kind kind;
	union call_cb cb;
	void *arg;
	int port;               /* inspect: which port and network to report */
	char network[DOCKER_NETWORK_MAX + 1];
	const char *method;     /* string literal */
	char path[640];         /* without the /vX.Y prefix, for log lines */
	const char *header;     /* docker_call_start only: one extra "Name: value" */
	struct docker_pull_stream pull; /* CALL_PULL: the progress stream (docker_image.c) */
	struct docker_exec_out exec;    /* CALL_EXEC_START: the output (docker_exec.c) */
};

struct docker {
	struct loop *loop;
	struct httpc *hc;
	char socket[108];       /* sun_path size */
	int64_t timeout_ms;
	uint64_t errors;
	char version[16];
	struct call *calls;     /* in flight, for docker_free */

	/* The event stream (docker_events.c). */
	bool ev_on;             /* docker_events_start called and not stopped */
	const char *ev_filter;  /* the stream's filters (static); NULL: our replicas' */
	bool ev_up;             /* the caller was told "up" */
	bool ev_failing;        /* a failure was logged; quiet until it works again */
	bool ev_overflow;       /* we aborted the stream ourselves (queue full) */
	struct httpc_xfer *ev_x;
	docker_event_cb ev_cb;
	docker_stream_cb st_cb;
	void *ev_arg;
	int64_t retry_ms;
	int64_t since_ns;       /* replay from here after a drop */
	struct loop_timer ev_retry, ev_uptimer, ev_dispatch;
	struct lines lines;     /* the stream cut into events (lines.c) */
	char ev_err[256];       /* last non-event line: Docker's error body */
	struct docker_event *evq;
	size_t evq_head, evq_len, evq_cap;
	bool dispatching;       /* user callbacks running from the event dispatcher */
	bool free_pending;      /* docker_free called meanwhile: the dispatcher frees */
};

/* A GET or POST whose callback gets the answer's body (200 is ok): the path, relative
 * to the versioned root, is pre + mid + post (mid escaped or checked by the caller). */
int docker_call_body(struct docker *d, const char *method, const char *pre, const char *mid,
    const char *post, docker_body_cb cb, void *arg);
/* [0-9a-zA-Z_.-], alphanumeric first: safe in a URL path (ids, names). */
bool docker_id_ok(const char *s);
/* A call on path pre + mid + post (no format strings built from data); NULL (logged)
 * when it does not fit. */
struct call *docker_call_new(enum call_kind kind, void *arg, const char *pre,
    const char *mid, const char *post);
/* Send it; 0 when under way (its callback will run), -1 (c freed) otherwise.
 * versioned = false for /version. */
int docker_call_start(struct docker *d, struct call *c, const char *method, bool versioned,
    const char *body, int64_t timeout_ms);

/* docker_image.c: the pull's progress chunks (httpc's data callback, arg = the call), the
 * message of a failed pull, and the id of an image inspect. */
int docker_image_data(void *arg, const char *data, size_t len);
void docker_image_pull_error(struct docker_pull_stream *ps, char *out, size_t outlen);
int docker_image_parse_id(const char *body, char *id, size_t idlen);

/* docker_exec.c: httpc's data callback of an exec start (arg = the call). */
int docker_exec_data(void *arg, const char *data, size_t len);

/* Adopt min(1.41, the API-Version header) if it is usable. */
void docker_use_api_version(struct docker *d, const char *hdr);
/* Arm nothing, but make the stream's timers safe to stop (called by docker_new). */
void docker_events_init(struct docker *d);
/* Release the memory of d; everything in flight must already be cancelled. */
void docker_free_now(struct docker *d);

#endif
