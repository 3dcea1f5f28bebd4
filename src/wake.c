/* wake.c: a service's wake listener: requests at zero are held, a replica started, and each
 * held request relayed to it once it is healthy (README.md, "Waking from zero"). */
#define _GNU_SOURCE /* asprintf, accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "dockscaled.h"
#include "events.h"
#include "log.h"
#include "service.h"
#include "wake.h"

#define TICK_MS 50
#define STR(x) #x
#define XSTR(x) STR(x)

/* W_LINGER: our error went out before the request was read whole; the rest is read and
 * dropped for a moment, so closing with unread bytes (a reset) cannot destroy the answer
 * before the client read it. */
enum wstate { W_READ, W_HELD, W_UPSTREAM, W_REPLY, W_LINGER };
#define LINGER_MS 2000

struct wake_conn {
	struct wake_conn *next;
	struct svc *s;
	enum wstate st;
	struct loop_io io;         /* the client */
	struct loop_io up;         /* the replica, while relaying */
	char *in;                  /* the request */
	size_t inlen, incap, hdr_len, total;
	char *out;                 /* to the replica: the request with Connection: close */
	size_t outlen, outoff;
	char *resp;                /* to the client: the replica's answer, or ours */
	size_t resplen, respcap, respoff;
	int64_t arrived_ms;        /* loop clock */
	bool linger;               /* the request was not read whole: W_LINGER after the reply */
	bool continued;            /* "100 Continue" sent */
	int64_t linger_until;
	bool woke;                 /* held during a wake: its answer ends the wake's latency */
};

static void conn_free(struct wake_conn *c);

/* "A.B.C.D:PORT" into sa: 0, or -1 (config_lb.c accepts IPv4 only; a replica's address
 * is IPv4 here too). */
static int
parse_addr(const char *addr, struct sockaddr_in *sa)
{
	const char *colon = strrchr(addr, ':');
	char host[INET_ADDRSTRLEN], *end;
	unsigned long port;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (colon == NULL || (size_t)(colon - addr) >= sizeof(host))
		return -1;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || port == 0 || port > 65535)
		return -1;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static struct loop *
lp(const struct svc *s)
{
	return &s->d->loop;
}

static void
unlink_conn(struct wake_conn *c)
{
	struct wake_conn **pp = &c->s->wk.conns;

	while (*pp != NULL && *pp != c)
		pp = &(*pp)->next;
	if (*pp == c)
		*pp = c->next;
}

static void
conn_free(struct wake_conn *c)
{
	struct loop *l = lp(c->s);

	if (c->st == W_HELD)
		c->s->wk.held--;
	unlink_conn(c);
	if (c->io.active)
		loop_io_stop(l, &c->io);
	if (c->up.active)
		loop_io_stop(l, &c->up);
	if (c->io.fd >= 0)
		close(c->io.fd);
	if (c->up.fd >= 0)
		close(c->up.fd);
	free(c->in);
	free(c->out);
	free(c->resp);
	free(c);
}

/* Write what is left of c->resp; the connection ends once all of it went out. */
static void
flush_reply(struct wake_conn *c)
{
	while (c->respoff < c->resplen) {
		ssize_t w = send(c->io.fd, c->resp + c->respoff, c->resplen - c->respoff,
		    MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			(void)loop_io_modify(lp(c->s), &c->io, EPOLLOUT);
			return;
		}
		if (w < 0)
			break;
		c->respoff += (size_t)w;
	}
	shutdown(c->io.fd, SHUT_WR);
	if (c->linger && loop_io_modify(lp(c->s), &c->io, EPOLLIN) == 0) {
		c->st = W_LINGER;
		c->linger_until = loop_now(lp(c->s)) + LINGER_MS;
		if (!loop_timer_armed(&c->s->wk.tick))
			loop_timer_start(lp(c->s), &c->s->wk.tick, TICK_MS);
		return;
	}
	conn_free(c);
}

static void
reply(struct wake_conn *c, int code, const char *reason, const char *why, bool retry)
{
	char *r = NULL;
	char body[256];
	int bl = snprintf(body, sizeof(body), "{\"error\": \"%s\"}\n", why);
	int n;

	if (c->st == W_HELD)
		c->s->wk.held--;
	c->linger = c->st == W_READ;
	c->st = W_REPLY;
	if (c->up.active)
		loop_io_stop(lp(c->s), &c->up);
	if (c->up.fd >= 0)
		close(c->up.fd);
	c->up.fd = -1;
	n = asprintf(&r, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %d\r\n%sConnection: close\r\n\r\n%s", code, reason, bl,
	    retry ? "Retry-After: " XSTR(WAKE_RETRY_AFTER_S) "\r\n" : "", body);
	free(c->resp);
	c->resp = n < 0 ? NULL : r;
	c->resplen = n < 0 ? 0 : (size_t)n;
	c->respoff = 0;
	flush_reply(c);
}

/* A replica takes requests: READY with an address (round robin). */
static const struct replica *
pick(struct svc *s)
{
	size_t n = 0, k;

	for (size_t i = 0; i < s->nreps; i++)
		n += s->reps[i]->state == REP_READY && s->reps[i]->addr[0] != '\0';
	if (n == 0)
		return NULL;
	k = s->wk.rr++ % n;
	for (size_t i = 0; i < s->nreps; i++)
		if (s->reps[i]->state == REP_READY && s->reps[i]->addr[0] != '\0' && k-- == 0)
			return s->reps[i];
	return NULL;
}

static void
on_up(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct wake_conn *c = io->arg;
	struct wake *w = &c->s->wk;

	(void)l;
	(void)events;
	if (c->outoff < c->outlen) {
		int err = 0;
		socklen_t el = sizeof(err);

		if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err != 0) {
			reply(c, 502, "Bad Gateway", "the replica refused the connection", false);
			return;
		}
		while (c->outoff < c->outlen) {
			ssize_t n = send(io->fd, c->out + c->outoff, c->outlen - c->outoff,
			    MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return;
			if (n < 0) {
				reply(c, 502, "Bad Gateway", "writing to the replica failed", false);
				return;
			}
			c->outoff += (size_t)n;
		}
		(void)loop_io_modify(lp(c->s), io, EPOLLIN);
		return;
	}
	for (;;) {
		if (c->respcap - c->resplen < 16384) {
			size_t cap = c->respcap ? c->respcap * 2 : 65536;
			char *p;

			if (cap > WAKE_RESPONSE_MAX || (p = realloc(c->resp, cap)) == NULL) {
				reply(c, 502, "Bad Gateway", "the replica's answer is too large", false);
				return;
			}
			c->resp = p;
			c->respcap = cap;
		}
		ssize_t n = read(io->fd, c->resp + c->resplen, c->respcap - c->resplen);
		if (n > 0) {
			c->resplen += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		break; /* end of the answer (Connection: close), or an error */
	}
	if (c->resplen == 0) {
		reply(c, 502, "Bad Gateway", "the replica closed without an answer", false);
		return;
	}
	loop_io_stop(lp(c->s), io);
	close(io->fd);
	io->fd = -1;
	w->served++;
	if (c->woke && w->woke_us != 0) {
		w->last_latency_ms = (loop_clock_us() - w->woke_us) / 1000;
		events_log(&c->s->d->events, LOG_NOTICE, EV_WAKE, c->s->name,
		    "woke from zero: the first held request answered %lldms after it arrived",
		    (long long)w->last_latency_ms);
		w->woke_us = 0;
	}
	c->st = W_REPLY;
	c->respoff = 0;
	flush_reply(c);
}

/* Relay one request to r: a new connection, the request with Connection: close. */
static void
forward(struct wake_conn *c, const struct replica *r)
{
	struct sockaddr_in sa;
	int fd;

	if (c->st == W_HELD)
		c->s->wk.held--;
	c->st = W_UPSTREAM;
	/* nothing more is read from the client (only a hang-up is seen) until the answer */
	(void)loop_io_modify(lp(c->s), &c->io, 0);
	if (parse_addr(r->addr, &sa) == -1 ||
	    (c->out = wake_http_close(c->in, c->hdr_len, c->total, &c->outlen)) == NULL) {
		reply(c, 502, "Bad Gateway", "cannot relay to the replica", false);
		return;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		reply(c, 502, "Bad Gateway", "no socket for the replica", false);
		return;
	}
	loop_io_init(&c->up, fd, on_up, c);
	if ((connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 && errno != EINPROGRESS) ||
	    loop_io_start(lp(c->s), &c->up, EPOLLOUT) == -1) {
		reply(c, 502, "Bad Gateway", "cannot connect to the replica", false);
		return;
	}
	free(c->resp);
	c->resp = NULL;
	c->resplen = c->respcap = 0;
}

static void
wake_up(struct svc *s)
{
	struct wake *w = &s->wk;

	if (w->woke_us != 0)
		return;
	w->woke_us = loop_clock_us();
	w->wakes++;
	events_log(&s->d->events, LOG_NOTICE, EV_WAKE, s->name,
	    "a request at zero: starting a replica (%zu held)", w->held);
	svc_set_desired(s, s->desired > 1 ? s->desired : 1, "wake: a request at zero");
}

/* Held requests go to a replica as soon as one is READY; the others wait, until
 * wake_timeout. */
static void
on_tick(struct loop *l, struct loop_timer *t)
{
	struct svc *s = t->arg;
	struct wake *w = &s->wk;
	int64_t now = loop_now(l);
	int64_t limit = s->conf != NULL ? s->conf->wake_timeout_ms : 60000;
	struct wake_conn *c = w->conns, *next;
	bool waiting = false;

	for (; c != NULL; c = next) {
		next = c->next;
		if (c->st == W_LINGER && now >= c->linger_until) {
			conn_free(c);
			continue;
		}
		if (c->st != W_HELD && c->st != W_READ) {
			waiting |= c->st == W_UPSTREAM;
			continue;
		}
		if (now - c->arrived_ms >= limit && c->st == W_READ) {
			reply(c, 408, "Request Timeout", "request not received within wake_timeout",
			    false);
			continue;
		}
		if (now - c->arrived_ms >= limit) {
			w->timeouts++;
			reply(c, 503, "Service Unavailable",
			    "no replica became ready within wake_timeout", true);
			continue;
		}
		waiting = true;
		if (c->st == W_HELD) {
			const struct replica *r = pick(s);

			if (r != NULL)
				forward(c, r);
		}
	}
	if (w->held == 0 && w->woke_us != 0 && pick(s) == NULL && !waiting)
		w->woke_us = 0; /* every held request timed out: the next one wakes again */
	if (waiting || w->conns != NULL)
		loop_timer_start(l, t, TICK_MS);
}

static void
on_request(struct wake_conn *c)
{
	struct svc *s = c->s;
	struct wake *w = &s->wk;
	const struct replica *r = pick(s);
	int queue = s->conf != NULL ? s->conf->wake_queue : 100;

	if (r != NULL) {
		forward(c, r);
		return;
	}
	if (w->held >= (size_t)queue) {
		w->rejected++;
		reply(c, 503, "Service Unavailable", "wake_queue is full", true);
		return;
	}
	c->st = W_HELD;
	c->woke = true;
	w->held++;
	(void)loop_io_modify(lp(s), &c->io, 0);
	wake_up(s);
}

static void
on_client(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct wake_conn *c = io->arg;

	(void)l;
	if (c->st == W_REPLY) {
		flush_reply(c);
		return;
	}
	if (c->st == W_LINGER) {
		char drop[16384];
		ssize_t n;

		while ((n = read(io->fd, drop, sizeof(drop))) > 0)
			;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			conn_free(c);
		return;
	}
	if (c->st != W_READ) {
		if (events & (EPOLLHUP | EPOLLERR))
			conn_free(c); /* the client left: nothing to answer */
		return;
	}
	for (;;) {
		enum wake_parse p;

		if (c->incap - c->inlen < 4096) {
			size_t cap = c->incap ? c->incap * 2 : 8192;
			char *np;

			if (cap > WAKE_HEADERS_MAX + WAKE_BODY_MAX + 8192 ||
			    (np = realloc(c->in, cap)) == NULL) {
				reply(c, 413, "Content Too Large", "request too large", false);
				return;
			}
			c->in = np;
			c->incap = cap;
		}
		ssize_t n = read(io->fd, c->in + c->inlen, c->incap - c->inlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			conn_free(c);
			return;
		}
		c->inlen += (size_t)n;
		p = wake_http_parse(c->in, c->inlen, &c->hdr_len, &c->total);
		switch (p) {
		case WAKE_MORE:
			/* a client waiting for "100 Continue" sends its body only after it (or
			 * after its own timeout, a second for curl) */
			if (c->hdr_len > 0 && !c->continued &&
			    wake_http_expects_continue(c->in, c->hdr_len)) {
				static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

				c->continued = true;
				(void)send(io->fd, cont, sizeof(cont) - 1, MSG_NOSIGNAL);
			}
			continue;
		case WAKE_COMPLETE:
			on_request(c);
			return;
		case WAKE_TOO_LARGE:
			reply(c, 413, "Content Too Large", "a held request body is at most 1 MiB",
			    false);
			return;
		case WAKE_NEED_LENGTH:
			reply(c, 411, "Length Required", "a held request needs Content-Length",
			    false);
			return;
		case WAKE_HEADERS_LARGE:
			reply(c, 431, "Request Header Fields Too Large", "headers too large", false);
			return;
		default:
			reply(c, 400, "Bad Request", "not an HTTP/1.x request", false);
			return;
		}
	}
}

static void
on_accept(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct svc *s = io->arg;

	(void)events;
	for (;;) {
		int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct wake_conn *c;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->s = s;
		c->st = W_READ;
		c->arrived_ms = loop_now(l);
		loop_io_init(&c->io, fd, on_client, c);
		loop_io_init(&c->up, -1, on_up, c);
		c->next = s->wk.conns;
		s->wk.conns = c;
		if (loop_io_start(l, &c->io, EPOLLIN | EPOLLRDHUP) == -1) {
			conn_free(c);
			continue;
		}
		if (!loop_timer_armed(&s->wk.tick))
			loop_timer_start(l, &s->wk.tick, TICK_MS);
	}
}

static void
stop_listening(struct svc *s)
{
	struct wake *w = &s->wk;

	if (w->fd < 0)
		return;
	if (w->io.active)
		loop_io_stop(lp(s), &w->io);
	close(w->fd);
	w->fd = -1;
	w->addr[0] = '\0';
}

void
wake_init(struct svc *s)
{
	struct wake *w = &s->wk;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->last_latency_ms = -1;
	loop_timer_init(&w->tick, on_tick, s);
	wake_conf(s);
}

void
wake_fini(struct svc *s)
{
	struct wake_conn *c = s->wk.conns, *next;

	s->wk.conns = NULL; /* conn_free unlinks from it: nothing left to unlink */
	for (; c != NULL; c = next) {
		next = c->next;
		conn_free(c);
	}
	loop_timer_stop(lp(s), &s->wk.tick);
	stop_listening(s);
}

void
wake_conf(struct svc *s)
{
	struct wake *w = &s->wk;
	const char *want = s->conf != NULL ? s->conf->wake_listen : "";
	struct sockaddr_in sa;
	int one = 1, fd;

	if (want == NULL || strcmp(want, w->addr) == 0)
		return;
	stop_listening(s);
	if (want[0] == '\0' || parse_addr(want, &sa) == -1)
		return;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 || listen(fd, 128) == -1) {
		events_log(&s->d->events, LOG_ERR, EV_WAKE, s->name,
		    "wake_listen %s: %s; the service cannot be woken by a request", want,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	w->fd = fd;
	loop_io_init(&w->io, fd, on_accept, s);
	if (loop_io_start(lp(s), &w->io, EPOLLIN) == -1) {
		close(fd);
		w->fd = -1;
		return;
	}
	snprintf(w->addr, sizeof(w->addr), "%s", want);
	log_info("%s: waking from zero on %s", s->name, want);
}
