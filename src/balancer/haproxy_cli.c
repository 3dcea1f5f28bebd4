/* haproxy_cli.c: one HAProxy runtime API command over a non-blocking unix stream socket. */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "haproxy.h"
#include "log.h"

/* Without `prompt`, the CLI answers one line of commands and closes the connection:
 * the close marks the end of the answer, so one connection carries one command. */
struct haproxy_cmd {
	struct loop *l;
	struct loop_io io;
	struct loop_timer timer; /* the timeout, or 0 ms to report an early failure */
	haproxy_cmd_cb cb;
	void *arg;
	char *out;               /* the command line still to write */
	size_t outlen, outoff;
	char *in;                /* the answer so far */
	size_t inlen, incap;
	bool failed;
	char why[160];
};

static void
finish(struct haproxy_cmd *c, bool ok)
{
	haproxy_cmd_cb cb = c->cb;
	void *arg = c->arg;

	if (c->io.active)
		loop_io_stop(c->l, &c->io);
	loop_timer_stop(c->l, &c->timer);
	if (c->io.fd >= 0)
		close(c->io.fd);
	c->io.fd = -1;
	if (ok)
		cb(arg, true, c->in != NULL ? c->in : "", c->inlen);
	else
		cb(arg, false, c->why, strlen(c->why));
	free(c->out);
	free(c->in);
	free(c);
}

static void
fail(struct haproxy_cmd *c, const char *what, int err)
{
	snprintf(c->why, sizeof(c->why), "%s: %s", what, strerror(err));
	finish(c, false);
}

static int
read_some(struct haproxy_cmd *c)
{
	for (;;) {
		if (c->incap - c->inlen < 4096) {
			size_t cap = c->incap ? c->incap * 2 : 8192;
			char *p;

			if (cap > HAPROXY_REPLY_MAX + 1) {
				snprintf(c->why, sizeof(c->why), "answer longer than %d bytes",
				    HAPROXY_REPLY_MAX);
				finish(c, false);
				return -1;
			}
			if ((p = realloc(c->in, cap)) == NULL) {
				fail(c, "read", ENOMEM);
				return -1;
			}
			c->in = p;
			c->incap = cap;
		}
		ssize_t r = read(c->io.fd, c->in + c->inlen, c->incap - c->inlen - 1);
		if (r > 0) {
			c->inlen += (size_t)r;
			c->in[c->inlen] = '\0';
			continue;
		}
		if (r == 0) {
			finish(c, true);
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		fail(c, "read", errno);
		return -1;
	}
}

static void
on_io(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct haproxy_cmd *c = io->arg;

	(void)l;
	if (c->outoff < c->outlen) {
		int err = 0;
		socklen_t el = sizeof(err);

		if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err != 0) {
			fail(c, "connect", err);
			return;
		}
		while (c->outoff < c->outlen) {
			ssize_t w = send(io->fd, c->out + c->outoff, c->outlen - c->outoff,
			    MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return;
			if (w < 0) {
				fail(c, "write", errno);
				return;
			}
			c->outoff += (size_t)w;
		}
		if (loop_io_modify(c->l, io, EPOLLIN) == -1) {
			fail(c, "epoll", errno);
			return;
		}
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		(void)read_some(c);
}

static void
on_timer(struct loop *l, struct loop_timer *t)
{
	struct haproxy_cmd *c = t->arg;

	(void)l;
	if (!c->failed)
		snprintf(c->why, sizeof(c->why), "no complete answer in time");
	finish(c, false);
}

/* Report a failure found while starting from the loop, as the interface promises. */
static struct haproxy_cmd *
fail_later(struct haproxy_cmd *c, const char *what, int err)
{
	snprintf(c->why, sizeof(c->why), "%s: %s", what, strerror(err));
	c->failed = true;
	if (c->io.fd >= 0)
		close(c->io.fd);
	c->io.fd = -1;
	loop_timer_start(c->l, &c->timer, 0);
	return c;
}

struct haproxy_cmd *
haproxy_cmd_start(struct loop *l, const char *socket_path, const char *cmd, int64_t timeout_ms,
    haproxy_cmd_cb cb, void *arg)
{
	struct haproxy_cmd *c = calloc(1, sizeof(*c));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (c == NULL || asprintf(&c->out, "%s\n", cmd) < 0) {
		free(c);
		log_err("haproxy: out of memory");
		return NULL;
	}
	c->l = l;
	c->cb = cb;
	c->arg = arg;
	c->outlen = strlen(c->out);
	loop_io_init(&c->io, -1, on_io, c);
	loop_timer_init(&c->timer, on_timer, c);
	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return fail_later(c, socket_path, ENAMETOOLONG);
	memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail_later(c, "socket", errno);
	c->io.fd = fd;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 && errno != EINPROGRESS &&
	    errno != EAGAIN)
		return fail_later(c, socket_path, errno);
	if (loop_io_start(l, &c->io, EPOLLOUT) == -1)
		return fail_later(c, "epoll", errno);
	loop_timer_start(l, &c->timer, timeout_ms);
	return c;
}

void
haproxy_cmd_cancel(struct haproxy_cmd *c)
{
	if (c == NULL)
		return;
	if (c->io.active)
		loop_io_stop(c->l, &c->io);
	loop_timer_stop(c->l, &c->timer);
	if (c->io.fd >= 0)
		close(c->io.fd);
	free(c->out);
	free(c->in);
	free(c);
}
