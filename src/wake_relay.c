/* wake_relay.c: a whole request relayed to a ready replica, and its answer streamed back
 * to the client through a bounded window (doc/waking.md). */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "dockscaled.h"
#include "events.h"
#include "service.h"
#include "wake.h"
#include "wake_int.h"

static void on_up(struct loop *l, struct loop_io *io, uint32_t events);

static struct loop *
lp(const struct wake_conn *c)
{
	return &c->s->d->loop;
}

void
wake_relay_drop(struct wake_conn *c)
{
	if (c->up.fd < 0)
		return;
	if (c->up.active)
		loop_io_stop(lp(c), &c->up);
	close(c->up.fd);
	c->up.fd = -1;
}

/* Deadline of a relay: the client must take what waits for it within WAKE_SEND_MS of
 * its last progress; the replica must send within WAKE_ANSWER_MS of its last byte. */
static void
rearm(struct wake_conn *c, bool client_moved, bool replica_moved)
{
	int64_t now = loop_now(lp(c));

	if (c->ansoff < c->anslen) {
		if (client_moved || !c->answered || c->deadline > now + WAKE_SEND_MS)
			c->deadline = now + WAKE_SEND_MS;
	} else if (client_moved || replica_moved) {
		c->deadline = now + WAKE_ANSWER_MS;
	}
}

/* The whole answer went out. */
static void
done(struct wake_conn *c)
{
	struct wake *w = wake_of(c->s);

	w->served++;
	if (c->woke && w->woke_us != 0) {
		w->last_latency_ms = (loop_clock_us() - w->woke_us) / 1000;
		events_log(&c->s->d->events, LOG_NOTICE, EV_WAKE, c->s->name,
		    "woke from zero: the first held request answered %lldms after it arrived",
		    (long long)w->last_latency_ms);
		w->woke_us = 0;
	}
	wake_finish(c);
}

/* Send what the window holds. 0, or -1 when c is gone. */
static int
flush(struct wake_conn *c)
{
	bool moved = false;

	while (c->ansoff < c->anslen) {
		ssize_t n = send(c->io.fd, c->ans + c->ansoff, c->anslen - c->ansoff,
		    MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			wake_close(c, true);
			return -1;
		}
		c->ansoff += (size_t)n;
		c->answered = moved = true;
	}
	if (c->ansoff == c->anslen) {
		c->ansoff = c->anslen = 0;
		if (c->up_eof) {
			done(c);
			return -1;
		}
		/* room again: read the replica (stopped while the window was full) */
		if (c->up.fd >= 0 && !c->up.active &&
		    loop_io_start(lp(c), &c->up, EPOLLIN | EPOLLRDHUP) == -1) {
			wake_close(c, false);
			return -1;
		}
	}
	(void)loop_io_modify(lp(c), &c->io, EPOLLIN | EPOLLRDHUP |
	    (c->ansoff < c->anslen ? EPOLLOUT : 0));
	rearm(c, moved, false);
	return 0;
}

void
wake_relay_client(struct wake_conn *c, uint32_t events)
{
	if (events & (EPOLLHUP | EPOLLERR)) {
		wake_close(c, true);
		return;
	}
	if ((events & EPOLLOUT) && flush(c) == -1)
		return;
	/* Nothing more is taken from the client; its leaving ends the relay (as nginx does
	 * with proxy_ignore_client_abort off). */
	if ((events & (EPOLLIN | EPOLLRDHUP)) && wake_drain_client(c) == -1)
		wake_close(c, true);
}

/* Hand the replica the request: the rewritten head, then the body as read. */
static void
send_request(struct wake_conn *c)
{
	size_t body = (size_t)c->q.body;

	while (c->outoff < c->outlen || c->bodyoff < body) {
		const char *p = c->outoff < c->outlen ? c->out + c->outoff :
		    c->in + c->q.hdr_len + c->bodyoff;
		size_t len = c->outoff < c->outlen ? c->outlen - c->outoff : body - c->bodyoff;
		ssize_t n = send(c->up.fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			wake_reply(c, 502, "writing to the replica failed", WAKE_R_UPSTREAM);
			return;
		}
		if (c->outoff < c->outlen)
			c->outoff += (size_t)n;
		else
			c->bodyoff += (size_t)n;
	}
	/* The request is the replica's now: only the answer window stays charged. */
	(void)wake_charge(c, -(long long)(c->incap + c->outlen));
	free(c->in);
	free(c->out);
	c->in = c->out = NULL;
	c->inlen = c->incap = c->outlen = 0;
	wake_enter(c, W_RELAY, WAKE_ANSWER_MS);
	if (loop_io_modify(lp(c), &c->up, EPOLLIN | EPOLLRDHUP) == -1)
		wake_reply(c, 502, "cannot read the replica's answer", WAKE_R_UPSTREAM);
}

/* Read the answer into the window while it has room. */
static void
read_answer(struct wake_conn *c)
{
	bool moved = false;

	while (c->anslen < c->anscap) {
		ssize_t n = read(c->up.fd, c->ans + c->anslen, c->anscap - c->anslen);

		if (n > 0) {
			c->anslen += (size_t)n;
			moved = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		/* the end of the answer (Connection: close), or an error */
		wake_relay_drop(c);
		c->up_eof = true;
		if (!c->answered && c->anslen == 0) {
			wake_reply(c, 502, "the replica closed without an answer", WAKE_R_UPSTREAM);
			return;
		}
		break;
	}
	if (c->up.fd >= 0 && c->anslen == c->anscap)
		loop_io_stop(lp(c), &c->up); /* the client takes some first */
	rearm(c, false, moved);
	(void)flush(c);
}

static void
on_up(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct wake_conn *c = io->arg;

	(void)l;
	if (c->st == W_CONNECT) {
		int err = 0;
		socklen_t el = sizeof(err);

		if ((events & (EPOLLERR | EPOLLHUP)) ||
		    (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err != 0)) {
			wake_reply(c, 502, "the replica refused the connection", WAKE_R_UPSTREAM);
			return;
		}
		send_request(c);
		return;
	}
	read_answer(c);
}

void
wake_relay_start(struct wake_conn *c, const struct replica *r)
{
	struct sockaddr_in sa;
	int fd;

	wake_enter(c, W_CONNECT, WAKE_CONNECT_MS);
	if (wake_parse_addr(r->addr, &sa) == -1) {
		wake_reply(c, 502, "the replica has no address to relay to", WAKE_R_UPSTREAM);
		return;
	}
	/* The answer's window is had before the replica sees the request: once it has,
	 * the request is never refused for memory. */
	if (wake_charge(c, (long long)WAKE_ANSWER_BUF) == -1) {
		wake_reply(c, 503, "the wake listeners' memory budget is spent", WAKE_R_MEMORY);
		return;
	}
	c->ans = malloc(WAKE_ANSWER_BUF);
	c->anscap = WAKE_ANSWER_BUF;
	c->out = wake_http_forward_head(&c->q, c->in, &c->outlen);
	if (c->ans == NULL || c->out == NULL || wake_charge(c, (long long)c->outlen) == -1) {
		wake_reply(c, 503, "the wake listeners' memory budget is spent", WAKE_R_MEMORY);
		return;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		wake_reply(c, 502, "no socket for the replica", WAKE_R_UPSTREAM);
		return;
	}
	loop_io_init(&c->up, fd, on_up, c);
	if ((connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 && errno != EINPROGRESS) ||
	    loop_io_start(lp(c), &c->up, EPOLLOUT) == -1) {
		wake_reply(c, 502, "cannot connect to the replica", WAKE_R_UPSTREAM);
		return;
	}
}
