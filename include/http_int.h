/* http_int.h: what http.c shares with http_defer.c (not for other modules). */
#ifndef DOCKSCALE_HTTP_INT_H
#define DOCKSCALE_HTTP_INT_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "http.h"
#include "loop.h"

/* Connections per client address (doc/api.md, "API limits"): room for a client pool of
 * 32 and more. Waiting requests take at most a quarter of them, so an address whose
 * long polls are all held still has 48 connections for everything else. */
#define HTTP_CONN_PER_IP 64U
_Static_assert(HTTP_DEFER_PER_ADDR * 4 <= HTTP_CONN_PER_IP,
    "long polls must leave an address most of its connections");

/* Per-request state, freed in request_completed: the upload, or a deferred answer. */
struct upload {
	char *buf;
	size_t len, cap;
	bool too_big;
	struct http_defer *defer;  /* the request waits for http_defer_answer */
};

/* A request suspended until its owner answers it (http_defer.c). */
struct http_defer {
	struct http_defer *prev, *next; /* the server's pending list, while unanswered */
	struct http *h;
	struct MHD_Connection *mc;
	struct sockaddr_storage addr; /* the client's, for the per-address cap */
	struct loop_io io;         /* the connection's socket while suspended: hang-ups */
	struct http_resp resp;     /* the answer, once given */
	bool listed;
	bool answered;
	bool queued;               /* resp handed to MHD */
	http_defer_gone gone;      /* the request ended unanswered: the owner forgets it */
	void *arg;
};

/* The server's deferred requests, embedded in struct http (owner: http_defer.c). */
struct http_defer_set {
	struct http_defer *head;
	struct http_defer_stats st;
};

/* http.c for http_defer.c */
struct http_defer_set *http_defers(struct http *h);
struct loop *http_loop(struct http *h);
/* The connection waits with no deadline of ours (the owner bounds the wait). */
void http_conn_hold(struct http *h, struct MHD_Connection *c);
/* Back under the answer's deadline; MHD runs at the next turn of the loop (a resumed
 * connection waits for it). */
void http_conn_release(struct http *h, struct MHD_Connection *c);
enum MHD_Result http_queue(struct MHD_Connection *c, struct http_resp *r);

/* http_defer.c for http.c */
/* The handler deferred its answer: suspend c. */
enum MHD_Result http_defer_suspend(struct http *h, struct MHD_Connection *c,
    struct http_defer *df, void **con_cls);
/* Called again after a resume: queue the answer. */
enum MHD_Result http_defer_finish(struct MHD_Connection *c, struct upload *up);
/* request_completed: free what is left, tell an unanswered request's owner. */
void http_defer_done(struct upload *up);
/* Shutdown: answer every pending request (503) so none is suspended at MHD_stop_daemon. */
void http_defer_stop(struct http *h, struct MHD_Daemon *mhd);

#endif
