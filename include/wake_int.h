/* wake_int.h: what wake.c shares with wake_relay.c (not for other modules). */
#ifndef DOCKSCALE_WAKE_INT_H
#define DOCKSCALE_WAKE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "service.h"
#include "wake.h"

struct replica;

/* A wake connection's life: every state has a deadline and notices the client leave. */
enum wstate {
	W_READ = 0, /* reading the request (WAKE_HEAD_MS, then WAKE_BODY_MS) */
	W_HELD,     /* whole, waiting for a replica (wake_timeout from its arrival) */
	W_CONNECT,  /* connecting to the replica and handing it the request */
	W_RELAY,    /* the replica's answer streams to the client */
	W_REPLY,    /* our own answer goes out (WAKE_SEND_MS) */
	W_LINGER,   /* answered: the client's rest is read and dropped, then closed */
};

struct wake_conn {
	struct wake_conn *prev, *next;
	struct svc *s;
	enum wstate st;
	struct loop_io io;          /* the client */
	struct loop_io up;          /* the replica, while relaying */
	uint32_t ip;                /* the client's address, network order */
	char *in;                   /* the request as read */
	size_t inlen, incap;
	struct wake_req q;          /* its framing */
	char *out;                  /* the head as relayed (wake_http_forward_head) */
	size_t outlen, outoff, bodyoff;
	char *ans;                  /* the answer on its way to the client: the replica's
	                             * (a window of WAKE_ANSWER_BUF) or ours */
	size_t anscap, anslen, ansoff;
	bool up_eof;                /* the replica has finished its answer */
	bool answered;              /* some of the replica's answer went out */
	size_t charged;             /* bytes counted in the pool's budget */
	int64_t arrived_ms;         /* loop clock */
	int64_t deadline;           /* loop clock: the state's deadline */
	bool whole;                 /* the request was read whole (else linger) */
	bool continued;             /* "100 Continue" sent */
	bool woke;                  /* held during a wake: its answer ends the wake's latency */
};

/* The service's wake state (svc_ext), for wake.c, wake_relay.c and wake_status.c. */
static inline struct wake *
wake_of(const struct svc *s)
{
	return svc_ext(s, &wake_feature);
}

/* wake.c for wake_relay.c */
struct sockaddr_in;
/* "A.B.C.D:PORT" into sa: 0, or -1 (config_lb.c accepts IPv4 only; a replica's address
 * is IPv4 too). */
int wake_parse_addr(const char *addr, struct sockaddr_in *sa);
/* Count more (or fewer: n < 0) bytes against the pool's budget: -1 when it is spent. */
int wake_charge(struct wake_conn *c, long long n);
/* Enter state st with a deadline ms from now. */
void wake_enter(struct wake_conn *c, enum wstate st, int64_t ms);
/* Answer with our own JSON error (counting the refusal) and close. */
void wake_reply(struct wake_conn *c, int code, const char *why, enum wake_refusal r);
/* Close now: the client left (counted when it had no answer yet) or the answer is done. */
void wake_close(struct wake_conn *c, bool gone);
/* The answer is out: shut our side, and linger for the client's end. */
void wake_finish(struct wake_conn *c);
/* Read and drop what the client sends while it waits: 0, or -1 when it left. */
int wake_drain_client(struct wake_conn *c);

/* wake_relay.c for wake.c */
/* Relay c's whole request to r and stream the answer back. */
void wake_relay_start(struct wake_conn *c, const struct replica *r);
/* The client's socket while relaying. */
void wake_relay_client(struct wake_conn *c, uint32_t events);
/* Drop the replica's side (close its socket). */
void wake_relay_drop(struct wake_conn *c);

#endif
